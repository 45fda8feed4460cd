"""GlueJobRunOperator: outcomes, XCom, retries, reattach, kill, verbose logs, and sync/deferrable parity."""

from __future__ import annotations

import asyncio
import datetime
import time
from typing import Any
from unittest import mock

import pendulum
import pytest
from airflow.sdk import DAG, task
from airflow.triggers.base import BaseTaskEndEvent
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from airflow_glue_flow.compat import AirflowTaskTimeout, TaskDeferralTimeout, TaskDeferred
from airflow_glue_flow.exceptions import (
    GlueApiCallError,
    GlueFlowError,
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
from tests.conftest import task_states
from tests.hooks.test_job import JOB, FakeGlue, client_error, patch_glue
from tests.local_glue import SLEEPING_SCRIPT, create_python_job
from tests.support.airflow_internals import parse_dags
from tests.support.fakes import FakeTI, patch_sleep
from tests.support.triggerer import pushed_xcoms, real_trigger_events

TAG = "glue_flow/manual__1/run_job"


def operator(**kwargs: Any) -> GlueJobRunOperator:
    defaults: dict[str, Any] = {
        "task_id": "run_job",
        "job_name": JOB,
        "poll_interval": 0,
        "max_attempts": 3,
        "aws_conn_id": None,
        "region_name": "us-east-1",
    }
    return GlueJobRunOperator(**{**defaults, **kwargs})


def run_sync(glue: FakeGlue, ti: FakeTI | None = None, **kwargs: Any) -> tuple[Any, FakeTI]:
    """Execute the operator in sync mode; return (run id or raised error, task instance)."""
    ti = ti or FakeTI()
    with patch_glue(glue):
        try:
            return operator(deferrable=False, **kwargs).execute({"ti": ti}), ti
        except GlueFlowError as error:
            return error, ti


def run_deferred(glue: FakeGlue, **kwargs: Any) -> tuple[Any, FakeTI]:
    """Execute in deferrable mode: defer, run the trigger, resume; return (run id or error, task instance)."""
    ti = FakeTI()
    op = operator(deferrable=True, **kwargs)
    with patch_glue(glue):
        with pytest.raises(TaskDeferred) as deferred:
            op.execute({"ti": ti})
        classpath, trigger_kwargs = deferred.value.trigger.serialize()
        trigger = GlueJobRunTrigger(**trigger_kwargs)
        trigger.task_instance = ti  # as the triggerer does
        with pushed_xcoms() as pushed:
            event = asyncio.run(first_event_of(trigger))
        ti.xcom.update({key: value for (_task_id, key), value in pushed.items()})
        if isinstance(event, BaseTaskEndEvent):
            # The triggerer ended the task: what it pushed is what the task returned.
            return ti.xcom.pop("return_value"), ti
        try:
            return getattr(op, deferred.value.method_name)({"ti": ti}, event=event.payload), ti
        except GlueFlowError as error:
            return error, ti


async def first_event_of(trigger: GlueJobRunTrigger) -> Any:
    async for event in trigger.run():
        return event
    raise AssertionError("trigger ended without an event")


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


# --- whole DAG runs (dag.test) -------------------------------------------------------------------


def glue_dag(dag_id: str, expected_state: str, **op_kwargs: Any) -> DAG:
    """run_job -> check_state (all_done), which fails unless run_job's XCom glue_state is expected."""
    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False) as dag:
        run_job = operator(**op_kwargs)

        @task(trigger_rule="all_done")
        def check_state(ti=None) -> str:
            state = ti.xcom_pull(task_ids="run_job", key=GLUE_STATE_XCOM_KEY)
            if state != expected_state:
                raise ValueError(f"glue_state is {state!r}, expected {expected_state!r}")
            return state

        run_job >> check_state()
    return dag


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
@pytest.mark.parametrize(("final", "job_state"), [("SUCCEEDED", "success"), ("FAILED", "failed")])
def test_dag_downstream_all_done_task_reads_glue_state(run_dag, deferrable, final, job_state):
    glue = FakeGlue(states=["RUNNING", final], error_message="script exited 1")
    dag = glue_dag(f"glue_job_{final.lower()}_{int(deferrable)}", final, deferrable=deferrable)
    with patch_glue(glue):
        dr = run_dag(dag)
        # Deferrable mode polls with the async client, in the (inline) triggerer.
        assert GlueJobFlowHook.get_async_conn.called is deferrable
    assert task_states(dr) == {"run_job": job_state, "check_state": "success"}


