"""GlueJobFlowHook: StartJobRun backoff, run polling, stop, reattach lookup and log forwarding."""

from __future__ import annotations

import asyncio
import datetime
import threading
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber
from moto import mock_aws

from airflow_glue_flow.exceptions import (
    GlueFlowError,
    GlueJobNotFoundError,
    GlueJobRunTimeoutError,
    GlueJobStartError,
)
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT, GlueJobFlowHook
from airflow_glue_flow.states import JOB_FAILURE_STATES
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from airflow_glue_flow.waits.job_run import job_run_error, log_group_names
from tests.support.fakes import patch_sleep
from tests.support.glue_job_fakes import (
    JOB,
    RUN,
    FakeAsyncLogs,
    FakeGlue,
    client_error,
    patch_glue,
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
    with patch_sleep() as sleep:
        yield sleep


def add_start_error(stubber: Stubber, code: str) -> None:
    stubber.add_client_error("start_job_run", service_error_code=code, service_message=f"{code} said Glue")


def test_start_job_run_passes_arguments_and_returns_the_run_id(hook, stubber, sleeps):
    stubber.add_response(
        "start_job_run", {"JobRunId": RUN}, {"JobName": JOB, "Arguments": {"--OUTPUT": "s3://b/out/"}}
    )
    assert hook.start_job_run(JOB, {"--OUTPUT": "s3://b/out/"}) == RUN
    sleeps.assert_not_called()


def test_start_job_run_retries_with_step_functions_backoff(hook, stubber, sleeps):
    code = "ConcurrentRunsExceededException"
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
    add_start_error(stubber, "ConcurrentRunsExceededException")
    add_start_error(stubber, "ConcurrentRunsExceededException")
    with pytest.raises(GlueJobStartError, match="after 2 attempts: ConcurrentRunsExceededException"):
        hook.start_job_run(JOB, retry_interval=0.5, retry_max_attempts=1, retry_backoff_rate=3)
    assert [c.args[0] for c in sleeps.call_args_list] == [0.5]


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any):
        yield self.data


def test_throttled_start_is_retried_by_botocore_in_standard_mode():
    # botocore's standard retry mode retries throttling errors such as ThrottlingException:
    # https://boto3.amazonaws.com/v1/documentation/api/latest/guide/retries.html
    from botocore.awsrequest import AWSResponse

    hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
    assert hook.conn.meta.config.retries["mode"] == "standard"
    sent: list[Any] = []

    def answer(request: Any, **kwargs: Any) -> AWSResponse:
        sent.append(request)
        if len(sent) <= 2:
            body = b'{"__type": "ThrottlingException", "message": "Rate exceeded"}'
            return AWSResponse(request.url, 400, {"x-amzn-ErrorType": "ThrottlingException"}, _Body(body))
        return AWSResponse(request.url, 200, {}, _Body(b'{"JobRunId": "jr_1"}'))

    hook.conn.meta.events.register("before-send.glue.StartJobRun", answer)
    with patch_sleep() as backoff:
        assert hook.start_job_run(JOB) == "jr_1"
    assert len(sent) == 3
    assert backoff.call_count == 2  # botocore's own backoff between its attempts


@pytest.mark.parametrize(
    ("botocore_config", "env", "mode"),
    [
        ({"retries": {"mode": "adaptive", "max_attempts": 8}}, None, "adaptive"),
        (None, "legacy", "legacy"),
        ({"retries": {"max_attempts": 8}}, None, "standard"),
    ],
    ids=["hook-config", "env", "attempts-only"],
)
def test_a_chosen_retry_mode_wins_over_the_standard_default(monkeypatch, botocore_config, env, mode):
    if env:
        monkeypatch.setenv("AWS_RETRY_MODE", env)
    hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1", config=botocore_config)
    assert hook.conn.meta.config.retries["mode"] == mode
    if botocore_config:
        assert hook.conn.meta.config.retries.get("total_max_attempts") == 9


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
    event = hook.wait_for_job_run(JOB, RUN, poll_interval=5, max_attempts=3)
    assert (event["status"], event["state"], event["run_id"]) == ("error", "FAILED", RUN)
    assert str(GlueFlowError.from_event(event)) == f"Glue job {JOB!r} run {RUN} ended FAILED: boom"
    assert [c.args[0] for c in sleeps.call_args_list] == [5, 5, 5]


def test_wait_for_job_run_times_out_after_exactly_max_attempts_checks(hook, stubber, sleeps):
    for _ in range(3):
        stubber.add_response("get_job_run", job_run_response("RUNNING"))
    error = GlueFlowError.from_event(hook.wait_for_job_run(JOB, RUN, poll_interval=60, max_attempts=3))
    assert type(error) is GlueJobRunTimeoutError
    assert str(error) == f"Glue job {JOB!r} run {RUN} still RUNNING after 3 checks over 180 s"
    assert error.fields["state"] == "RUNNING"


@pytest.mark.parametrize("state", sorted(JOB_FAILURE_STATES))
def test_job_run_error_names_job_run_state_and_aws_message(state):
    error = job_run_error(JOB, {"Id": RUN, "JobRunState": state, "ErrorMessage": "Out of memory"})
    assert str(error) == f"Glue job {JOB!r} run {RUN} ended {state}: Out of memory"


def test_job_run_error_is_none_on_success():
    assert job_run_error(JOB, {"Id": RUN, "JobRunState": "SUCCEEDED"}) is None


def test_find_tagged_run_returns_the_newest_run_with_the_tag(hook, stubber):
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
    assert hook.find_tagged_run(JOB, tag)["Id"] == "jr_3"


