"""A deployed state machine's definition and its Lambdas' code, read for ``glue-flow import asl --arn``.

Through the amazon provider's hooks: ``StepFunctionHook`` (DescribeStateMachine, ListStateMachines) and
``LambdaHook`` (GetFunction, whose ``Code.Location`` is a URL of the deployment package, a zip).
https://docs.aws.amazon.com/step-functions/latest/apireference/API_DescribeStateMachine.html
https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from airflow.providers.amazon.aws.hooks.lambda_function import LambdaHook
from airflow.providers.amazon.aws.hooks.step_function import StepFunctionHook
from botocore.exceptions import BotoCoreError, ClientError


class StateMachineNotFoundError(LookupError):
    """No state machine has that name."""


def read_state_machine(
    hook_arguments: dict[str, Any], *, arn: str | None = None, name: str | None = None
) -> tuple[str, dict[str, Any]]:
    """(name, definition) of the state machine ``arn``, or of the one called ``name``.

    :raises StateMachineNotFoundError: no state machine is called ``name``.
    """
    client = StepFunctionHook(**hook_arguments).conn
    if arn is None:
        pages = client.get_paginator("list_state_machines").paginate()
        found = [m["stateMachineArn"] for page in pages for m in page["stateMachines"] if m["name"] == name]
        if not found:
            raise StateMachineNotFoundError(f"no state machine is called {name!r}")
        arn = found[0]
    described = client.describe_state_machine(stateMachineArn=arn)
    return str(described["name"]), dict(json.loads(described["definition"]))


def _handler_source(package: bytes, handler: str, function: str) -> str | None:
    module = handler.rsplit(".", 1)[0].replace(".", "/") if "." in handler else function
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        names = archive.namelist()
        for candidate in (f"{module}.py", f"{function}.py"):
            if candidate in names:
                return archive.read(candidate).decode("utf-8")
    return None


def read_lambda_sources(hook_arguments: dict[str, Any], functions: list[str], into: Path) -> dict[str, str]:
    """Write each function's handler module (named by its Handler, else ``<function>.py`` in its package)
    as ``into/<function>.py``; return the functions it could not read, with why."""
    client = LambdaHook(**hook_arguments).conn
    missing: dict[str, str] = {}
    for function in functions:
        try:
            response = client.get_function(FunctionName=function)
        except (ClientError, BotoCoreError) as error:
            missing[function] = f"GetFunction failed: {error}"
            continue
        location = response.get("Code", {}).get("Location")
        handler = str(response.get("Configuration", {}).get("Handler", ""))
        if not location:
            missing[function] = "no Code.Location (a container image?)"
            continue
        with urllib.request.urlopen(location, timeout=60) as reply:  # noqa: S310 (the URL GetFunction gave)
            source = _handler_source(reply.read(), handler, function)
        if source is None:
            missing[function] = f"its package has no handler module for Handler {handler!r}"
            continue
        (into / f"{function}.py").write_text(source, encoding="utf-8")
    return missing
