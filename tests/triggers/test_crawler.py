from __future__ import annotations

import asyncio
from types import SimpleNamespace
from unittest import mock

import pytest

from airflow_glue_flow.exceptions import (
    GlueCrawlerNotFoundError,
    GlueCrawlFailedError,
    GlueCrawlTimeoutError,
    GlueFlowError,
)
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
from airflow_glue_flow.triggers.crawler import GlueCrawlerReadyTrigger
from tests.support.crawler_responses import CRAWLER, OUTCOMES, T0, AsyncScriptedGlue, ScriptedGlue
from tests.support.fakes import set_aws_connection
from tests.support.triggerer import pushed_xcoms

TI = SimpleNamespace(dag_id="crawl_flow", task_id="wait", run_id="manual__1", map_index=-1)
KWARGS = {
    "crawler_name": CRAWLER,
    "started_after": T0.isoformat(),
    "wait_time": 0.0,
    "max_attempts": 3,
    "aws_conn_id": "aws_glue",
    "region_name": "eu-west-1",
    "verify": None,
    "botocore_config": {"retries": {"mode": "standard"}},
    "end_from_trigger": False,
}


@pytest.fixture(autouse=True)
def _aws_conn(monkeypatch):
    set_aws_connection(monkeypatch, KWARGS["aws_conn_id"])


def _events(trigger: GlueCrawlerReadyTrigger, glue: ScriptedGlue) -> list:
    async def collect():
        return [event async for event in trigger.run()]

    client = AsyncScriptedGlue(glue)
    with mock.patch.object(GlueCrawlerFlowHook, "get_async_conn", mock.AsyncMock(return_value=client)):
        return asyncio.run(collect())


def test_serialize_round_trips_to_init_kwargs():
    classpath, kwargs = GlueCrawlerReadyTrigger(**KWARGS).serialize()
    assert classpath == "airflow_glue_flow.triggers.crawler.GlueCrawlerReadyTrigger"
    assert kwargs == KWARGS
    assert GlueCrawlerReadyTrigger(**kwargs).serialize() == (classpath, kwargs)


def test_hook_uses_the_trigger_connection_settings():
    hook = GlueCrawlerReadyTrigger(**KWARGS).hook
    assert (hook.aws_conn_id, hook.region_name, hook.client_type) == ("aws_glue", "eu-west-1", "glue")


def test_success_event_carries_the_summary():
    glue = ScriptedGlue(OUTCOMES["stale_then_succeeded"])
    events = _events(GlueCrawlerReadyTrigger(**KWARGS), glue)
    assert len(events) == 1
    payload = events[0].payload
    assert payload["status"] == "success" and payload["glue_state"] == "SUCCEEDED"
    assert payload["summary"]["started_at"] == "2026-01-01T12:00:02+00:00"
    assert payload["summary"]["duration_seconds"] == 42.5
    assert glue.calls == ["GetCrawler"] * 3 + ["GetCrawlerMetrics"]


@pytest.mark.parametrize(
    ("outcome", "error_class", "glue_state"),
    [
        ("failed", GlueCrawlFailedError, "FAILED"),
        ("cancelled", GlueCrawlFailedError, "CANCELLED"),
        ("never_ready", GlueCrawlTimeoutError, None),
        ("stale_forever", GlueCrawlTimeoutError, None),
        ("deleted", GlueCrawlerNotFoundError, None),
    ],
)
def test_error_events(outcome, error_class, glue_state):
    glue = ScriptedGlue(OUTCOMES[outcome])
    (event,) = _events(GlueCrawlerReadyTrigger(**KWARGS), glue)
    assert event.payload["status"] == "error"
    assert event.payload["glue_state"] == glue_state
    assert type(GlueFlowError.from_event(event.payload)) is error_class
    assert not glue.script  # every scripted check was made, none more


def test_timeout_event_after_exactly_max_attempts_checks():
    glue = ScriptedGlue(OUTCOMES["never_ready"] + OUTCOMES["never_ready"])
    (event,) = _events(GlueCrawlerReadyTrigger(**{**KWARGS, "max_attempts": 5, "wait_time": 0.001}), glue)
    assert glue.count("GetCrawler") == 5
    assert event.payload["message"] == "Glue crawler 'se2_in0' still RUNNING after 5 checks over 0.005 s"


def test_without_started_after_the_last_crawl_counts():
    glue = ScriptedGlue(OUTCOMES["stale_then_succeeded"])
    (event,) = _events(GlueCrawlerReadyTrigger(**{**KWARGS, "started_after": None}), glue)
    assert event.payload["summary"]["started_at"] == "2025-12-31T12:00:00+00:00"
    assert glue.count("GetCrawler") == 1


def test_end_from_trigger_ends_a_successful_wait_with_the_sensors_xcoms():
    from airflow.triggers.base import TaskSuccessEvent

    glue = ScriptedGlue(OUTCOMES["succeeded"])
    trigger = GlueCrawlerReadyTrigger(**{**KWARGS, "end_from_trigger": True})
    trigger.task_instance = TI
    with pushed_xcoms() as pushed:
        (event,) = _events(trigger, glue)
    assert isinstance(event, TaskSuccessEvent)
    assert set(pushed) == {("wait", "return_value"), ("wait", "glue_state")}
    assert pushed[("wait", "glue_state")] == "SUCCEEDED"
    assert pushed[("wait", "return_value")]["started_at"] == "2026-01-01T12:00:01+00:00"
    assert pushed[("wait", "return_value")]["tables_updated"] == 2


@pytest.mark.parametrize("outcome", ["failed", "never_ready", "deleted"])
def test_end_from_trigger_still_resumes_the_task_on_failure(outcome):
    from airflow.triggers.base import BaseTaskEndEvent

    glue = ScriptedGlue(OUTCOMES[outcome])
    trigger = GlueCrawlerReadyTrigger(**{**KWARGS, "end_from_trigger": True})
    trigger.task_instance = TI
    with pushed_xcoms() as pushed:
        (event,) = _events(trigger, glue)
    assert not isinstance(event, BaseTaskEndEvent) and pushed == {}
    assert event.payload["status"] == "error"
