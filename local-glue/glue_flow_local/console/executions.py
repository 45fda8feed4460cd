"""Console pages of Step Functions: the state machines of a region, a state machine with its executions,
and an execution with its history events (the answers of ListStateMachines, ListExecutions,
DescribeExecution and GetExecutionHistory)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from glue_flow_local.console.markup import Page, _e, _fields, _rows, _state
from glue_flow_local.settings import CONSOLE_PREFIX

ACCOUNT = "123456789012"


def _machine_arn(region: str, name: str) -> str:
    return f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{name}"


def machines_section(sfn: Any, region: str) -> str:
    """The index page's list of state machines."""
    q = f"?region={quote(region)}"
    machines = sfn.list_state_machines().get("stateMachines", [])
    return "<h2>State machines</h2>" + _rows(
        ("state machine", "created"),
        (
            (
                f'<a href="{CONSOLE_PREFIX}/state-machines/{quote(m["name"])}{q}">{_e(m["name"])}</a>',
                _e(m.get("creationDate")),
            )
            for m in machines
        ),
    )


def machine_page(sfn: Any, region: str, name: str) -> Page:
    """A state machine: its definition and its executions, newest first."""
    arn = _machine_arn(region, name)
    machine = sfn.describe_state_machine(stateMachineArn=arn)
    executions = sfn.list_executions(stateMachineArn=arn).get("executions", [])
    q = f"?region={quote(region)}"
    base = f"{CONSOLE_PREFIX}/state-machines/{quote(name)}/executions"
    return f"State machine {name}", (
        "<h2>Executions</h2>"
        + _rows(
            ("execution", "status", "started", "stopped"),
            (
                (
                    f'<a href="{base}/{quote(e["name"])}{q}">{_e(e["name"])}</a>',
                    _state(e.get("status")),
                    _e(e.get("startDate")),
                    _e(e.get("stopDate")),
                )
                for e in executions
            ),
        )
        + f"<h2>Definition</h2><pre>{_e(machine.get('definition'))}</pre>"
    )


def execution_page(sfn: Any, region: str, name: str, execution: str) -> Page:
    """An execution: status, input, output or error, and its history events in order."""
    arn = _machine_arn(region, name).replace(":stateMachine:", ":execution:") + f":{execution}"
    described = sfn.describe_execution(executionArn=arn)
    events = sfn.get_execution_history(executionArn=arn).get("events", [])
    return f"Execution {execution} of {name}", _fields(
        [
            (key, described.get(key))
            for key in ("status", "startDate", "stopDate", "input", "output", "error", "cause")
        ]
    ) + "<h2>History</h2>" + _rows(
        ("id", "type", "time", "details"),
        (
            (_e(e["id"]), _state(e["type"]), _e(e.get("timestamp")), f"<pre>{_e(_details(e))}</pre>")
            for e in events
        ),
    )


def _details(event: dict[str, Any]) -> str:
    details = {k: v for k, v in event.items() if k.endswith("EventDetails")}
    return json.dumps(details, default=str) if details else ""
