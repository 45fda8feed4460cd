"""The console lists a region's state machines, a state machine's executions, and an execution's history."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable

import pytest
from test_stepfunctions.support import role, wait_for_execution

from glue_flow_local.testing import LocalGlue

pytestmark = pytest.mark.slow


def page(local_glue: LocalGlue, path: str) -> str:
    with urllib.request.urlopen(
        f"{local_glue.endpoint_url}/_console{path}?region=us-east-1", timeout=30
    ) as answer:
        return str(answer.read().decode())


def test_executions_with_their_history(local_glue: LocalGlue, unique: Callable[[str], str]) -> None:
    sfn = local_glue.client("stepfunctions")
    name = unique("console")
    definition = {
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Result": "<b>hi</b>", "Next": "Stop"},
            "Stop": {"Type": "Fail", "Error": "Done.Failing", "Cause": "on purpose"},
        },
    }
    arn = sfn.create_state_machine(
        name=name, definition=json.dumps(definition), roleArn=role(local_glue.client("iam"), "sfn")
    )["stateMachineArn"]
    sfn.start_execution(stateMachineArn=arn, name="first")
    wait_for_execution(sfn, arn.replace(":stateMachine:", ":execution:") + ":first", timeout=30)
    assert f"/_console/state-machines/{name}?" in page(local_glue, "/")
    listing = page(local_glue, f"/state-machines/{name}")
    assert "first" in listing and "FAILED" in listing
    history = page(local_glue, f"/state-machines/{name}/executions/first")
    for kind in (
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "FailStateEntered",
        "ExecutionFailed",
    ):
        assert kind in history
    assert "Done.Failing" in history and "<b>hi</b>" not in history  # shown escaped