def test_find_tagged_run_reads_further_pages_and_returns_none(hook, stubber):
    stubber.add_response("get_job_runs", {"JobRuns": [], "NextToken": "t"})
    stubber.add_response(
        "get_job_runs", {"JobRuns": []}, {"JobName": JOB, "MaxResults": 200, "NextToken": "t"}
    )
    assert hook.find_tagged_run(JOB, "dag/run/task") is None


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


class PuttingGlue(FakeGlue):
    """A FakeGlue whose run writes new log lines between two checks (``put_before`` maps check -> lines)."""

    def __init__(self, put, put_before: dict[int, tuple[str, ...]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.put, self.put_before = put, put_before

    def get_job_run(self, **kwargs: Any) -> dict[str, Any]:
        if lines := self.put_before.get(len(self.calls_to("GetJobRun")) + 1):
            # The job writes them, not the package: put them from another thread, off the package's stack
            # (tests/support/aws_calls.py records the calls made from it).
            writer = threading.Thread(target=self.put, args=lines)
            writer.start()
            writer.join()
        return super().get_job_run(**kwargs)


def test_verbose_wait_forwards_only_new_lines_at_each_check(cloudwatch, capsys):
    hook, put = cloudwatch
    put("reading s3://bucket/in0/", "19 rows")
    glue = PuttingGlue(put, {2: ("wrote out0/part-0.parquet",)}, states=["RUNNING", "SUCCEEDED"])
    glue.add_run(RUN, "STARTING", {})
    with mock.patch.object(GlueJobFlowHook, "conn", glue):
        event = hook.wait_for_job_run(JOB, RUN, poll_interval=0, max_attempts=3, verbose=True)
    assert event["status"] == "success"
    text = capsys.readouterr().out
    assert text.count("reading s3://bucket/in0/") == 1 and text.count("19 rows") == 1
    assert text.count("wrote out0/part-0.parquet") == 1
    assert "/aws-glue/python-jobs/output" in text
    # the first lines came with the first check, the new one with the second
    assert text.index("19 rows") < text.index("is RUNNING (check 1 of 3)") < text.index("wrote out0")


@pytest.mark.parametrize(
    "error",
    [
        client_error("AccessDeniedException", "GetLogEvents"),
        EndpointConnectionError(endpoint_url="https://logs/"),
    ],
    ids=["access-denied", "no-connection"],
)
def test_unreadable_logs_warn_once_and_never_fail_the_wait(error, capsys):
    hook = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1")
    logs = mock.Mock(**{"get_log_events.side_effect": error})
    glue = FakeGlue(states=["RUNNING", "RUNNING", "SUCCEEDED"])
    glue.add_run(RUN, "STARTING", {})
    with (
        mock.patch.object(GlueJobFlowHook, "conn", glue),
        mock.patch("airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_conn", return_value=logs),
    ):
        event = hook.wait_for_job_run(JOB, RUN, poll_interval=0, max_attempts=5, verbose=True)
    assert event["status"] == "success"
    # One call per group at the first check, then those groups are left alone; one warning each.
    assert logs.get_log_events.call_count == 2
    warnings = [line for line in capsys.readouterr().out.splitlines() if "Cannot read Glue job logs" in line]
    assert len(warnings) == 2
    assert "Cannot read Glue job logs from /aws-glue/python-jobs/output (" in warnings[0]


def run_verbose_trigger(glue: FakeGlue, logs: Any, **kwargs: Any) -> dict[str, Any]:
    """Run GlueJobRunTrigger with ``verbose`` on the given fake Glue and async Logs clients."""
    trigger = GlueJobRunTrigger(
        job_name=JOB, run_id=RUN, poll_interval=0, max_attempts=5, verbose=True, aws_conn_id=None, **kwargs
    )

    async def first_event() -> dict[str, Any]:
        async for event in trigger.run():
            return event.payload
        raise AssertionError("no event")

    with (
        patch_glue(glue),
        mock.patch(
            "airflow.providers.amazon.aws.hooks.logs.AwsLogsHook.get_async_conn",
            mock.AsyncMock(return_value=logs),
        ),
    ):
        return asyncio.run(first_event())


def test_async_unreadable_logs_warn_and_never_fail_the_wait():
    logs = FakeAsyncLogs({}, error=client_error("AccessDeniedException", "GetLogEvents"))
    glue = FakeGlue(states=["RUNNING", "SUCCEEDED"])
    glue.add_run(RUN, "STARTING", {})
    assert run_verbose_trigger(glue, logs)["status"] == "success"
    assert len(logs.requests) == 2


def test_async_log_reading_follows_forward_tokens_to_the_end_of_the_stream(capsys):
    # GetLogEvents answers with the token it was given at the end of a stream:
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
    logs = FakeAsyncLogs(
        {
            "/aws-glue/python-jobs/output": [
                {"events": [{"message": "line 1"}]},
                {"events": [{"message": "line 2"}]},
            ],
        }
    )
    glue = FakeGlue(states=["RUNNING", "SUCCEEDED"])
    glue.add_run(RUN, "STARTING", {})
    assert run_verbose_trigger(glue, logs)["status"] == "success"
    out = capsys.readouterr().out
    assert out.count("line 1") == 1 and out.count("line 2") == 1
    output = [r.get("nextToken") for r in logs.requests if r["logGroupName"].endswith("/output")]
    # first check: from the head, then t1, then t2 answers t2 (the end); second check: from t2 only
    assert output == [None, "t1", "t2", "t2"]
    assert {r["logStreamName"] for r in logs.requests} == {RUN}