def test_dag_retry_reattaches_after_the_first_try_died_mid_wait(run_dag):
    # The first try loses its connection while waiting; its run keeps going and the retry adopts it.
    glue = FakeGlue(states=[client_error("InternalServiceException", "GetJobRun"), "RUNNING", "SUCCEEDED"])
    dag = glue_dag("glue_job_reattach", "SUCCEEDED", retries=1, retry_delay=datetime.timedelta(0))
    with patch_glue(glue):
        dr = run_dag(dag)
    assert task_states(dr) == {"run_job": "success", "check_state": "success"}
    assert len(glue.calls_to("StartJobRun")) == 1
    assert [c["RunId"] for c in glue.calls_to("GetJobRun")] == ["jr_1", "jr_1", "jr_1"]


def test_dag_deferred_success_is_ended_by_the_triggerer_with_the_tasks_xcoms(run_dag):
    from airflow.triggers.base import TaskSuccessEvent

    glue = FakeGlue(states=["RUNNING", "SUCCEEDED"])
    dag = glue_dag("glue_job_end_from_trigger", "SUCCEEDED", deferrable=True)
    with (
        patch_glue(glue),
        real_trigger_events() as events,
        mock.patch.object(GlueJobRunOperator, "execute_complete", side_effect=AssertionError("resumed")),
    ):
        dr = run_dag(dag)
    assert [type(e) for e in events] == [TaskSuccessEvent]
    assert task_states(dr) == {"run_job": "success", "check_state": "success"}
    ti = dr.get_task_instance("run_job")
    assert ti.xcom_pull(task_ids="run_job") == "jr_1"
    assert ti.xcom_pull(task_ids="run_job", key=GLUE_STATE_XCOM_KEY) == "SUCCEEDED"
    assert ti.xcom_pull(task_ids="run_job", key="glue_job_run_id") == "jr_1"
    assert len(glue.calls_to("GetJobRun")) == 2  # the trigger's two checks; no worker read it again


def test_dag_deferred_failure_still_resumes_and_raises_the_sync_error(run_dag, task_errors):
    glue = FakeGlue(states=["RUNNING", "FAILED"], error_message="script exited 1")
    dag = glue_dag("glue_job_end_from_trigger_failed", "FAILED", deferrable=True)
    with patch_glue(glue), real_trigger_events():
        dr = run_dag(dag)
    assert task_states(dr) == {"run_job": "failed", "check_state": "success"}
    error = task_errors["run_job"]
    assert type(error) is GlueJobRunFailedError
    assert str(error) == f"Glue job {JOB!r} run jr_1 ended FAILED: script exited 1"


class LostAnswerGlue(FakeGlue):
    """The first GetJobRun fails although the run has just SUCCEEDED (the task fails, the run did its work)."""

    def get_job_run(self, **kwargs: Any) -> dict[str, Any]:
        if not self.calls_to("GetJobRun"):
            self.calls.append(("GetJobRun", kwargs))
            self.runs[kwargs["RunId"]]["JobRunState"] = "SUCCEEDED"
            raise client_error("InternalServiceException", "GetJobRun")
        return super().get_job_run(**kwargs)


def test_dag_retry_adopts_the_run_that_succeeded_after_its_task_failed(run_dag):
    glue = LostAnswerGlue(states=["SUCCEEDED"])
    dag = glue_dag("glue_job_adopt_succeeded", "SUCCEEDED", retries=1, retry_delay=datetime.timedelta(0))
    with patch_glue(glue):
        dr = run_dag(dag)
    assert task_states(dr) == {"run_job": "success", "check_state": "success"}
    assert len(glue.calls_to("StartJobRun")) == 1  # healed without a second job run
    assert len(glue.calls_to("GetJobRun")) == 1


