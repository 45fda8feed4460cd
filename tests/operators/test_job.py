"""GlueJobRunOperator: outcomes, XCom, retries, reattach, kill, verbose logs, and sync/deferrable parity."""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from airflow_glue_flow.compat import AirflowTaskTimeout, TaskDeferralTimeout, TaskDeferred
from airflow_glue_flow.exceptions import (
    GlueApiCallError,
    GlueJobNotFoundError,
    GlueJobRunFailedError,
    GlueJobRunTimeoutError,
    GlueJobStartError,
    GlueTaskParameterError,
)
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT, GlueJobFlowHook
from airflow_glue_flow.operators.job import GlueJobRunOperator, normalise_script_args
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY, JOB_FAILURE_STATES
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.support.fakes import FakeTI, patch_sleep
from tests.support.glue_job_fakes import JOB, FakeGlue, client_error, patch_glue
from tests.support.job_operator import TAG, operator, run_deferred, run_sync


def test_class_contract():
    assert GlueJobRunOperator.glue_resource_type == "job"
    assert {"job_name", "script_args", "aws_conn_id", "region_name"} <= set(
        GlueJobRunOperator.template_fields
    )


def test_success_returns_run_id_and_pushes_state_run_id_and_link():
    result, ti = run_sync(FakeGlue(states=["STARTING", "RUNNING", "SUCCEEDED"]))
    assert result == "jr_1"
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "SUCCEEDED"
    assert ti.xcom["glue_job_run_id"] == "jr_1"
    assert ti.xcom["glue_job_run"]["job_name"] == JOB and ti.xcom["glue_job_run"]["job_run_id"] == "jr_1"


@pytest.mark.parametrize("state", sorted(JOB_FAILURE_STATES))
def test_each_failure_state_raises_with_job_run_state_and_aws_message(state):
    glue = FakeGlue(states=["RUNNING", state], error_message="ZeroDivisionError: division by zero")
    error, ti = run_sync(glue)
    assert type(error) is GlueJobRunFailedError
    assert str(error) == f"Glue job {JOB!r} run jr_1 ended {state}: ZeroDivisionError: division by zero"
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == state


def test_wait_out_of_attempts_raises_timeout_and_pushes_last_state():
    glue = FakeGlue(states=["RUNNING"])
    error, ti = run_sync(glue, max_attempts=2)
    assert type(error) is GlueJobRunTimeoutError
    assert str(error) == f"Glue job {JOB!r} run jr_1 still RUNNING after 2 checks over 0 s"
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "RUNNING"
    assert len(glue.calls_to("GetJobRun")) == 2
    # The run keeps going so that a retry of the task can reattach to it.
    assert glue.calls_to("BatchStopJobRun") == []


def test_no_wait_returns_right_after_start():
    glue = FakeGlue()
    result, ti = run_sync(glue, wait_for_completion=False)
    assert result == "jr_1"
    assert glue.calls_to("GetJobRun") == []
    assert GLUE_STATE_XCOM_KEY not in ti.xcom


def test_script_args_are_normalised_and_tagged_with_the_task_instance():
    glue = FakeGlue()
    run_sync(glue, script_args={"OUTPUT": "s3://bucket/out0/", "--limit": 10, "dry_run": False})
    assert glue.calls_to("StartJobRun") == [
        {
            "JobName": JOB,
            "Arguments": {
                "--OUTPUT": "s3://bucket/out0/",
                "--limit": "10",
                "--dry_run": "False",
                RUN_TAG_ARGUMENT: TAG,
            },
        }
    ]


def test_without_reattach_no_tag_is_added():
    glue = FakeGlue()
    run_sync(glue, script_args={"a": 1}, reattach_on_retry=False)
    assert glue.calls_to("StartJobRun")[0]["Arguments"] == {"--a": "1"}


