from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any
from unittest import mock

import pendulum
import pytest
from airflow.sdk import DAG

from airflow_glue_flow.compat import TaskDeferred
from airflow_glue_flow.exceptions import (
    GlueCrawlerNotFoundError,
    GlueCrawlFailedError,
    GlueCrawlTimeoutError,
    GlueTaskParameterError,
)
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from airflow_glue_flow.operators.crawler_wait import GlueCrawlerWaitOperator
from airflow_glue_flow.triggers.crawler import GlueCrawlerReadyTrigger
from tests.conftest import task_states
from tests.support.crawler_responses import (
    CRAWLER,
    OUTCOMES,
    T0,
    AsyncScriptedGlue,
    ScriptedGlue,
    crawler,
    now_plus,
)
from tests.support.fakes import FakeTI, patch_sleep
from tests.support.triggerer import real_trigger_events

pytestmark = pytest.mark.usefixtures("aws_default")


def _sensor(**kwargs: Any) -> GlueCrawlerWaitOperator:
    params = {"task_id": "wait_crawler", "crawler_name": CRAWLER, "wait_time": 0, "started_after": T0}
    return GlueCrawlerWaitOperator(**{**params, **kwargs})


def _run_sync(sensor: GlueCrawlerWaitOperator, glue: ScriptedGlue) -> tuple[Any, FakeTI]:
    ti = FakeTI()
    with mock.patch.object(GlueCrawlerFlowHook, "glue_client", glue):
        try:
            return sensor.execute({"ti": ti}), ti
        except Exception as error:  # noqa: BLE001 - compared with the deferrable outcome
            return error, ti


def _run_deferred(sensor: GlueCrawlerWaitOperator, glue: ScriptedGlue) -> tuple[Any, FakeTI]:
    ti = FakeTI()
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": ti})
    assert deferred.value.method_name == "execute_complete"

    async def first_event():
        async for event in deferred.value.trigger.run():
            return event

    client = AsyncScriptedGlue(glue)
    with mock.patch.object(GlueCrawlerFlowHook, "get_async_conn", mock.AsyncMock(return_value=client)):
        event = asyncio.run(first_event())
    try:
        return sensor.execute_complete({"ti": ti}, event.payload), ti
    except Exception as error:  # noqa: BLE001 - compared with the sync outcome
        return error, ti


@pytest.mark.parametrize("outcome", sorted(OUTCOMES))
def test_sync_and_deferrable_reach_the_same_outcome(outcome):
    sync_glue, deferred_glue = ScriptedGlue(OUTCOMES[outcome]), ScriptedGlue(OUTCOMES[outcome])
    sync_result, sync_ti = _run_sync(_sensor(), sync_glue)
    deferred_result, deferred_ti = _run_deferred(_sensor(deferrable=True), deferred_glue)
    if isinstance(sync_result, Exception):
        assert type(deferred_result) is type(sync_result)
        assert str(deferred_result) == str(sync_result)
    else:
        assert deferred_result == sync_result
    assert deferred_ti.xcom == sync_ti.xcom
    assert deferred_glue.calls == sync_glue.calls


@pytest.mark.parametrize(
    ("outcome", "expected_error", "glue_state"),
    [
        ("succeeded", None, "SUCCEEDED"),
        ("stale_then_succeeded", None, "SUCCEEDED"),
        ("failed", GlueCrawlFailedError, "FAILED"),
        ("cancelled", GlueCrawlFailedError, "CANCELLED"),
        ("never_ready", GlueCrawlTimeoutError, None),
        ("deleted", GlueCrawlerNotFoundError, None),
    ],
)
def test_outcomes_and_glue_state_pushed_even_on_failure(outcome, expected_error, glue_state):
    result, ti = _run_sync(_sensor(), ScriptedGlue(OUTCOMES[outcome]))
    if expected_error is None:
        assert result["status"] == "SUCCEEDED" and result["crawler_name"] == CRAWLER
    else:
        assert type(result) is expected_error
    assert ti.xcom.get("glue_state") == glue_state
    assert ti.xcom["glue_crawler"]["crawler_name"] == CRAWLER  # console link