@pytest.mark.parametrize(
    ("try_number", "max_tries", "earlier_state", "rerun_failed", "starts"),
    [
        (2, 1, "SUCCEEDED", True, False),  # automatic retry: the run did its work
        (3, 3, "SUCCEEDED", True, True),  # first try after a user cleared the task: run the job again
        (2, 1, "FAILED", True, True),  # a failed run is what the retry is for...
        (2, 1, "FAILED", False, False),  # ...unless retries only heal failures outside Glue
        (3, 3, "FAILED", False, True),  # a user clear still runs the job again
        (2, 1, "STOPPING", True, True),
        (2, 1, "RUNNING", True, False),
    ],
)
def test_which_earlier_run_a_try_carries_on_with(try_number, max_tries, earlier_state, rerun_failed, starts):
    glue = FakeGlue(states=["SUCCEEDED"])
    glue.add_run("jr_0", earlier_state, {RUN_TAG_ARGUMENT: TAG}, ErrorMessage="bad row 7")
    ti = FakeTI(try_number=try_number)
    ti.max_tries = max_tries
    result, ti = run_sync(glue, ti=ti, retries=1, rerun_failed_on_retry=rerun_failed)
    assert len(glue.calls_to("StartJobRun")) == int(starts)
    if starts or earlier_state != "FAILED":
        assert result == ("jr_2" if starts else "jr_0")
        assert ti.xcom[GLUE_STATE_XCOM_KEY] == "SUCCEEDED"
    else:
        assert type(result) is GlueJobRunFailedError
        assert str(result) == f"Glue job {JOB!r} run jr_0 ended FAILED: bad row 7"
        assert ti.xcom[GLUE_STATE_XCOM_KEY] == "FAILED"
    assert ti.xcom["glue_job_run_id"] == ("jr_2" if starts else "jr_0")


def test_the_ready_dags_glue_job_tasks_retry_without_running_a_job_twice():
    from tests.conftest import REPO_ROOT

    bag = parse_dags(REPO_ROOT / "dags")
    jobs = [t for d in bag.dags.values() for t in d.tasks if isinstance(t, GlueJobRunOperator)]
    assert {t.task_id for t in jobs} == {"csv_to_parquet", "run_job", "encode_logs", "load_datalake"}
    for job_task in jobs:
        assert job_task.retries == 1 and job_task.reattach_on_retry, job_task.task_id
        assert job_task.rerun_failed_on_retry is False, job_task.task_id
        assert job_task.end_from_trigger is True, job_task.task_id


# --- end to end against the local Glue (real runs of Python-shell scripts over HTTP) ---------------

FAILING_SCRIPT = b"""
import sys
print("reading s3://bucket/in0/csvlog.csv")
sys.stderr.write("a warning on stderr\\n")
raise ValueError("bad row 7")
"""


@pytest.fixture
def local_job(aws_conn_id, glue_client, s3_client, bucket, unique):
    """Create Python-shell jobs in the local Glue; the ``glue_local`` connection points at it."""

    def create(script: bytes, **job: Any) -> str:
        name = unique("job")
        create_python_job(glue_client, s3_client, bucket, name, script, **job)
        return name

    return create, glue_client


def local_operator(job_name: str, **kwargs: Any) -> GlueJobRunOperator:
    return operator(
        **{
            "job_name": job_name,
            "aws_conn_id": "glue_local",
            "poll_interval": 0.2,
            "max_attempts": 150,
            **kwargs,
        }
    )


@pytest.mark.slow
def test_local_glue_failed_run_in_sync_mode_with_verbose_logs(local_job, capsys):
    create, _ = local_job
    ti = FakeTI()
    with pytest.raises(GlueJobRunFailedError) as raised:
        local_operator(create(FAILING_SCRIPT), verbose=True).execute({"ti": ti})
    assert raised.value.fields["state"] == "FAILED"
    assert str(raised.value).endswith("ended FAILED: ValueError: bad row 7")
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "FAILED"
    out = capsys.readouterr().out
    assert "reading s3://bucket/in0/csvlog.csv" in out and "a warning on stderr" in out


@pytest.mark.slow
@pytest.mark.parametrize("script", [FAILING_SCRIPT, b"print('ok')\n"], ids=["failed", "succeeded"])
def test_local_glue_deferrable_dag_run(local_job, run_dag, script, request, capsys):
    create, _ = local_job
    job_name = create(script)
    expected = "FAILED" if script is FAILING_SCRIPT else "SUCCEEDED"
    dag_id = f"glue_local_{request.node.callspec.id}"
    with DAG(dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1), catchup=False) as dag:
        run_job = local_operator(job_name, deferrable=True, verbose=True)

        @task(trigger_rule="all_done")
        def check_state(ti=None) -> None:
            if (state := ti.xcom_pull(task_ids="run_job", key=GLUE_STATE_XCOM_KEY)) != expected:
                raise ValueError(f"glue_state is {state!r}")

        run_job >> check_state()
    dr = run_dag(dag)
    run_job_state = "success" if expected == "SUCCEEDED" else "failed"
    assert task_states(dr) == {"run_job": run_job_state, "check_state": "success"}
    # verbose: the trigger copied the run's CloudWatch lines (read with the async Logs client).
    out = capsys.readouterr().out
    assert (
        ("a warning on stderr" in out)
        if expected == "FAILED"
        else ("Glue Job Run /aws-glue/python-jobs/output" in out)
    )


