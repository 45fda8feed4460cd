"""``glue-flow import asl --arn/--name`` reads the deployed state machine (DescribeStateMachine) and its
Lambdas' code (GetFunction's Code.Location) from a local Glue: seed 000's state machine and its three
Lambdas, created there as printed, import to the same DAG as the files do.
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html
https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.asl import import_asl
from tests.importers.test_asl_seed import SEED, cli
from tests.support.fakes import set_aws_connection

ROLE_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def package(source: str, module: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{module}.py", source)
    return buffer.getvalue()


def deployable() -> str:
    """Seed 000's definition with an account id where the article printed ``[AWSID]``."""
    return (SEED / "state_machine.json").read_text().replace("[AWSID]", "123456789012")


def deploy_seed(local_glue: Any, unique: Any) -> tuple[str, str]:
    """Seed 000's Lambdas (handler module lambda_function, as the console writes it) and state machine."""
    lam, iam, sfn = (local_glue.client(s) for s in ("lambda", "iam", "stepfunctions"))
    role = iam.create_role(RoleName=unique("seed-role"), AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]
    for path in sorted((SEED / "lambda").glob("*.py")):
        try:
            lam.get_function(FunctionName=path.stem)
        except lam.exceptions.ResourceNotFoundException:
            lam.create_function(
                FunctionName=path.stem,
                Runtime="python3.11",
                Role=role,
                Handler="lambda_function.lambda_handler",
                Code={"ZipFile": package(path.read_text(), "lambda_function")},
            )
    name = unique("GlueJob2")
    definition = deployable()
    arn = sfn.create_state_machine(name=name, definition=definition, roleArn=role)["stateMachineArn"]
    return name, arn


def test_a_deployed_state_machine_and_its_lambdas_import_as_the_files_do(
    local_glue: Any, unique: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, arn = deploy_seed(local_glue, unique)
    expected = import_asl(json.loads(deployable()), name=name, lambda_source=SEED / "lambda")
    # An Airflow AWS connection (from the environment) that reaches the local Glue.
    conn = set_aws_connection(
        monkeypatch,
        "asl_live",
        login="testing",
        region_name=local_glue.region,
        endpoint_url=local_glue.endpoint_url,
    )
    endpoint = ["--endpoint-url", local_glue.endpoint_url]
    for option in (
        ["--arn", arn, *endpoint],
        ["--name", name, *endpoint],
        ["--arn", arn, "--aws-conn-id", conn],
    ):
        out = tmp_path / "dag.py"
        done = cli(*option, "-o", str(out))
        assert done.returncode == 0, done.stderr
        # The Lambdas' code was read: the crawler loop is recognised from it, as from the files.
        assert out.read_text() == expected.dag_source
        assert "GlueCrawlerWaitOperator" in done.stdout


def test_a_missing_state_machine_or_both_sources_stop_the_import(local_glue: Any, tmp_path: Path) -> None:
    out = tmp_path / "dag.py"
    done = cli("--name", "no-such-machine", "-o", str(out), "--endpoint-url", local_glue.endpoint_url)
    assert done.returncode == 1 and "no state machine is called 'no-such-machine'" in done.stderr
    done = cli(str(SEED / "state_machine.json"), "--name", "x", "-o", str(out))
    assert done.returncode == 1 and "one of them" in done.stderr
    assert not out.exists()
