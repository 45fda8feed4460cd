"""GlueJobFlowHook: StartJobRun backoff, run polling, stop, reattach lookup and log forwarding."""

from __future__ import annotations

import asyncio
import datetime
import logging
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from airflow_glue_flow.exceptions import (
    GlueJobNotFoundError,
    GlueJobRunTimeoutError,
    GlueJobStartError,
)
from airflow_glue_flow.hooks.job import (
    RUN_TAG_ARGUMENT,
    GlueJobFlowHook,
    LogTokens,
    job_run_error,
    log_group_names,
)
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
    """

    def __init__(
        self, states: list[Any] | None = None, error_message: str = "", start_errors: list[str] | None = None
    ) -> None:
        self.meta = SimpleNamespace(region_name="us-east-1", partition="aws", client=self)
        self.states = list(states or ["SUCCEEDED"])
        self.error_message = error_message
        self.start_errors = list(start_errors or [])
        self.runs: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        #: operation name -> error code it raises (e.g. a missing IAM permission)
        self.failing: dict[str, str] = {}

    def add_run(self, run_id: str, state: str, arguments: dict[str, str]) -> None:
        self.runs[run_id] = {"Id": run_id, "JobName": JOB, "Arguments": arguments, "JobRunState": state}

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


def patch_glue(glue: FakeGlue):
    """Make every GlueJobFlowHook use ``glue`` as its sync and async Glue client."""
    return mock.patch.multiple(
        GlueJobFlowHook, conn=glue, get_async_conn=mock.AsyncMock(return_value=FakeAsyncGlue(glue))
    )


@pytest.fixture(scope="module")
def hook() -> GlueJobFlowHook:
    # One client for the module (building a botocore client is the slow part); each test stubs it afresh.
    return GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")


@pytest.fixture
def stubber(hook):
    with Stubber(hook.conn) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def sleeps():
    with mock.patch("airflow_glue_flow.hooks.job.time.sleep") as sleep:
        yield sleep


def add_start_error(stubber: Stubber, code: str) -> None:
    stubber.add_client_error("start_job_run", service_error_code=code, service_message=f"{code} said Glue")


def test_start_job_run_passes_arguments_and_returns_the_run_id(hook, stubber, sleeps):
    stubber.add_response(
        "start_job_run", {"JobRunId": RUN}, {"JobName": JOB, "Arguments": {"--OUTPUT": "s3://b/out/"}}
    )
    assert hook.start_job_run(JOB, {"--OUTPUT": "s3://b/out/"}) == RUN
    sleeps.assert_not_called()


@pytest.mark.parametrize(
    "code", ["ConcurrentRunsExceededException", "ThrottlingException", "TooManyRequestsException", "SlowDown"]
)
def test_start_job_run_retries_with_step_functions_backoff(hook, stubber, sleeps, code):
    add_start_error(stubber, code)
    add_start_error(stubber, code)
    stubber.add_response("start_job_run", {"JobRunId": RUN})
    assert hook.start_job_run(JOB) == RUN
    assert [c.args[0] for c in sleeps.call_args_list] == [1.0, 2.0]


def test_start_job_run_gives_up_after_max_attempts_retries(hook, stubber, sleeps):
    for _ in range(4):
        add_start_error(stubber, "ConcurrentRunsExceededException")
    with pytest.raises(GlueJobStartError) as raised:
        hook.start_job_run(JOB)
    assert [c.args[0] for c in sleeps.call_args_list] == [1.0, 2.0, 4.0]
    assert raised.value.fields["attempts"] == 4
    assert str(raised.value) == (
        f"Glue job {JOB!r} could not start after 4 attempts: "
        "ConcurrentRunsExceededException: ConcurrentRunsExceededException said Glue"
    )


def test_start_job_run_retry_settings_are_configurable(hook, stubber, sleeps):
    add_start_error(stubber, "ThrottlingException")
    add_start_error(stubber, "ThrottlingException")
    with pytest.raises(GlueJobStartError, match="after 2 attempts: ThrottlingException"):
        hook.start_job_run(JOB, retry_interval=0.5, retry_max_attempts=1, retry_backoff_rate=3)
    assert [c.args[0] for c in sleeps.call_args_list] == [0.5]


def test_start_job_run_unknown_job_is_not_retried(hook, stubber, sleeps):
    stubber.add_client_error("start_job_run", "EntityNotFoundException", "Job se2_job0 not found")
    with pytest.raises(GlueJobNotFoundError, match="'se2_job0' does not exist: Job se2_job0 not found"):
        hook.start_job_run(JOB)
    sleeps.assert_not_called()


def test_start_job_run_other_errors_fail_at_once(hook, stubber, sleeps):
    stubber.add_client_error("start_job_run", "AccessDeniedException", "not allowed")
    with pytest.raises(GlueJobStartError, match="after 1 attempts: AccessDeniedException: not allowed"):
        hook.start_job_run(JOB)
    sleeps.assert_not_called()


def job_run_response(state: str, **extra: Any) -> dict[str, Any]:
    return {"JobRun": {"Id": RUN, "JobName": JOB, "JobRunState": state, **extra}}


def test_wait_for_job_run_returns_the_terminal_run(hook, stubber, sleeps):
    expected = {"JobName": JOB, "RunId": RUN, "PredecessorsIncluded": False}
    stubber.add_response("get_job_run", job_run_response("STARTING"), expected)
    stubber.add_response("get_job_run", job_run_response("RUNNING"), expected)
    stubber.add_response("get_job_run", job_run_response("FAILED", ErrorMessage="boom"), expected)
    job_run = hook.wait_for_job_run(JOB, RUN, poll_interval=5, max_attempts=3)
    assert job_run["JobRunState"] == "FAILED"
    assert [c.args[0] for c in sleeps.call_args_list] == [5, 5, 5]


def test_wait_for_job_run_times_out_after_exactly_max_attempts_checks(hook, stubber, sleeps):
    for _ in range(3):
        stubber.add_response("get_job_run", job_run_response("RUNNING"))
    with pytest.raises(GlueJobRunTimeoutError) as raised:
        hook.wait_for_job_run(JOB, RUN, poll_interval=60, max_attempts=3)
    assert str(raised.value) == f"Glue job {JOB!r} run {RUN} still RUNNING after 3 checks over 180 s"
    assert raised.value.fields["state"] == "RUNNING"


@pytest.mark.parametrize("state", sorted(JOB_FAILURE_STATES))
def test_job_run_error_names_job_run_state_and_aws_message(state):
    error = job_run_error(JOB, {"Id": RUN, "JobRunState": state, "ErrorMessage": "Out of memory"})
    assert str(error) == f"Glue job {JOB!r} run {RUN} ended {state}: Out of memory"


def test_job_run_error_is_none_on_success():
    assert job_run_error(JOB, {"Id": RUN, "JobRunState": "SUCCEEDED"}) is None


def test_find_running_run_matches_tag_and_running_state(hook, stubber):
    tag = "dag/run/task"
    runs = [
        {
            "Id": "jr_4",
            "JobName": JOB,
            "JobRunState": "RUNNING",
            "Arguments": {RUN_TAG_ARGUMENT: "dag/run/other"},
        },
        {"Id": "jr_3", "JobName": JOB, "JobRunState": "STOPPING", "Arguments": {RUN_TAG_ARGUMENT: tag}},
        {"Id": "jr_2", "JobName": JOB, "JobRunState": "RUNNING", "Arguments": {RUN_TAG_ARGUMENT: tag}},
        {"Id": "jr_1", "JobName": JOB, "JobRunState": "FAILED", "Arguments": {RUN_TAG_ARGUMENT: tag}},
    ]
    stubber.add_response("get_job_runs", {"JobRuns": runs}, {"JobName": JOB, "MaxResults": 200})
    assert hook.find_running_run(JOB, tag)["Id"] == "jr_2"


def test_find_running_run_reads_further_pages_and_returns_none(hook, stubber):
    stubber.add_response("get_job_runs", {"JobRuns": [], "NextToken": "t"})
    stubber.add_response(
        "get_job_runs", {"JobRuns": []}, {"JobName": JOB, "MaxResults": 200, "NextToken": "t"}
    )
    assert hook.find_running_run(JOB, "dag/run/task") is None


def test_stop_job_run(hook, stubber):
    stubber.add_response(
        "batch_stop_job_run",
        {"SuccessfulSubmissions": [{"JobName": JOB, "JobRunId": RUN}], "Errors": []},
        {"JobName": JOB, "JobRunIds": [RUN]},
    )
    stubber.add_response(
        "batch_stop_job_run",
        {
            "SuccessfulSubmissions": [],
            "Errors": [
                {
                    "JobName": JOB,
                    "JobRunId": RUN,
                    "ErrorDetail": {
                        "ErrorCode": "InvalidInputException",
                        "ErrorMessage": "already SUCCEEDED",
                    },
                }
            ],
        },
    )
    assert hook.stop_job_run(JOB, RUN) is True
    # The hook's logger, not captured output: where Airflow's log handlers write depends on its version.
    with mock.patch.object(type(hook), "log", new_callable=mock.PropertyMock) as log:
        assert hook.stop_job_run(JOB, RUN) is False
    warning = log.return_value.warning.call_args
    assert "InvalidInputException: already SUCCEEDED" in warning.args[0] % warning.args[1:]


def test_async_get_and_stop_use_the_async_client():
    glue = FakeGlue(states=["RUNNING"])
    glue.add_run(RUN, "STARTING", {})
    with patch_glue(glue):
        hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
        assert asyncio.run(hook.async_get_job_run(JOB, RUN))["JobRunState"] == "RUNNING"
        assert asyncio.run(hook.async_stop_job_run(JOB, RUN)) is True
    assert glue.calls_to("BatchStopJobRun") == [{"JobName": JOB, "JobRunIds": [RUN]}]


def test_log_group_names_fall_back_to_python_shell_group():
    assert log_group_names({"Id": RUN}) == ("/aws-glue/python-jobs/output", "/aws-glue/python-jobs/error")
    assert log_group_names({"Id": RUN, "LogGroupName": "/aws-glue/jobs"}) == (
        "/aws-glue/jobs/output",
        "/aws-glue/jobs/error",
    )


@pytest.fixture
def cloudwatch():
    """moto CloudWatch Logs with the run's output stream (its error stream does not exist yet)."""
    with mock_aws():
        hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
        logs = hook.logs_hook.get_conn()
        logs.create_log_group(logGroupName="/aws-glue/python-jobs/output")
        logs.create_log_stream(logGroupName="/aws-glue/python-jobs/output", logStreamName=RUN)

        def put(*messages: str) -> None:
            now = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
            logs.put_log_events(
                logGroupName="/aws-glue/python-jobs/output",
                logStreamName=RUN,
                logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)],
            )

        yield hook, put


