"""Task state resources, run against the local Glue's own services through its endpoint.

Glue: https://docs.aws.amazon.com/step-functions/latest/dg/connect-glue.html (``.sync`` waits for the job
run; SUCCEEDED gives the JobRun, any other end state fails the task with ``States.TaskFailed`` and the
JobRun as cause). When a ``.sync`` task times out (TimeoutSeconds: ``States.Timeout``) or its execution is
stopped, Step Functions stops the job run it started (BatchStopJobRun, the run ends STOPPED):
https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-sync
AWS SDK integrations: https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
(errors named ``<Service>.<Code>``). Lambda: https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any

from botocore import xform_name
from botocore.exceptions import ClientError

from glue_flow_local.clients import server_client
from glue_flow_local.settings import Settings
from glue_flow_local.stepfunctions.interpreter import StopSignal
from glue_flow_local.stepfunctions.paths import StatesError

_log = logging.getLogger(__name__)
_DONE = frozenset({"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED"})
#: Seconds between GetJobRun polls of a ``.sync`` Glue task (AWS does not document its own interval).
POLL_SECONDS = 0.5


def _plain(value: Any) -> Any:
    """A boto3 answer as Step Functions passes it on: no ResponseMetadata, timestamps as epoch milliseconds."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return int(value.timestamp() * 1000)
    if hasattr(value, "read"):
        return value.read().decode("utf-8", "replace")
    return value


def _stop_job_run(glue: Any, job: str, run_id: str) -> None:
    """BatchStopJobRun on a ``.sync`` task's job run, as Step Functions does when the task times out or
    the execution is stopped; a run that ended meanwhile is left as it ended."""
    answer = glue.batch_stop_job_run(JobName=job, JobRunIds=[run_id])
    for error in answer.get("Errors") or []:
        # AWS's own BatchStopJobRun reports a run that already ended as an error entry, not a failure.
        _log.info("stopping job run %s of %s: %s", run_id, job, error.get("ErrorDetail"))


class Tasks:
    """Runs Task resources for executions in one region.

    :param settings: the server's settings (endpoint and credentials).
    :param region: the execution's region.
    """

    def __init__(self, settings: Settings, region: str) -> None:
        self.settings = settings
        self.region = region

    def client(self, service: str, region: str | None = None) -> Any:
        return server_client(
            self.settings.endpoint_url, service, region or self.region, self.settings.credentials
        )

    def __call__(self, resource: str, parameters: Any, timeout: float | None, stop: StopSignal) -> Any:
        deadline = None if timeout is None else time.monotonic() + timeout
        if resource.startswith("arn:aws:lambda:"):
            return self._lambda({"FunctionName": resource, "Payload": parameters}, plain=True)
        service, _, action = resource.removeprefix("arn:aws:states:::").partition(":")
        if service == "glue" and action.startswith("startJobRun"):
            run_id = self._sdk("glue", "startJobRun", parameters)["JobRunId"]
            if action.endswith(".sync"):
                return self._wait_job(parameters.get("JobName", ""), run_id, deadline, stop)
            # "The JobName field is extracted from the request and inserted into the response" (connect-glue).
            return {"JobName": parameters.get("JobName"), "JobRunId": run_id}
        if service == "lambda":
            return self._lambda(parameters, plain=False)
        if service == "aws-sdk":
            sdk_service, _, sdk_action = action.partition(":")
            return self._sdk(sdk_service, sdk_action, parameters)
        if service == "sqs":
            return self._sdk("sqs", action, parameters)
        raise StatesError("States.Runtime", f"The resource {resource} is not run by the local Glue")

    def _sdk(self, service: str, action: str, parameters: Any) -> Any:
        method = xform_name(action[:1].upper() + action[1:])
        client = self.client(service)
        if not hasattr(client, method):
            raise StatesError("States.Runtime", f"{service} has no action {action}")
        try:
            return _plain(getattr(client, method)(**(parameters or {})))
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "Exception")
            message = err.response.get("Error", {}).get("Message", str(err))
            raise StatesError(f"{service[:1].upper()}{service[1:]}.{code}", message) from None

    def _wait_job(self, job: str, run_id: str, deadline: float | None, stop: StopSignal) -> Any:
        glue = self.client("glue")
        while True:
            run = _plain(glue.get_job_run(JobName=job, RunId=run_id)["JobRun"])
            if run.get("JobRunState") in _DONE:
                if run["JobRunState"] == "SUCCEEDED":
                    return run
                raise StatesError("States.TaskFailed", json.dumps(run))
            if deadline is not None and time.monotonic() > deadline:
                # The task timed out: Step Functions stops the job run it started (BatchStopJobRun).
                _stop_job_run(glue, job, run_id)
                raise StatesError("States.Timeout", f"Task timed out waiting for job run {run_id} of {job}")
            if stop.wait(POLL_SECONDS):
                _stop_job_run(glue, job, run_id)
                raise StatesError("States.Runtime", "Execution stopped")

    def _lambda(self, parameters: dict[str, Any], *, plain: bool) -> Any:
        request = dict(parameters)
        payload = request.pop("Payload", None)
        if payload is not None and not isinstance(payload, (str, bytes)):
            payload = json.dumps(payload)
        name = str(request.get("FunctionName", ""))
        # A function ARN names its region; a bare name is the execution's.
        region = name.split(":")[3] if name.startswith("arn:aws:lambda:") else None
        try:
            answer = self.client("lambda", region).invoke(
                **request, **({"Payload": payload} if payload is not None else {})
            )
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "Exception")
            raise StatesError(
                f"Lambda.{code}", err.response.get("Error", {}).get("Message", str(err))
            ) from None
        body = answer["Payload"].read().decode()
        result = json.loads(body) if body else None
        if answer.get("FunctionError"):
            error = result.get("errorType", "Exception") if isinstance(result, dict) else "Exception"
            raise StatesError(error, body)
        if plain:
            return result
        return {
            "ExecutedVersion": answer.get("ExecutedVersion", "$LATEST"),
            "Payload": result,
            "StatusCode": answer["StatusCode"],
        }