@pytest.mark.parametrize(
    ("script_args", "problem"),
    [
        (["--a", "1"], "must be a dict"),
        ({"--": "x"}, "empty argument name"),
        ({"a": None}, "is None"),
        ({"a": "1", "--a": "2"}, "--a twice"),
    ],
)
def test_bad_script_args_fail_before_any_aws_call(script_args, problem):
    glue = FakeGlue()
    with (
        patch_glue(glue),
        pytest.raises(GlueTaskParameterError, match=f"^Task 'run_job': script_args.*{problem}"),
    ):
        operator(script_args=script_args).execute({"ti": FakeTI()})
    assert glue.calls == []


def test_normalise_script_args_keeps_values_as_strings():
    assert normalise_script_args("t", None) == {}
    assert normalise_script_args("t", {"K": "v", "--N": 3}) == {"--K": "v", "--N": "3"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_attempts": 0}, "max_attempts=0 must be at least 1"),
        ({"poll_interval": -1}, "poll_interval=-1 must be a finite number >= 0"),
        ({"max_attempts": "many"}, "max_attempts='many' is not a whole number"),
        ({"job_name": ""}, "job_name='' must be a non-empty string"),
        ({"retry_backoff_rate": 0.5}, "retry_backoff_rate=0.5 must be at least 1"),
        ({"retry_max_attempts": -1}, "retry_max_attempts=-1 must be at least 0"),
    ],
)
def test_bad_parameters_fail_at_task_start_naming_the_task(kwargs, message):
    glue = FakeGlue()
    with patch_glue(glue), pytest.raises(GlueTaskParameterError) as raised:
        operator(**kwargs).execute({"ti": FakeTI()})
    assert str(raised.value) == f"Task 'run_job': {message}"
    assert glue.calls == []


def test_templated_wait_settings_are_converted():
    glue = FakeGlue(states=["RUNNING", "SUCCEEDED"])
    result, _ = run_sync(glue, poll_interval="0", max_attempts="2")
    assert result == "jr_1"


def test_start_is_retried_then_succeeds():
    glue = FakeGlue(start_errors=["ConcurrentRunsExceededException"])
    with patch_sleep() as sleep:
        result, _ = run_sync(glue)
    assert result == "jr_1"
    assert len(glue.calls_to("StartJobRun")) == 2
    assert sleep.call_args_list[0].args == (1,)


def test_throttling_is_left_to_botocore_not_retried_again():
    # botocore's retry modes retry throttled calls (tests/hooks: standard mode); what reaches the
    # operator has used them up.
    glue = FakeGlue(start_errors=["ThrottlingException"])
    with patch_sleep() as sleep:
        result, _ = run_sync(glue)
    assert type(result) is GlueJobStartError
    assert str(result) == (
        f"Glue job {JOB!r} could not start after 1 attempts: ThrottlingException: ThrottlingException said Glue"
    )
    sleep.assert_not_called()


def test_start_retries_exhausted_raise_start_error():
    glue = FakeGlue(start_errors=["ConcurrentRunsExceededException"] * 3)
    with patch_sleep():
        error, ti = run_sync(glue, retry_max_attempts=2, retry_interval=5, retry_backoff_rate=3)
    assert type(error) is GlueJobStartError
    assert "could not start after 3 attempts: ConcurrentRunsExceededException" in str(error)
    assert ti.xcom == {}


def test_unknown_job_raises_not_found():
    glue = FakeGlue(start_errors=["EntityNotFoundException"])
    error, _ = run_sync(glue)
    assert type(error) is GlueJobNotFoundError
    assert JOB in str(error)


def test_retry_reattaches_to_the_run_of_an_earlier_try():
    glue = FakeGlue(states=["RUNNING", "SUCCEEDED"])
    glue.add_run("jr_other", "RUNNING", {RUN_TAG_ARGUMENT: "glue_flow/manual__2/run_job"})
    glue.add_run("jr_first_try", "RUNNING", {RUN_TAG_ARGUMENT: TAG})
    result, ti = run_sync(glue, ti=FakeTI(try_number=2))
    assert result == "jr_first_try"
    assert glue.calls_to("StartJobRun") == []
    assert ti.xcom["glue_job_run_id"] == "jr_first_try"


