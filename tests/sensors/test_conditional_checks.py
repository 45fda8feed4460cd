"""GlueConditionalTriggerSensor and the failure guard: one check (execute)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import BaseOperator, timezone

from airflow_glue_flow.compat import AirflowRescheduleException, AirflowSkipException
from airflow_glue_flow.exceptions import (
    GlueConditionTimeoutError,
    GlueFlowFailedStepsError,
)
from airflow_glue_flow.operators.failure_guard import FAILURE_GUARD_TASK_ID
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from tests.support.conditional_dags import (
    FakeGlueCrawler,
    FakeGlueJob,
    dag,
    trigger,
)
from tests.support.fakes import FakeTI

# ---------------------------------------------------------------- one check (execute)


def check_ti(states: dict[str, str | None], glue: dict[str, str], first_check: Any = None) -> FakeTI:
    """The task instance of one check: the DAG run's task states and the Glue states the tasks pushed."""
    pushed = {task_id: {GLUE_STATE_XCOM_KEY: glue[task_id]} if task_id in glue else {} for task_id in states}
    return FakeTI("t", states=states, upstream=pushed, first_reschedule_date=first_check)


@pytest.fixture
def checks_dag():
    with dag("checks") as d:
        FakeGlueJob(task_id="a")
        FakeGlueJob(task_id="b")
        FakeGlueCrawler(task_id="c")
    return d


def run_check(op: BaseOperator, ti: FakeTI) -> Any:
    try:
        return op.execute({"ti": ti})
    finally:
        assert {key for _task, key in ti.pulled} <= {GLUE_STATE_XCOM_KEY}, ti.pulled  # only Glue states


def test_check_returns_what_held_when_met(checks_dag) -> None:
    with checks_dag:
        op = trigger(
            task_id="t",
            logical="ANY",
            conditions=[{"task_id": "a", "state": "TIMEOUT"}, {"task_id": "b", "state": "SUCCEEDED"}],
        )
    ti = check_ti({"a": "failed", "b": "running"}, {"a": "TIMEOUT"})
    assert run_check(op, ti) == {
        "logical": "ANY",
        "met": ["a=TIMEOUT"],
        "outcomes": {"a": "TIMEOUT", "b": None},
    }
    assert ti.pulled == [("a", GLUE_STATE_XCOM_KEY)]  # a running task's XCom is not read


def test_check_skips_when_the_predicate_can_no_longer_be_met(checks_dag) -> None:
    with checks_dag:
        op = trigger(
            task_id="t",
            conditions=[{"task_id": "a", "state": "SUCCEEDED"}, {"task_id": "c", "state": "SUCCEEDED"}],
        )
    with pytest.raises(AirflowSkipException, match="can no longer be met"):
        run_check(op, check_ti({"a": "failed", "c": None}, {"a": "STOPPED"}))


def test_check_reschedules_while_undecided_then_times_out(checks_dag) -> None:
    with checks_dag:
        op = trigger(
            task_id="t",
            conditions=[{"task_id": "a", "state": "SUCCEEDED"}, {"task_id": "c", "state": "SUCCEEDED"}],
            poke_interval=30,
            timeout=600,
        )
    before = timezone.utcnow()
    with pytest.raises(AirflowRescheduleException) as reschedule:
        run_check(op, check_ti({"a": "success", "c": "running"}, {"a": "SUCCEEDED"}))
    assert reschedule.value.reschedule_date >= before + datetime.timedelta(seconds=30)
    long_ago = timezone.utcnow() - datetime.timedelta(seconds=601)
    with pytest.raises(GlueConditionTimeoutError) as timeout:
        run_check(op, check_ti({"a": "success", "c": "queued"}, {"a": "SUCCEEDED"}, first_check=long_ago))
    assert str(timeout.value) == "Conditional trigger 't' still undecided after 600 s; waiting on: c"


def test_a_sensor_in_reschedule_mode_whose_timeout_skips_with_soft_fail(checks_dag) -> None:
    from airflow.sdk import BaseSensorOperator

    with checks_dag:
        op = trigger(
            task_id="t", conditions=[{"task_id": "c", "state": "SUCCEEDED"}], timeout=600, soft_fail=True
        )
    assert isinstance(op, BaseSensorOperator) and op.mode == "reschedule"
    long_ago = timezone.utcnow() - datetime.timedelta(seconds=601)
    with pytest.raises(AirflowSkipException, match="soft_fail"):
        run_check(op, check_ti({"c": "running"}, {}, first_check=long_ago))


def test_guard_fails_on_unhandled_failures_and_passes_handled_ones(checks_dag) -> None:
    with checks_dag:
        trigger(
            task_id="t",
            logical="ANY",
            conditions=[
                {"task_id": "a", "state": "FAILED", "handled": True},
                {"task_id": "b", "state": "SUCCEEDED"},
                {"task_id": "c", "state": "FAILED"},
            ],
        )
    guard = checks_dag.task_dict[FAILURE_GUARD_TASK_ID]
    assert run_check(guard, check_ti({"a": "failed", "b": "success", "c": "skipped"}, {"a": "FAILED"})) == [
        "a ended FAILED (handled)"
    ]
    with pytest.raises(GlueFlowFailedStepsError) as err:
        run_check(
            guard,
            check_ti(
                {"a": "failed", "b": "upstream_failed", "c": "failed"}, {"a": "TIMEOUT", "c": "CANCELLED"}
            ),
        )
    assert str(err.value) == (
        "Glue steps ended in a non-success state: a ended TIMEOUT; b did not run (upstream_failed); c ended CANCELLED"
    )


def test_guard_fails_on_a_non_success_glue_state_of_a_successful_task(checks_dag) -> None:
    with checks_dag:
        trigger(task_id="t", conditions=[{"task_id": "a", "state": "SUCCEEDED"}])
    guard = checks_dag.task_dict[FAILURE_GUARD_TASK_ID]
    with pytest.raises(GlueFlowFailedStepsError, match="a ended STOPPED"):
        run_check(guard, check_ti({"a": "success", "b": "skipped", "c": "success"}, {"a": "STOPPED"}))


def test_guard_waits_for_and_checks_glue_tasks_it_does_not_watch() -> None:
    with dag("unwatched") as d:
        FakeGlueJob(task_id="a")
        trigger(task_id="t", conditions=[{"task_id": "a", "state": "SUCCEEDED"}], poke_interval=7)
        FakeGlueCrawler(task_id="later_crawl")
        EmptyOperator(task_id="not_glue")
    guard = d.task_dict[FAILURE_GUARD_TASK_ID]
    assert guard.checked_task_ids() == ["a", "later_crawl"]
    assert guard.poke_interval == 7
    before = timezone.utcnow()
    with pytest.raises(AirflowRescheduleException) as reschedule:
        run_check(guard, check_ti({"a": "success", "later_crawl": "running"}, {}))
    assert reschedule.value.reschedule_date >= before + datetime.timedelta(seconds=7)
    with pytest.raises(GlueFlowFailedStepsError, match="later_crawl ended CANCELLED$"):
        run_check(guard, check_ti({"a": "success", "later_crawl": "failed"}, {"later_crawl": "CANCELLED"}))