@pytest.mark.slow
def test_local_glue_timeout_then_retry_reattaches_then_kill_stops_the_run(local_job):
    create, glue = local_job
    job_name = create(SLEEPING_SCRIPT)
    with pytest.raises(GlueJobRunTimeoutError):
        local_operator(job_name, max_attempts=3).execute({"ti": FakeTI()})
    [first] = glue.get_job_runs(JobName=job_name)["JobRuns"]

    retry = local_operator(job_name)
    with patch_sleep(side_effect=AirflowTaskTimeout()):
        with pytest.raises(AirflowTaskTimeout):
            retry.execute({"ti": FakeTI(try_number=2)})
        retry.on_kill()

    assert [r["Id"] for r in glue.get_job_runs(JobName=job_name)["JobRuns"]] == [first["Id"]]
    assert first["Arguments"][RUN_TAG_ARGUMENT] == TAG
    deadline = time.monotonic() + 30
    while (
        state := glue.get_job_run(JobName=job_name, RunId=first["Id"])["JobRun"]["JobRunState"]
    ) != "STOPPED":
        assert time.monotonic() < deadline, f"run still {state}"
        time.sleep(0.05)


def run_local(op: GlueJobRunOperator, deferrable: bool) -> tuple[Any, FakeTI]:
    """Run against the local Glue, waiting in the worker or through the trigger (real aiobotocore clients);
    return (result or error, task instance)."""
    ti = FakeTI()
    try:
        if not deferrable:
            return op.execute({"ti": ti}), ti
        with pytest.raises(TaskDeferred) as deferred:
            op.execute({"ti": ti})
        trigger = GlueJobRunTrigger(**deferred.value.trigger.serialize()[1])
        event = asyncio.run(first_event_of(trigger))
        return op.execute_complete({"ti": ti}, event=event.payload), ti
    except GlueFlowError as error:
        return error, ti


@pytest.mark.slow
@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_local_glue_max_retries_chain_is_followed_to_its_last_attempt(local_job, capsys, deferrable):
    # Glue's MaxRetries: "The maximum number of times to retry this job after a JobRun fails"; each
    # retry is a new run with Attempt + 1 and PreviousRunId:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-runs.html
    create, glue = local_job
    job_name = create(FAILING_SCRIPT, MaxRetries=2)
    result, ti = run_local(local_operator(job_name, deferrable=deferrable), deferrable)
    runs = sorted(glue.get_job_runs(JobName=job_name)["JobRuns"], key=lambda r: r.get("Attempt", 0))
    assert [r.get("Attempt", 0) for r in runs] == [0, 1, 2]
    last = runs[-1]
    assert type(result) is GlueJobRunFailedError
    assert str(result) == f"Glue job {job_name!r} run {last['Id']} ended FAILED: ValueError: bad row 7"
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "FAILED"
    assert ti.xcom["glue_job_run_id"] == last["Id"]
    out = capsys.readouterr().out
    assert f"Glue ran job {job_name} 3 times (MaxRetries)" in out
    for run in runs:
        assert f"attempt {run.get('Attempt', 0)}: run {run['Id']} FAILED: ValueError: bad row 7" in out


@pytest.mark.slow
@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
def test_local_glue_verbose_logs_over_several_pages_are_forwarded_once(local_job, capsys, deferrable):
    # GetLogEvents returns at most 1 MB per call and the same token at the end of the stream:
    # https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
    create, _ = local_job
    script = b"for i in range(300):\n    print(f'line {i:05d} ' + 'x' * 8000)\n"
    result, ti = run_local(local_operator(create(script), deferrable=deferrable, verbose=True), deferrable)
    assert ti.xcom[GLUE_STATE_XCOM_KEY] == "SUCCEEDED", result
    out = capsys.readouterr().out
    assert [out.count(f"line {i:05d} ") for i in range(300)] == [1] * 300
