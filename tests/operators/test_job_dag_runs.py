"""GlueJobRunOperator in whole DAG runs (dag.test): Glue state for downstream tasks, retries that reattach, deferred ends."""

from __future__ import annotations

import datetime
from typing import Any
from unittest import mock

import pendulum
import pytest
from airflow.sdk import DAG, task

from airflow_glue_flow.exceptions import (
    GlueJobRunFailedError,
)
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT, GlueJobFlowHook
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from tests.conftest import task_states
from tests.support.airflow_internals import parse_dags
from tests.support.fakes import FakeTI
from tests.support.glue_job_fakes import JOB, FakeGlue, client_error, patch_glue
from tests.support.job_operator import TAG, operator, run_sync
from tests.support.triggerer import real_trigger_events

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
