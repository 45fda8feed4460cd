"""Stand-ins for the Glue job client (sync and aiobotocore-shaped) and CloudWatch Logs, shared by the
job hook, operator, trigger and DAG tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from unittest import mock

from botocore.exceptions import ClientError

from airflow_glue_flow.hooks.job import GlueJobFlowHook
from airflow_glue_flow.states import JOB_FAILURE_STATES

JOB = "se2_job0"
RUN = "jr_0123456789abcdef"


def client_error(code: str, operation: str = "StartJobRun") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} said Glue"}}, operation)


class FakeGlue:
    """In-memory stand-in for the Glue client: runs start, then report scripted states.

    :param states: states returned by successive GetJobRun calls (the last one repeats); an exception
        in the list is raised instead.
    :param error_message: ``JobRun.ErrorMessage`` of runs that end in a failure state.
    :param start_errors: error codes StartJobRun raises, one per call, before it succeeds.
    :param max_retries: the job's MaxRetries (GetJob).
    """

    def __init__(
        self,
        states: list[Any] | None = None,
        error_message: str = "",
        start_errors: list[str] | None = None,
        max_retries: int = 0,
    ) -> None:
        self.meta = SimpleNamespace(region_name="us-east-1", partition="aws", client=self)
        self.states = list(states or ["SUCCEEDED"])
        self.error_message = error_message
        self.start_errors = list(start_errors or [])
        self.max_retries = max_retries
        self.runs: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        #: operation name -> error code it raises (e.g. a missing IAM permission)
        self.failing: dict[str, str] = {}

    def add_run(self, run_id: str, state: str, arguments: dict[str, str], **extra: Any) -> None:
        self.runs[run_id] = {
            "Id": run_id,
            "JobName": JOB,
            "Arguments": arguments,
            "JobRunState": state,
            "Attempt": 0,
            **extra,
        }

    def calls_to(self, operation: str) -> list[dict[str, Any]]:
        return [kwargs for name, kwargs in self.calls if name == operation]

    def start_job_run(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("StartJobRun", kwargs))
        if self.start_errors:
            raise client_error(self.start_errors.pop(0))
        run_id = f"jr_{len(self.runs) + 1}"
        self.add_run(run_id, "STARTING", kwargs["Arguments"])
        return {"JobRunId": run_id}

    def get_job_run(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetJobRun", kwargs))
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        if isinstance(state, BaseException):
            raise state
        run = self.runs[kwargs["RunId"]]
        run["JobRunState"] = state
        if state in JOB_FAILURE_STATES and self.error_message:
            run["ErrorMessage"] = self.error_message
        return {"JobRun": {**run, "LogGroupName": "/aws-glue/python-jobs"}}

    def get_job(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetJob", kwargs))
        if "GetJob" in self.failing:
            raise client_error(self.failing["GetJob"], "GetJob")
        return {"Job": {"Name": kwargs["JobName"], "MaxRetries": self.max_retries}}

    def get_job_runs(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("GetJobRuns", kwargs))
        if "GetJobRuns" in self.failing:
            raise client_error(self.failing["GetJobRuns"], "GetJobRuns")
        return {
            "JobRuns": [dict(r) for r in reversed(self.runs.values()) if r["JobName"] == kwargs["JobName"]]
        }

    def get_paginator(self, name: str) -> SimpleNamespace:
        assert name == "get_job_runs"

        def paginate(JobName: str, **kwargs: Any) -> list[dict[str, Any]]:
            self.calls.append(("GetJobRuns", {"JobName": JobName}))
            if "GetJobRuns" in self.failing:
                raise client_error(self.failing["GetJobRuns"], "GetJobRuns")
            return [{"JobRuns": [dict(r) for r in reversed(self.runs.values()) if r["JobName"] == JobName]}]

        return SimpleNamespace(paginate=paginate)

    def batch_stop_job_run(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(("BatchStopJobRun", kwargs))
        if "BatchStopJobRun" in self.failing:
            raise client_error(self.failing["BatchStopJobRun"], "BatchStopJobRun")
        for run_id in kwargs["JobRunIds"]:
            self.runs[run_id]["JobRunState"] = "STOPPING"
        return {
            "SuccessfulSubmissions": [
                {"JobName": kwargs["JobName"], "JobRunId": i} for i in kwargs["JobRunIds"]
            ],
            "Errors": [],
        }


class FakeAsyncGlue:
    """Async face of a :class:`FakeGlue`, shaped like an aiobotocore client (an async context manager)."""

    def __init__(self, glue: FakeGlue) -> None:
        self.glue = glue

    async def __aenter__(self) -> FakeAsyncGlue:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_job_run(self, **kwargs: Any) -> dict[str, Any]:
        return self.glue.get_job_run(**kwargs)

    async def batch_stop_job_run(self, **kwargs: Any) -> dict[str, Any]:
        return self.glue.batch_stop_job_run(**kwargs)

    async def get_job(self, **kwargs: Any) -> dict[str, Any]:
        return self.glue.get_job(**kwargs)

    async def get_job_runs(self, **kwargs: Any) -> dict[str, Any]:
        return self.glue.get_job_runs(**kwargs)


def patch_glue(glue: FakeGlue):
    """Make every GlueJobFlowHook use ``glue`` as its sync and async Glue client."""
    return mock.patch.multiple(
        GlueJobFlowHook, conn=glue, get_async_conn=mock.AsyncMock(return_value=FakeAsyncGlue(glue))
    )


class FakeAsyncLogs:
    """aiobotocore-shaped CloudWatch Logs client over scripted pages; a missing group raises like AWS.

    :param error: raised by every GetLogEvents call instead, when given.
    """

    def __init__(self, pages: dict[str, list[dict[str, Any]]], error: BaseException | None = None) -> None:
        self.pages = pages
        self.error = error
        self.requests: list[dict[str, Any]] = []

    async def __aenter__(self) -> FakeAsyncLogs:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def get_log_events(self, **kwargs: Any) -> dict[str, Any]:
        self.requests.append(kwargs)
        if self.error is not None:
            raise self.error
        group = kwargs["logGroupName"]
        if group not in self.pages:
            raise client_error("ResourceNotFoundException", "GetLogEvents")
        token = kwargs.get("nextToken", "t0")
        index = int(token[1:])
        if index >= len(self.pages[group]):
            return {"events": [], "nextForwardToken": token}
        return {**self.pages[group][index], "nextForwardToken": f"t{index + 1}"}
