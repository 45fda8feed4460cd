"""GlueJobRunOperator driven in one process: sync, and deferred through its real trigger."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from airflow.triggers.base import BaseTaskEndEvent

from airflow_glue_flow.compat import TaskDeferred
from airflow_glue_flow.exceptions import (
    GlueFlowError,
)
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.support.fakes import FakeTI
from tests.support.glue_job_fakes import JOB, FakeGlue, patch_glue
from tests.support.triggerer import pushed_xcoms

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
