"""Runs one Step Functions execution, state by state, recording AWS's history events.

States: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-states.html
Retry and Catch: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
Input and output processing: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
History events: https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from functools import partial
from typing import Any

from glue_flow_local.stepfunctions.choice import choose
from glue_flow_local.stepfunctions.paths import StatesError, read, render, select, write


class StopSignal:
    """Set when the execution is stopped, or (for a branch or Map iteration) when a sibling failed.

    :param parent: the enclosing run's signal: a branch stops when its parent does.
    """

    def __init__(self, parent: StopSignal | threading.Event | None = None) -> None:
        self._own = threading.Event()
        self._parent = parent

    def set(self) -> None:
        self._own.set()

    def is_set(self) -> bool:
        return self._own.is_set() or (self._parent is not None and self._parent.is_set())

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True as soon as the signal is set."""
        deadline = time.monotonic() + seconds
        while not self.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._own.wait(min(left, 0.05))
        return True


#: A task: (resource, parameters, timeout seconds or None, stop signal) -> result; raises StatesError.
TaskCall = Callable[[str, Any, float | None, StopSignal], Any]


class Aborted(Exception):
    """StopExecution was called."""


class History:
    """The execution's events, as GetExecutionHistory answers them."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def add(self, kind: str, details_key: str | None = None, **details: Any) -> None:
        with self._lock:
            event: dict[str, Any] = {
                "timestamp": datetime.now(UTC),
                "type": kind,
                "id": len(self.events) + 1,
                "previousEventId": len(self.events),
            }
            if details_key:
                event[details_key] = details
            self.events.append(event)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def matches(names: list[str], error: str) -> bool:
    """Whether a retrier's or catcher's ErrorEquals matches ``error``.

    ``States.ALL`` matches every error but ``States.Runtime`` (which is never retried or caught), and
    ``States.TaskFailed`` every error but ``States.Timeout``.
    """
    if error == "States.Runtime":
        return "States.Runtime" in names
    if error in names or "States.ALL" in names:
        return True
    return "States.TaskFailed" in names and error != "States.Timeout" and error != "States.Runtime"


class Interpreter:
    """Runs a state machine definition.

    :param history: where events go.
    :param task: runs one Task state's resource.
    :param time_scale: seconds per ASL second (Wait states, retry intervals); tests make it small.
    :param stop: set by StopExecution.
    :param context: the context object (``$$``): Execution, StateMachine.
    """

    def __init__(
        self,
        history: History,
        task: TaskCall,
        time_scale: float,
        stop: StopSignal | threading.Event,
        context: dict[str, Any],
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.history = history
        self.task = task
        self.time_scale = time_scale
        self.stop = stop if isinstance(stop, StopSignal) else StopSignal(stop)
        self.context = context
        self.now = now

    def sleep(self, seconds: float) -> None:
        if self.stop.wait(max(0.0, seconds) * self.time_scale):
            raise Aborted

    def run(self, machine: dict[str, Any], data: Any) -> Any:
        """Run from StartAt to an end state; return the output or raise StatesError / Aborted."""
        name = machine["StartAt"]
        while True:
            if self.stop.is_set():
                raise Aborted
            state = machine["States"][name]
            data, following = self._state(name, state, data)
            if following is None:
                return data
            name = following

    def _state(self, name: str, state: dict[str, Any], data: Any) -> tuple[Any, str | None]:
        kind = state["Type"]
        prefix = {"Task": "TaskState"}.get(kind, kind + "State")
        self.history.add(f"{prefix}Entered", "stateEnteredEventDetails", name=name, input=_json(data))
        context = {**self.context, "State": {"Name": name, "EnteredTime": self.now().isoformat()}}
        if kind == "Fail":
            error, cause = state.get("Error", ""), state.get("Cause", "")
            if "ErrorPath" in state:
                error = read(data, state["ErrorPath"], context)
            if "CausePath" in state:
                cause = read(data, state["CausePath"], context)
            raise StatesError(error, cause)
        following: str | None = None if state.get("End") else state.get("Next")
        if kind == "Choice":
            effective = select(data, state.get("InputPath", "$"), context)
            following = choose(state, effective, name)
            output = select(data, state.get("OutputPath", "$"), context)
        elif kind in ("Succeed", "Wait"):
            effective = select(data, state.get("InputPath", "$"), context)
            if kind == "Wait":
                self._wait(state, effective, context)
            output = select(effective, state.get("OutputPath", "$"), context)
        else:
            try:
                output = self._with_retries(name, state, data, context)
            except StatesError as err:
                if err.error == "States.Runtime":
                    raise
                catcher = next(
                    (c for c in state.get("Catch", []) if matches(c["ErrorEquals"], err.error)), None
                )
                if catcher is None:
                    raise
                output = write(data, catcher.get("ResultPath", "$"), {"Error": err.error, "Cause": err.cause})
                following = catcher["Next"]
        self.history.add(f"{prefix}Exited", "stateExitedEventDetails", name=name, output=_json(output))
        return output, following

    def _with_retries(self, name: str, state: dict[str, Any], data: Any, context: dict[str, Any]) -> Any:
        """InputPath, Parameters, the state's work, ResultSelector, ResultPath, OutputPath; Retry around it."""
        attempts = [0] * len(state.get("Retry", []))
        while True:
            try:
                effective = select(data, state.get("InputPath", "$"), context)
                if "Parameters" in state:
                    effective = render(state["Parameters"], effective, context)
                result = self._work(name, state, effective, context)
                if "ResultSelector" in state:
                    result = render(state["ResultSelector"], result, context)
                # ResultPath null keeps the input and discards the result.
                combined = (
                    data
                    if state.get("ResultPath", "$") is None
                    else write(data, state.get("ResultPath", "$"), result)
                )
                return select(combined, state.get("OutputPath", "$"), context)
            except StatesError as err:
                if err.error == "States.Runtime":
                    raise
                index = next(
                    (i for i, r in enumerate(state.get("Retry", [])) if matches(r["ErrorEquals"], err.error)),
                    None,
                )
                if index is None:
                    raise
                retrier = state["Retry"][index]
                if attempts[index] >= retrier.get("MaxAttempts", 3):
                    raise
                delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** attempts[index]
                if "MaxDelaySeconds" in retrier:
                    delay = min(delay, retrier["MaxDelaySeconds"])
                if retrier.get("JitterStrategy", "NONE") == "FULL":
                    delay = random.uniform(0, delay)
                attempts[index] += 1
                self.sleep(delay)

    def _work(self, name: str, state: dict[str, Any], effective: Any, context: dict[str, Any]) -> Any:
        kind = state["Type"]
        if kind == "Pass":
            return state["Result"] if "Result" in state else effective
        if kind == "Task":
            return self._task(state, effective)
        if kind == "Parallel":
            return self._parallel(state, effective)
        return self._map(state, effective, context)

    def _task(self, state: dict[str, Any], effective: Any) -> Any:
        resource = state["Resource"]
        plain_lambda = resource.startswith("arn:aws:lambda:")
        prefix = "LambdaFunction" if plain_lambda else "Task"
        details = (
            {"resource": resource}
            if plain_lambda
            else {"resourceType": resource.split(":")[5], "resource": resource}
        )
        self.history.add(
            f"{prefix}Scheduled",
            f"{prefix[0].lower()}{prefix[1:]}ScheduledEventDetails",
            **details,
            parameters=_json(effective),
        )
        self.history.add(f"{prefix}Started", None)
        timeout = state.get("TimeoutSeconds")
        try:
            result = self.task(
                resource, effective, None if timeout is None else timeout * self.time_scale, self.stop
            )
        except StatesError as err:
            self.history.add(
                f"{prefix}Failed",
                f"{prefix[0].lower()}{prefix[1:]}FailedEventDetails",
                error=err.error,
                cause=err.cause,
            )
            raise
        self.history.add(
            f"{prefix}Succeeded",
            f"{prefix[0].lower()}{prefix[1:]}SucceededEventDetails",
            output=_json(result),
        )
        return result

    def _branch(self, machine: dict[str, Any], data: Any, group: StopSignal) -> Any:
        return Interpreter(self.history, self.task, self.time_scale, group, self.context, self.now).run(
            machine, data
        )

    def _together(self, kind: str, calls: Sequence[Callable[[StopSignal], Any]], workers: int) -> list[Any]:
        """Run branches or iterations at once; the first failure stops the others and is raised."""
        group = StopSignal(self.stop)
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(call, group) for call in calls]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = next((f for f in futures if f in done and f.exception() is not None), None)
            if failed is not None:
                group.set()  # the others stop at their next step
                if self.stop.is_set():
                    raise Aborted
                self.history.add(f"{kind}StateFailed")
                raise failed.exception()  # type: ignore[misc]  # not None: checked above
            results = [future.result() for future in futures]
        self.history.add(f"{kind}StateSucceeded")
        return results

    def _parallel(self, state: dict[str, Any], effective: Any) -> Any:
        self.history.add("ParallelStateStarted")
        branches = state["Branches"]
        calls = [partial(self._branch, branch, effective) for branch in branches]
        return self._together("Parallel", calls, len(branches))

    def _map(self, state: dict[str, Any], effective: Any, context: dict[str, Any]) -> Any:
        items = read(effective, state["ItemsPath"], context) if "ItemsPath" in state else effective
        if not isinstance(items, list):
            raise StatesError(
                "States.Runtime", f"Map state {context['State']['Name']!r}: ItemsPath did not select an array"
            )
        processor = state.get("ItemProcessor") or state["Iterator"]
        selector = state.get("ItemSelector") or state.get("Parameters")
        self.history.add("MapStateStarted", "mapStateStartedEventDetails", length=len(items))
        concurrency = state.get("MaxConcurrency", 0) or len(items) or 1

        def one(index: int, item: Any, group: StopSignal) -> Any:
            item_context = {**context, "Map": {"Item": {"Index": index, "Value": item}}}
            value = render(selector, effective, item_context) if selector is not None else item
            self.history.add(
                "MapIterationStarted",
                "mapIterationStartedEventDetails",
                name=context["State"]["Name"],
                index=index,
            )
            try:
                output = self._branch(processor, value, group)
            except StatesError:
                self.history.add(
                    "MapIterationFailed",
                    "mapIterationFailedEventDetails",
                    name=context["State"]["Name"],
                    index=index,
                )
                raise
            self.history.add(
                "MapIterationSucceeded",
                "mapIterationSucceededEventDetails",
                name=context["State"]["Name"],
                index=index,
            )
            return output

        calls = [
            lambda group, index=index, item=item: one(index, item, group) for index, item in enumerate(items)
        ]
        return self._together("Map", calls, min(concurrency, 40))

    def _wait(self, state: dict[str, Any], effective: Any, context: dict[str, Any]) -> None:
        if "Seconds" in state:
            seconds = float(state["Seconds"])
        elif "SecondsPath" in state:
            value = read(effective, state["SecondsPath"], context)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise StatesError(
                    "States.Runtime",
                    f"SecondsPath {state['SecondsPath']} gave {value!r}, not a non-negative number",
                )
            seconds = float(value)
        else:
            stamp = state.get("Timestamp") or read(effective, state["TimestampPath"], context)
            try:
                when = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
            except ValueError:
                raise StatesError("States.Runtime", f"{stamp!r} is not an ISO 8601 timestamp") from None
            seconds = (when - self.now()).total_seconds()
        self.sleep(seconds)