def test_failure_message_names_crawler_status_aws_message_and_logs():
    result, _ = _run_sync(_sensor(), ScriptedGlue(OUTCOMES["failed"]))
    assert str(result) == (
        "Glue crawler 'se2_in0' crawl FAILED: Access denied to s3://b/k (logs: /aws-glue/crawlers / se2_in0)"
    )


def test_timeout_after_exactly_max_attempts_get_crawler_calls():
    glue = ScriptedGlue([crawler("RUNNING")] * 5)
    sleeps: list[float] = []
    with patch_sleep(side_effect=sleeps.append):
        result, _ = _run_sync(_sensor(wait_time="60", max_attempts="3"), glue)
    assert glue.count("GetCrawler") == 3
    assert sleeps == [60.0, 60.0, 60.0]
    assert str(result) == "Glue crawler 'se2_in0' still RUNNING after 3 checks over 180 s"


def test_defers_with_the_rendered_and_coerced_parameters():
    sensor = _sensor(wait_time="15", max_attempts="4", deferrable=True, region_name="eu-west-1")
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({"ti": FakeTI()})
    trigger = deferred.value.trigger
    assert isinstance(trigger, GlueCrawlerReadyTrigger)
    assert trigger.serialize()[1] == {
        "crawler_name": CRAWLER,
        "started_after": "2026-01-01T12:00:00+00:00",
        "wait_time": 15.0,
        "max_attempts": 4,
        "aws_conn_id": "aws_default",
        "region_name": "eu-west-1",
        "verify": None,
        "botocore_config": None,
        "end_from_trigger": True,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"wait_time": "soon"}, "Task 'wait_crawler': wait_time='soon' is not a number of seconds"),
        ({"wait_time": -1}, "Task 'wait_crawler': wait_time=-1 must be a finite number >= 0"),
        ({"max_attempts": "2.5"}, "Task 'wait_crawler': max_attempts='2.5' is not a whole number"),
        ({"max_attempts": 0}, "Task 'wait_crawler': max_attempts=0 must be at least 1"),
        ({"started_after": "yesterday"}, "Task 'wait_crawler': started_after='yesterday' is not an ISO-8601"),
    ],
)
def test_bad_literal_parameters_fail_when_the_dag_is_parsed(kwargs, message):
    with pytest.raises(GlueTaskParameterError, match=message):
        _sensor(**kwargs)


def test_bad_rendered_parameters_fail_at_task_start_before_any_aws_call():
    sensor = _sensor(wait_time="{{ params.wait }}")
    sensor.wait_time = "ten"  # as rendered from params
    glue = ScriptedGlue([])
    result, _ = _run_sync(sensor, glue)
    assert type(result) is GlueTaskParameterError
    assert str(result) == "Task 'wait_crawler': wait_time='ten' is not a number of seconds"
    assert glue.calls == []


