"""Helpers of the Step Functions tests: Lambda packages, roles and waiting for executions."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path
from typing import Any

SEED = Path(__file__).resolve().parents[1] / "data" / "seed000"
ROLE_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'


def zipped(source: str | bytes, module: str = "lambda_function") -> bytes:
    """A deployment package holding one handler module."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def role(iam: Any, name: str) -> str:
    """The ARN of a role, created unless it exists."""
    try:
        return str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"])
    except iam.exceptions.EntityAlreadyExistsException:
        return str(iam.get_role(RoleName=name)["Role"]["Arn"])


def create_function(lam: Any, iam: Any, name: str, source: str | bytes, **extra: Any) -> dict[str, Any]:
    """Create a python3.11 function running ``lambda_function.lambda_handler`` of ``source``.

    Its Timeout is 30 s unless given: AWS's 3 s default is short for a first boto3 import on a busy machine.
    """
    extra.setdefault("Timeout", 30)
    return dict(
        lam.create_function(
            FunctionName=name,
            Runtime=extra.pop("Runtime", "python3.11"),
            Role=role(iam, "lambda-role"),
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": zipped(source)},
            **extra,
        )
    )


def wait_for_execution(sfn: Any, arn: str, timeout: float = 240.0) -> dict[str, Any]:
    """DescribeExecution once the execution has ended."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return dict(described)
        if time.monotonic() > deadline:
            raise AssertionError(f"execution {arn} still RUNNING after {timeout} s")
        time.sleep(0.2)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """The execution's history events, oldest first."""
    return list(sfn.get_execution_history(executionArn=arn)["events"])