def test_forward_logs_writes_only_new_lines(cloudwatch, caplog):
    hook, put = cloudwatch
    job_run = {"Id": RUN, "LogGroupName": "/aws-glue/python-jobs"}
    tokens = LogTokens()
    log = logging.getLogger("test.glue.logs")
    put("reading s3://bucket/in0/", "19 rows")
    with caplog.at_level(logging.INFO, logger="test.glue.logs"):
        hook.forward_logs(job_run, tokens, log=log)
        first = caplog.text
        put("wrote out0/part-0.parquet")
        caplog.clear()
        hook.forward_logs(job_run, tokens, log=log)
        second = caplog.text
    assert "reading s3://bucket/in0/" in first and "19 rows" in first
    assert "/aws-glue/python-jobs/output" in first
    assert "wrote out0/part-0.parquet" in second and "19 rows" not in second


@pytest.mark.parametrize(
    "error",
    [
        client_error("AccessDeniedException", "GetLogEvents"),
        EndpointConnectionError(endpoint_url="https://logs/"),
    ],
    ids=["access-denied", "no-connection"],
)
def test_unreadable_logs_warn_once_and_never_fail_the_wait(error, caplog):
    hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
    logs = mock.Mock(**{"get_log_events.side_effect": error})
    tokens = LogTokens()
    job_run = {"Id": RUN, "LogGroupName": "/aws-glue/python-jobs"}
    log = logging.getLogger("test.glue.denied_logs")
    with (
        mock.patch("airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_conn", return_value=logs),
        caplog.at_level(logging.WARNING, logger="test.glue.denied_logs"),
    ):
        hook.forward_logs(job_run, tokens, log=log)
        hook.forward_logs(job_run, tokens, log=log)
    # One call per group, then those groups are left alone; one warning each.
    assert logs.get_log_events.call_count == 2
    assert tokens.unreadable == {"/aws-glue/python-jobs/output", "/aws-glue/python-jobs/error"}
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert warnings[0].startswith("Cannot read Glue job logs from /aws-glue/python-jobs/output (")


