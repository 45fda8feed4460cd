"""The Step Functions API on the local Glue's endpoint (``X-Amz-Target: AWSStepFunctions.*``).

State machines and executions live here, not in moto (whose executions stay RUNNING or run in moto's own
backends); every operation not listed in :attr:`StepFunctionsApi.actions` is refused naming it.
API reference: https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from glue_flow_local.protocol.auth import region_of
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.settings import Settings
from glue_flow_local.stepfunctions.definition import DefinitionRefused, parse
from glue_flow_local.stepfunctions.interpreter import Aborted, History, Interpreter
from glue_flow_local.stepfunctions.paths import StatesError
from glue_flow_local.stepfunctions.tasks import Tasks

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ACCOUNT = "123456789012"
_JSON = "application/x-amz-json-1.0"


@dataclass
class Execution:
    """One execution: its status, output or error, and history."""

    arn: str
    machine_arn: str
    name: str
    input: str
    start: datetime
    status: str = "RUNNING"
    stop: datetime | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    history: History = field(default_factory=History)
    stopping: threading.Event = field(default_factory=threading.Event)

    def describe(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "executionArn": self.arn,
            "stateMachineArn": self.machine_arn,
            "name": self.name,
            "status": self.status,
            "startDate": self.start,
            "input": self.input,
        }
        optional = {"stopDate": self.stop, "output": self.output, "error": self.error, "cause": self.cause}
        answer.update({k: v for k, v in optional.items() if v is not None})
        return answer


class StepFunctionsApi:
    """WSGI middleware answering the Step Functions API; other requests go to ``inner``.

    :param inner: the next application.
    :param settings: the server's settings (endpoint, credentials, time scale).
    """

    def __init__(self, inner: WsgiApp, settings: Settings) -> None:
        self._inner = inner
        self.settings = settings
        self.machines: dict[str, dict[str, Any]] = {}
        self.executions: dict[str, Execution] = {}
        self._lock = threading.Lock()
        self.actions: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
            "CreateStateMachine": self.create_state_machine,
            "DescribeStateMachine": self.describe_state_machine,
            "ListStateMachines": self.list_state_machines,
            "DeleteStateMachine": self.delete_state_machine,
            "StartExecution": self.start_execution,
            "DescribeExecution": self.describe_execution,
            "GetExecutionHistory": self.get_execution_history,
            "StopExecution": self.stop_execution,
            "ListExecutions": self.list_executions,
        }

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        service, _, action = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        if service != "AWSStepFunctions":
            return self._inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        try:
            handler = self.actions.get(action)
            if handler is None:
                raise GlueApiError(
                    "UnsupportedOperation",
                    f"Step Functions {action} is not run by the local Glue (it runs {', '.join(sorted(self.actions))})",
                )
            request = json.loads(raw or b"{}")
            status, body = 200, handler(region_of(environ), request)
        except GlueApiError as err:
            status, body = err.status, {"__type": err.code, "message": err.message}
        payload = json.dumps(body, default=lambda v: v.timestamp()).encode()
        headers = [("Content-Type", _JSON), ("Content-Length", str(len(payload)))]
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}", headers)
        return [payload]

    # State machines

    def create_state_machine(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        name = request.get("name", "")
        try:
            definition = parse(request.get("definition", ""))
        except DefinitionRefused as err:
            raise GlueApiError("InvalidDefinition", f"State machine {name!r}: {err}") from None
        if request.get("type", "STANDARD") != "STANDARD":
            raise GlueApiError(
                "InvalidDefinition", f"State machine {name!r}: only STANDARD state machines run locally"
            )
        arn = f"arn:aws:states:{region}:{ACCOUNT}:stateMachine:{name}"
        with self._lock:
            if arn in self.machines:
                raise GlueApiError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'")
            self.machines[arn] = {
                "stateMachineArn": arn,
                "name": name,
                "status": "ACTIVE",
                "definition": request["definition"],
                "parsed": definition,
                "roleArn": request.get("roleArn", ""),
                "type": "STANDARD",
                "creationDate": datetime.now(UTC),
            }
        return {"stateMachineArn": arn, "creationDate": self.machines[arn]["creationDate"]}

    def _machine(self, arn: str) -> dict[str, Any]:
        machine = self.machines.get(arn)
        if machine is None:
            raise GlueApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'")
        return machine

    def describe_state_machine(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(request.get("stateMachineArn", ""))
        return {k: v for k, v in machine.items() if k != "parsed"}

    def list_state_machines(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        keys = ("stateMachineArn", "name", "type", "creationDate")
        here = [m for m in self.machines.values() if m["stateMachineArn"].split(":")[3] == region]
        return {"stateMachines": [{k: m[k] for k in keys} for m in here]}

    def shutdown(self) -> None:
        """Stop every running execution (the server is stopping): their threads end at the next step."""
        for execution in list(self.executions.values()):
            execution.stopping.set()

    def delete_state_machine(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self.machines.pop(request.get("stateMachineArn", ""), None)
        return {}

    # Executions

    def start_execution(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        machine = self._machine(request.get("stateMachineArn", ""))
        name = request.get("name") or str(uuid.uuid4())
        text = request.get("input") or "{}"
        try:
            data = json.loads(text)
        except ValueError as err:
            raise GlueApiError("InvalidExecutionInput", f"Invalid execution input: {err}") from None
        arn = machine["stateMachineArn"].replace(":stateMachine:", ":execution:") + f":{name}"
        execution = Execution(arn, machine["stateMachineArn"], name, text, datetime.now(UTC))
        with self._lock:
            if arn in self.executions:
                raise GlueApiError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
            self.executions[arn] = execution
        execution.history.add(
            "ExecutionStarted", "executionStartedEventDetails", input=text, roleArn=machine["roleArn"]
        )
        thread = threading.Thread(
            target=self._run, args=(execution, machine, data, region), daemon=True, name=f"sfn-{name}"
        )
        thread.start()
        return {"executionArn": arn, "startDate": execution.start}

    def _run(self, execution: Execution, machine: dict[str, Any], data: Any, region: str) -> None:
        context = {
            "Execution": {
                "Id": execution.arn,
                "Name": execution.name,
                "Input": data,
                "StartTime": execution.start.isoformat(),
                "RoleArn": machine["roleArn"],
            },
            "StateMachine": {"Id": machine["stateMachineArn"], "Name": machine["name"]},
        }
        interpreter = Interpreter(
            execution.history,
            Tasks(self.settings, region),
            self.settings.sfn_time_scale,
            execution.stopping,
            context,
        )
        try:
            output = interpreter.run(machine["parsed"], data)
        except Aborted:
            return  # StopExecution recorded the end
        except StatesError as err:
            if execution.stopping.is_set():
                return
            execution.error, execution.cause = err.error, err.cause
            execution.history.add(
                "ExecutionFailed", "executionFailedEventDetails", error=err.error, cause=err.cause
            )
            execution.status = "FAILED"
        except Exception as err:  # a fault of the interpreter: fail the execution, naming it
            execution.error, execution.cause = (
                "States.Runtime",
                f"The local Glue failed to run the execution: {err!r}",
            )
            execution.history.add(
                "ExecutionFailed", "executionFailedEventDetails", error=execution.error, cause=execution.cause
            )
            execution.status = "FAILED"
        else:
            execution.output = json.dumps(output)
            execution.history.add(
                "ExecutionSucceeded", "executionSucceededEventDetails", output=execution.output
            )
            execution.status = "SUCCEEDED"
        execution.stop = datetime.now(UTC)

    def _execution(self, arn: str) -> Execution:
        execution = self.executions.get(arn)
        if execution is None:
            raise GlueApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'")
        return execution

    def describe_execution(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        return self._execution(request.get("executionArn", "")).describe()

    def get_execution_history(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        events = list(self._execution(request.get("executionArn", "")).history.events)
        if request.get("reverseOrder"):
            events.reverse()
        return {"events": events}

    def stop_execution(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(request.get("executionArn", ""))
        if execution.status == "RUNNING":
            execution.status = "ABORTED"
            execution.error, execution.cause = request.get("error"), request.get("cause")
            execution.stop = datetime.now(UTC)
            execution.stopping.set()
            details = {k: v for k, v in (("error", execution.error), ("cause", execution.cause)) if v}
            execution.history.add("ExecutionAborted", "executionAbortedEventDetails", **details)
        return {"stopDate": execution.stop}

    def list_executions(self, region: str, request: dict[str, Any]) -> dict[str, Any]:
        arn = request.get("stateMachineArn", "")
        self._machine(arn)
        wanted = request.get("statusFilter")
        keys = ("executionArn", "stateMachineArn", "name", "status", "startDate")
        found = [
            e.describe()
            for e in self.executions.values()
            if e.machine_arn == arn and (wanted is None or e.status == wanted)
        ]
        found.sort(key=lambda e: e["startDate"], reverse=True)
        return {
            "executions": [
                {k: e[k] for k in keys} | ({"stopDate": e["stopDate"]} if "stopDate" in e else {})
                for e in found
            ]
        }