def test_started_after_defaults_to_the_upstream_start_operator():
    with DAG("crawl_defaults", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
        start = GlueCrawlerStartOperator(task_id="start_crawler", crawler_name=CRAWLER)
        sensor = GlueCrawlerWaitOperator(task_id="wait_crawler", crawler_name=CRAWLER, wait_time=0)
        start >> sensor
    started = {"crawler_name": CRAWLER, "started_at": T0.isoformat(), "adopted": False}
    ti = FakeTI("wait_crawler", upstream={"start_crawler": {"return_value": started}})
    glue = ScriptedGlue(OUTCOMES["stale_then_succeeded"])
    with mock.patch.object(GlueCrawlerFlowHook, "glue_client", glue):
        summary = sensor.execute({"ti": ti})
    # The stale READY of the first check was skipped: the upstream's start time was used.
    assert summary["started_at"] == (T0 + timedelta(seconds=2)).isoformat()


# --- a small DAG: start -> sensor, run with dag.test() ---------------------------------------------


def _flow_dag(dag_id: str, deferrable: bool) -> DAG:
    with DAG(
        dag_id, schedule=None, start_date=pendulum.datetime(2024, 1, 1), params={"wait_time": "0"}
    ) as dag:
        start = GlueCrawlerStartOperator(task_id="start_crawler", crawler_name=CRAWLER)
        wait = GlueCrawlerWaitOperator(
            task_id="wait_crawler",
            crawler_name=CRAWLER,
            wait_time="{{ params.wait_time }}",
            max_attempts=3,
            started_after="{{ ti.xcom_pull('start_crawler')['started_at'] }}",
            deferrable=deferrable,
        )
        start >> wait
    return dag


def _glue_state(dag_run) -> Any:
    return dag_run.get_task_instance("wait_crawler").xcom_pull(task_ids="wait_crawler", key="glue_state")


@pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
@pytest.mark.parametrize(
    ("status", "wait_state"), [("SUCCEEDED", "success"), ("FAILED", "failed"), ("CANCELLED", "failed")]
)
def test_dag_start_then_wait(run_dag, deferrable, status, wait_state):
    glue = ScriptedGlue(
        [
            lambda: crawler("READY", "SUCCEEDED", now_plus(-86_400)),  # the previous crawl, right after start
            crawler("RUNNING"),
            lambda: crawler("READY", status, now_plus(0), error="" if status == "SUCCEEDED" else "boom"),
        ]
    )
    dag = _flow_dag(f"crawl_flow_{status.lower()}_{deferrable}", deferrable)
    async_glue = AsyncScriptedGlue(glue)
    with (
        mock.patch.object(GlueCrawlerFlowHook, "glue_client", glue),
        mock.patch.object(GlueCrawlerFlowHook, "get_async_conn", mock.AsyncMock(return_value=async_glue)),
    ):
        dag_run = run_dag(dag)
    assert async_glue.entered == (1 if deferrable else 0)  # the checks ran in the trigger when deferrable
    assert task_states(dag_run) == {"start_crawler": "success", "wait_crawler": wait_state}
    assert _glue_state(dag_run) == status
    assert glue.calls == ["StartCrawler"] + ["GetCrawler"] * 3 + (
        ["GetCrawlerMetrics"] if status == "SUCCEEDED" else []
    )


@pytest.mark.parametrize(("status", "wait_state"), [("SUCCEEDED", "success"), ("FAILED", "failed")])
def test_dag_deferred_crawl_with_a_real_triggerer(run_dag, task_errors, status, wait_state):
    """Success is ended by the triggerer with the sensor's XComs; a failure resumes and raises as in sync."""
    glue = ScriptedGlue(
        [
            crawler("RUNNING"),
            lambda: crawler("READY", status, now_plus(0), error="" if status == "SUCCEEDED" else "boom"),
        ]
    )
    dag = _flow_dag(f"crawl_flow_triggerer_{status.lower()}", True)
    with (
        mock.patch.object(GlueCrawlerFlowHook, "glue_client", glue),
        mock.patch.object(
            GlueCrawlerFlowHook, "get_async_conn", mock.AsyncMock(return_value=AsyncScriptedGlue(glue))
        ),
        real_trigger_events() as events,
    ):
        dag_run = run_dag(dag)
    assert task_states(dag_run) == {"start_crawler": "success", "wait_crawler": wait_state}
    assert _glue_state(dag_run) == status
    if status == "SUCCEEDED":
        assert [type(e).__name__ for e in events] == ["TaskSuccessEvent"]
        summary = dag_run.get_task_instance("wait_crawler").xcom_pull(task_ids="wait_crawler")
        assert summary["status"] == "SUCCEEDED" and summary["crawler_name"] == CRAWLER
    else:
        error = task_errors["wait_crawler"]
        assert type(error) is GlueCrawlFailedError and str(error).startswith(
            f"Glue crawler {CRAWLER!r} crawl FAILED: boom"
        )