def test_async_unreadable_logs_warn_and_never_fail_the_wait(caplog):
    logs = FakeAsyncLogs({}, error=client_error("AccessDeniedException", "GetLogEvents"))
    hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
    tokens = LogTokens()
    with mock.patch(
        "airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_async_conn",
        mock.AsyncMock(return_value=logs),
    ):
        asyncio.run(hook.async_forward_logs({"Id": RUN}, tokens))
        asyncio.run(hook.async_forward_logs({"Id": RUN}, tokens))
    assert len(logs.requests) == 2
    assert tokens.unreadable == {"/aws-glue/python-jobs/output", "/aws-glue/python-jobs/error"}


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


def test_async_forward_logs_follows_forward_tokens(caplog):
    logs = FakeAsyncLogs(
        {
            "/aws-glue/jobs/output": [
                {"events": [{"message": "line 1"}]},
                {"events": [{"message": "line 2"}]},
            ],
        }
    )
    hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
    tokens = LogTokens()
    log = logging.getLogger("test.glue.async_logs")
    with (
        mock.patch(
            "airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_async_conn",
            mock.AsyncMock(return_value=logs),
        ),
        caplog.at_level(logging.INFO, logger="test.glue.async_logs"),
    ):
        asyncio.run(hook.async_forward_logs({"Id": RUN, "LogGroupName": "/aws-glue/jobs"}, tokens, log=log))
        assert "line 1" in caplog.text and "line 2" in caplog.text
        caplog.clear()
        asyncio.run(hook.async_forward_logs({"Id": RUN, "LogGroupName": "/aws-glue/jobs"}, tokens, log=log))
    assert caplog.text == ""
    assert tokens.output == "t2"
    assert tokens.error is None
    assert {r["logStreamName"] for r in logs.requests} == {RUN}
