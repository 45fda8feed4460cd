"""What of the Amazon States Language the local Glue runs, checked at CreateStateMachine and StartExecution.

A state machine that uses something the interpreter does not run is refused with
``InvalidDefinition`` naming the state and the construct, never accepted to hang or misbehave later.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from glue_flow_local.stepfunctions.paths import FUNCTIONS, intrinsic_names

STATE_TYPES = frozenset({"Task", "Pass", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"})
#: Optimised integrations and AWS SDK services whose calls reach the local Glue's own services.
_SERVICE_RESOURCES = (
    re.compile(r"^arn:aws:states:::glue:startJobRun(\.sync)?$"),
    re.compile(r"^arn:aws:states:::lambda:invoke$"),
    re.compile(r"^arn:aws:states:::aws-sdk:(glue|s3|sqs|logs):[A-Za-z0-9]+$"),
    re.compile(r"^arn:aws:states:::sqs:sendMessage$"),
)
_LAMBDA_ARN = re.compile(r"^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$")
_MAP_REFUSED = (
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
)


class DefinitionRefused(Exception):
    """The definition uses something the local Glue does not run, or is not valid ASL."""


def parse(text: str) -> dict[str, Any]:
    """The definition as a dict, checked: see :func:`check`.

    :raises DefinitionRefused: not JSON, not valid, or using a construct the local Glue does not run.
    """
    try:
        definition = json.loads(text)
    except ValueError as err:
        raise DefinitionRefused(f"The definition is not JSON: {err}") from None
    if not isinstance(definition, dict):
        raise DefinitionRefused("The definition is not a JSON object")
    check(definition)
    return definition


def check(machine: dict[str, Any], where: str = "the state machine") -> None:
    """Refuse a (sub-)state machine that is not valid ASL or uses what the local Glue does not run."""
    if machine.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise DefinitionRefused(
            f"{where} uses QueryLanguage {machine['QueryLanguage']}: the local Glue runs JSONPath state machines only"
        )
    states = machine.get("States")
    if not isinstance(states, dict) or not states:
        raise DefinitionRefused(f"{where} has no States")
    if machine.get("StartAt") not in states:
        raise DefinitionRefused(f"{where}: StartAt {machine.get('StartAt')!r} names no state")
    for name, state in states.items():
        _check_state(name, state, states)


def _check_state(name: str, state: dict[str, Any], states: dict[str, Any]) -> None:
    kind = state.get("Type")
    if kind not in STATE_TYPES:
        raise DefinitionRefused(f"State {name!r} has Type {kind!r}, which is not a state type of ASL")
    if state.get("QueryLanguage", "JSONPath") != "JSONPath":
        raise DefinitionRefused(
            f"State {name!r} uses QueryLanguage JSONata: the local Glue runs JSONPath only"
        )
    for field in ("Assign", "Arguments", "Output", "Credentials"):
        if field in state:
            raise DefinitionRefused(f"State {name!r} uses {field}, which the local Glue does not run")
    targets = [state.get("Next"), state.get("Default")]
    targets += [c.get("Next") for c in state.get("Catch", [])] + [
        c.get("Next") for c in state.get("Choices", [])
    ]
    for target in targets:
        if target is not None and target not in states:
            raise DefinitionRefused(f"State {name!r} goes to {target!r}, which is not a state")
    for retrier in state.get("Retry", []):
        errors = retrier.get("ErrorEquals", [])
        if "States.ALL" in errors and len(errors) > 1:
            raise DefinitionRefused(f"State {name!r}: States.ALL must appear alone in ErrorEquals")
    for expression in _expressions(state):
        for function in intrinsic_names(expression):
            if function not in FUNCTIONS:
                raise DefinitionRefused(
                    f"State {name!r} calls the intrinsic function {function}, which the local Glue does not run"
                )
    if kind == "Task":
        _check_resource(name, state)
    elif kind == "Parallel":
        for index, branch in enumerate(state.get("Branches", [])):
            check(branch, f"branch {index} of state {name!r}")
    elif kind == "Map":
        for field in _MAP_REFUSED:
            if field in state:
                raise DefinitionRefused(
                    f"Map state {name!r} uses {field} (a Distributed Map feature), which the local Glue does not run"
                )
        iterator = state.get("ItemProcessor") or state.get("Iterator") or {}
        mode = (iterator.get("ProcessorConfig") or {}).get("Mode", "INLINE")
        if mode != "INLINE":
            raise DefinitionRefused(
                f"Map state {name!r} runs in {mode} mode: the local Glue runs inline Map states only"
            )
        check(iterator, f"the ItemProcessor of Map state {name!r}")


def _check_resource(name: str, state: dict[str, Any]) -> None:
    resource = state.get("Resource")
    if not isinstance(resource, str):
        raise DefinitionRefused(f"Task state {name!r} has no Resource")
    if resource.endswith(".waitForTaskToken"):
        raise DefinitionRefused(
            f"Task state {name!r} uses the .waitForTaskToken pattern ({resource}), which the local Glue does not run"
        )
    if resource.startswith("arn:aws:states:::aws-sdk:glue:"):
        _check_glue_action(name, resource.rsplit(":", 1)[1])
    if _LAMBDA_ARN.match(resource) or any(pattern.match(resource) for pattern in _SERVICE_RESOURCES):
        _check_task_timeouts(name, state, resource)
        return
    if resource.startswith("arn:aws:states:::"):
        raise DefinitionRefused(
            f"Task state {name!r} uses the integration {resource}, which the local Glue does not run "
            "(it runs glue:startJobRun(.sync), lambda:invoke, Lambda ARNs, sqs:sendMessage and "
            "aws-sdk:glue/s3/sqs/logs)"
        )
    if ":activity:" in resource:
        raise DefinitionRefused(
            f"Task state {name!r} uses the activity {resource}: activities do not run locally"
        )
    raise DefinitionRefused(
        f"Task state {name!r} has the Resource {resource!r}, which is not an ARN the local Glue runs"
    )


def _check_task_timeouts(name: str, state: dict[str, Any], resource: str) -> None:
    """Refuse the Task timeouts the interpreter would not enforce: TimeoutSeconds is enforced on
    ``glue:startJobRun.sync`` only (the task fails with States.Timeout); a heartbeat
    and a timeout read from a path are enforced nowhere."""
    for field in ("HeartbeatSeconds", "HeartbeatSecondsPath", "TimeoutSecondsPath"):
        if field in state:
            raise DefinitionRefused(
                f"Task state {name!r} uses {field}, which the local Glue does not enforce"
            )
    if "TimeoutSeconds" in state and resource != "arn:aws:states:::glue:startJobRun.sync":
        raise DefinitionRefused(
            f"Task state {name!r} sets TimeoutSeconds on {resource}: the local Glue enforces a Task's "
            "TimeoutSeconds on glue:startJobRun.sync only"
        )


def _check_glue_action(name: str, action: str) -> None:
    """Refuse an ``aws-sdk:glue`` action that neither the local Glue nor moto answers."""
    from botocore import xform_name
    from moto.glue.responses import GlueResponse

    if not hasattr(GlueResponse, xform_name(action[:1].upper() + action[1:])):
        raise DefinitionRefused(
            f"Task state {name!r} calls Glue {action[:1].upper() + action[1:]}, which the local Glue does not run"
        )


def _expressions(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith(".$") and isinstance(item, str):
                yield item
            elif key not in ("Branches", "ItemProcessor", "Iterator"):
                yield from _expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from _expressions(item)
