"""The ASL interpreter's semantics, state by state, with a recording task resource (no server).

States: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html
Retry/Catch: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
Input/output: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from glue_flow_local.stepfunctions.interpreter import History, Interpreter, StopSignal, matches
from glue_flow_local.stepfunctions.paths import StatesError

LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:f"


class Resource:
    """A task resource that fails with the queued errors, then answers ``result``; it records each call."""

    def __init__(self, *errors: str, result: Any = "ok") -> None:
        self.errors = list(errors)
        self.result = result
        self.calls: list[tuple[Any, float]] = []

    def __call__(self, resource: str, parameters: Any, timeout: float | None, stop: StopSignal) -> Any:
        self.calls.append((parameters, time.monotonic()))
        if self.errors:
            raise StatesError(self.errors.pop(0), "cause")
        return self.result


def run(machine: dict[str, Any], data: Any, task: Any = None, scale: float = 0.01) -> tuple[Any, History]:
    history = History()
    interpreter = Interpreter(
        history, task or Resource(), scale, threading.Event(), {"Execution": {"Id": "x"}}
    )
    return interpreter.run(machine, data), history


def task_machine(**state: Any) -> dict[str, Any]:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": LAMBDA, "End": True, **state}}}


def test_each_retrier_keeps_its_own_budget() -> None:
    task = Resource("A", "B", "A", "B", "A")
    retry = [
        {"ErrorEquals": ["A"], "MaxAttempts": 2, "IntervalSeconds": 1},
        {"ErrorEquals": ["B"], "MaxAttempts": 2, "IntervalSeconds": 1},
    ]
    with pytest.raises(StatesError) as failed:
        run(task_machine(Retry=retry), {}, task)
    # A, B, A, B are retried (two each); the third A exhausts A's budget.
    assert failed.value.error == "A" and len(task.calls) == 5


def test_backoff_rate_and_max_delay_seconds() -> None:
    task = Resource("E", "E", "E", "E")
    retry = [
        {
            "ErrorEquals": ["States.ALL"],
            "IntervalSeconds": 2,
            "BackoffRate": 3,
            "MaxAttempts": 4,
            "MaxDelaySeconds": 10,
        }
    ]
    run(task_machine(Retry=retry), {}, task, scale=0.02)
    times = [t for _, t in task.calls]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # 2, 6, then 18 and 54 capped at 10 (seconds x 0.02).
    for gap, expected in zip(gaps, (2, 6, 10, 10), strict=True):
        assert expected * 0.02 <= gap < expected * 0.02 + 0.1


def test_full_jitter_never_waits_longer_than_the_interval() -> None:
    task = Resource("E", "E", "E")
    retry = [{"ErrorEquals": ["E"], "IntervalSeconds": 5, "MaxAttempts": 3, "JitterStrategy": "FULL"}]
    run(task_machine(Retry=retry), {}, task, scale=0.02)
    times = [t for _, t in task.calls]
    assert times[-1] - times[0] < (5 + 10 + 20) * 0.02


def test_max_attempts_zero_never_retries_and_catch_result_path_keeps_the_input() -> None:
    task = Resource("Glue.CrawlerRunningException")
    machine = task_machine(
        Retry=[{"ErrorEquals": ["Glue.CrawlerRunningException"], "MaxAttempts": 0}],
        Catch=[{"ErrorEquals": ["Glue.CrawlerRunningException"], "ResultPath": "$.error", "Next": "Done"}],
    )
    machine["States"]["T"].pop("End")
    machine["States"]["Done"] = {"Type": "Succeed"}
    output, _ = run(machine, {"keep": 1}, task)
    assert len(task.calls) == 1
    assert output == {"keep": 1, "error": {"Error": "Glue.CrawlerRunningException", "Cause": "cause"}}


def test_catch_without_result_path_replaces_the_input() -> None:
    machine = task_machine(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Done"}])
    machine["States"]["T"].pop("End")
    machine["States"]["Done"] = {"Type": "Pass", "End": True}
    output, _ = run(machine, {"keep": 1}, Resource("Boom"))
    assert output == {"Error": "Boom", "Cause": "cause"}


def test_task_failed_matches_all_but_timeout_and_runtime_is_never_caught() -> None:
    assert matches(["States.TaskFailed"], "Lambda.Unknown")
    assert not matches(["States.TaskFailed"], "States.Timeout")
    assert not matches(["States.ALL"], "States.Runtime")
    machine = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Pass", "InputPath": "$.missing", "End": True},
        },
    }
    with pytest.raises(StatesError) as failed:
        run(machine, {})
    assert failed.value.error == "States.Runtime" and "$.missing" in failed.value.cause


def test_parameters_result_selector_result_path_output_path_and_intrinsics() -> None:
    task = Resource(result={"Payload": {"n": 2}, "StatusCode": 200})
    machine = task_machine(
        Parameters={"Name.$": "States.Format('job-{}', $.id)", "Ids.$": "States.Array($.id, 7)", "Fixed": 1},
        ResultSelector={"n.$": "$.Payload.n", "sum.$": "States.MathAdd($.Payload.n, 40)"},
        ResultPath="$.result",
        OutputPath="$.result",
    )
    output, _ = run(machine, {"id": 3}, task)
    assert task.calls[0][0] == {"Name": "job-3", "Ids": [3, 7], "Fixed": 1}
    assert output == {"n": 2, "sum": 42}


def test_choice_rules_and_no_choice_matched() -> None:
    choices = [
        {
            "And": [
                {"Variable": "$.n", "NumericGreaterThan": 3},
                {"Variable": "$.s", "StringMatches": "lo*"},
            ],
            "Next": "Big",
        },
        {"Variable": "$.n", "NumericLessThanEqualsPath": "$.limit", "Next": "Small"},
    ]
    machine = {
        "StartAt": "C",
        "States": {
            "C": {"Type": "Choice", "Choices": choices},
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Pass", "Result": "small", "End": True},
        },
    }
    assert run(machine, {"n": 5, "s": "load", "limit": 1})[0] == "big"
    assert run(machine, {"n": 1, "s": "x", "limit": 1})[0] == "small"
    with pytest.raises(StatesError) as failed:
        run(machine, {"n": 5, "s": "x", "limit": 1})
    assert failed.value.error == "States.NoChoiceMatched"


def test_wait_seconds_path_is_scaled() -> None:
    machine = {"StartAt": "W", "States": {"W": {"Type": "Wait", "SecondsPath": "$.w", "End": True}}}
    started = time.monotonic()
    run(machine, {"w": 10}, scale=0.02)
    assert 0.2 <= time.monotonic() - started < 1.0


def test_parallel_and_inline_map() -> None:
    branch = {"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 1, "End": True}}}
    machine = {
        "StartAt": "P",
        "States": {
            "P": {"Type": "Parallel", "Branches": [branch, branch], "ResultPath": "$.p", "Next": "M"},
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "ResultPath": "$.m",
                "End": True,
            },
        },
    }
    output, history = run(machine, {"items": ["a", "b"]})
    assert output["p"] == [1, 1]
    assert output["m"] == [{"v": "a", "i": 0}, {"v": "b", "i": 1}]
    kinds = [e["type"] for e in history.events]
    assert "ParallelStateSucceeded" in kinds and kinds.count("MapIterationSucceeded") == 2


def test_fail_state_and_history_events() -> None:
    machine = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}
    with pytest.raises(StatesError) as failed:
        run(machine, {})
    assert (failed.value.error, failed.value.cause) == ("E", "C")
    _, history = run(task_machine(), {})
    kinds = [e["type"] for e in history.events]
    assert kinds == [
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
    ]


def test_a_failing_branch_stops_its_siblings() -> None:
    waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    failing = {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Branch.Failed", "Cause": "c"}}}
    machine = {
        "StartAt": "P",
        "States": {"P": {"Type": "Parallel", "Branches": [waiting, failing], "End": True}},
    }
    started = time.monotonic()
    with pytest.raises(StatesError) as failed:
        run(machine, {}, scale=1.0)
    assert failed.value.error == "Branch.Failed"
    assert time.monotonic() - started < 5  # not the hour the other branch would wait