def test_retry_starts_a_new_run_when_the_earlier_one_has_ended():
    glue = FakeGlue(states=["SUCCEEDED"])
    glue.add_run("jr_first_try", "FAILED", {RUN_TAG_ARGUMENT: TAG})
    result, _ = run_sync(glue, ti=FakeTI(try_number=2))
    assert result == "jr_2"
    assert len(glue.calls_to("StartJobRun")) == 1


def test_retry_without_permission_to_list_runs_starts_a_new_run():
    glue = FakeGlue()
    glue.failing["GetJobRuns"] = "AccessDeniedException"
    result, _ = run_sync(glue, ti=FakeTI(try_number=2))
    assert result == "jr_1"
    assert len(glue.calls_to("GetJobRuns")) == 1


def test_first_try_does_not_look_for_earlier_runs():
    glue = FakeGlue()
    run_sync(glue)
    assert glue.calls_to("GetJobRuns") == []


def test_on_kill_stops_the_run_being_waited_for():
    glue = FakeGlue(states=["RUNNING"])
    op = operator()
    # The task runner raises AirflowTaskTimeout in the waiting task, then calls on_kill().
    with (
        patch_glue(glue),
        patch_sleep(side_effect=[None, AirflowTaskTimeout()]),
    ):
        with pytest.raises(AirflowTaskTimeout):
            op.execute({"ti": FakeTI()})
        op.on_kill()
    assert glue.calls_to("BatchStopJobRun") == [{"JobName": JOB, "JobRunIds": ["jr_1"]}]


def test_on_kill_that_cannot_stop_the_run_does_not_raise():
    glue = FakeGlue(states=["RUNNING"])
    glue.failing["BatchStopJobRun"] = "AccessDeniedException"
    op = operator(wait_for_completion=False)
    with patch_glue(glue):
        op.execute({"ti": FakeTI()})
        op.on_kill()
    assert len(glue.calls_to("BatchStopJobRun")) == 1


def test_on_kill_after_the_run_ended_stops_nothing():
    glue = FakeGlue(states=["FAILED"])
    op = operator()
    with patch_glue(glue):
        with pytest.raises(GlueJobRunFailedError):
            op.execute({"ti": FakeTI()})
        op.on_kill()
    assert glue.calls_to("BatchStopJobRun") == []


def test_verbose_streams_cloudwatch_output_and_error_lines_while_waiting(capsys):
    glue = FakeGlue(states=["RUNNING", "SUCCEEDED"])
    with mock_aws():
        logs = GlueJobFlowHook(aws_conn_id=None, region_name="us-east-1").logs_hook.get_conn()
        now = int(datetime.datetime.now(datetime.UTC).timestamp() * 1000)
        for group, message in (("output", "converted 19 rows"), ("error", "WARN slow S3 listing")):
            logs.create_log_group(logGroupName=f"/aws-glue/python-jobs/{group}")
            logs.create_log_stream(logGroupName=f"/aws-glue/python-jobs/{group}", logStreamName="jr_1")
            logs.put_log_events(
                logGroupName=f"/aws-glue/python-jobs/{group}",
                logStreamName="jr_1",
                logEvents=[{"timestamp": now, "message": message}],
            )
        run_sync(glue, verbose=True)
    out = capsys.readouterr().out
    assert "converted 19 rows" in out and "WARN slow S3 listing" in out
    assert out.count("converted 19 rows") == 1


def test_deferrable_defers_with_the_trigger_after_pushing_the_run_id():
    glue = FakeGlue()
    ti = FakeTI()
    with patch_glue(glue), pytest.raises(TaskDeferred) as deferred:
        operator(deferrable=True, verbose=True, max_attempts=7, poll_interval=2).execute({"ti": ti})
    assert isinstance(deferred.value.trigger, GlueJobRunTrigger)
    assert deferred.value.method_name == "execute_complete"
    assert deferred.value.trigger.serialize()[1] == {
        "job_name": JOB,
        "run_id": "jr_1",
        "poll_interval": 2.0,
        "max_attempts": 7,
        "verbose": True,
        "stop_on_kill": True,
        "follow_retries": True,
        "aws_conn_id": None,
        "region_name": "us-east-1",
        "verify": None,
        "botocore_config": None,
        "end_from_trigger": True,
    }
    assert ti.xcom["glue_job_run_id"] == "jr_1"
    assert glue.calls_to("GetJobRun") == []


def test_deferred_wait_uses_the_same_client_settings_as_the_sync_wait():
    settings = {"verify": False, "botocore_config": {"retries": {"mode": "standard", "max_attempts": 7}}}
    op = operator(deferrable=True, **settings)
    with patch_glue(FakeGlue()), pytest.raises(TaskDeferred) as deferred:
        op.execute({"ti": FakeTI()})
    trigger = GlueJobRunTrigger(**deferred.value.trigger.serialize()[1])
    for hook in (op.hook, trigger.hook):
        assert hook.verify is False
        assert hook.config.retries == {"mode": "standard", "max_attempts": 7}


OUTCOMES = [["RUNNING", "SUCCEEDED"]] + [["RUNNING", s] for s in sorted(JOB_FAILURE_STATES)] + [["RUNNING"]]


@pytest.mark.parametrize("states", OUTCOMES, ids=lambda s: s[-1] if len(s) > 1 else "timeout")
def test_deferrable_reaches_the_same_outcome_error_and_xcom_as_sync(states):
    sync_result, sync_ti = run_sync(FakeGlue(states=states, error_message="job script raised"))
    deferred_result, deferred_ti = run_deferred(FakeGlue(states=states, error_message="job script raised"))
    assert type(deferred_result) is type(sync_result)
    assert str(deferred_result) == str(sync_result)
    assert deferred_ti.xcom[GLUE_STATE_XCOM_KEY] == sync_ti.xcom[GLUE_STATE_XCOM_KEY]


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            client_error("AccessDeniedException", "GetJobRun"),
            "AccessDeniedException: AccessDeniedException said Glue",
        ),
        (
            EndpointConnectionError(endpoint_url="https://glue.us-east-1.amazonaws.com/"),
            'EndpointConnectionError: Could not connect to the endpoint URL: "https://glue.us-east-1.amazonaws.com/"',
        ),
    ],
    ids=["access-denied", "no-connection"],
)
def test_failed_get_job_run_raises_the_same_api_error_in_both_modes_and_leaves_the_run(error, said):
    results = {}
    for mode, run in (("sync", run_sync), ("deferred", run_deferred)):
        glue = FakeGlue(states=["RUNNING", error])
        result, ti = run(glue)
        assert GLUE_STATE_XCOM_KEY not in ti.xcom, mode  # the run's state is unknown
        assert glue.calls_to("BatchStopJobRun") == [], mode
        results[mode] = result
    assert type(results["sync"]) is GlueApiCallError
    assert str(results["sync"]) == f"Glue job {JOB!r} run jr_1: GetJobRun failed: {said}"
    assert type(results["deferred"]) is GlueApiCallError
    assert str(results["deferred"]) == str(results["sync"])


def test_deferral_timeout_stops_the_run():
    glue = FakeGlue(states=["RUNNING"])
    ti = FakeTI()
    ti.xcom["glue_job_run_id"] = "jr_1"
    glue.add_run("jr_1", "RUNNING", {})
    with patch_glue(glue), pytest.raises(TaskDeferralTimeout):
        operator(deferrable=True).resume_execution("__fail__", {"error": "Trigger timeout"}, {"ti": ti})
    assert glue.calls_to("BatchStopJobRun") == [{"JobName": JOB, "JobRunIds": ["jr_1"]}]


def test_trigger_crash_does_not_stop_the_run():
    glue = FakeGlue()
    ti = FakeTI()
    ti.xcom["glue_job_run_id"] = "jr_1"
    with patch_glue(glue), pytest.raises(Exception, match="Trigger failure"):
        operator(deferrable=True).resume_execution("__fail__", {"error": "Trigger failure"}, {"ti": ti})
    assert glue.calls_to("BatchStopJobRun") == []
