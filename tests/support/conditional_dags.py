"""Stand-ins for Glue tasks and small DAG builders shared by the conditional-trigger tests."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

import pendulum
from airflow.sdk import DAG, BaseOperator, timezone

from airflow_glue_flow.compat import AirflowRescheduleException
from airflow_glue_flow.exceptions import (
    GlueCrawlFailedError,
    GlueJobRunFailedError,
)
from airflow_glue_flow.sensors.conditional import GlueConditionalTriggerSensor
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY

START = pendulum.datetime(2024, 1, 1, tz="UTC")


class FakeGlueJob(BaseOperator):
    """Stands in for a Glue job task: pushes the scripted final Glue state, then succeeds or raises."""

    glue_resource_type: ClassVar[str] = "job"

    def __init__(self, *, outcome: str = "SUCCEEDED", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcome = outcome

    def execute(self, context: Any) -> str:
        context["ti"].xcom_push(key=GLUE_STATE_XCOM_KEY, value=self.outcome)
        if self.outcome != "SUCCEEDED":
            raise GlueJobRunFailedError(self.task_id, "jr_1", self.outcome, "scripted")
        return "jr_1"


class FakeGlueCrawler(FakeGlueJob):
    """Stands in for a crawler task."""

    glue_resource_type: ClassVar[str] = "crawler"

    def execute(self, context: Any) -> str:
        context["ti"].xcom_push(key=GLUE_STATE_XCOM_KEY, value=self.outcome)
        if self.outcome != "SUCCEEDED":
            raise GlueCrawlFailedError(self.task_id, self.outcome, "scripted")
        return "crawled"


class SlowGlueJob(FakeGlueJob):
    """A job that keeps running (rescheduling itself) until the task ``until`` has succeeded.

    It can only end after ``until`` ended, so whatever ``until`` needed happened while it was running.
    """

    def __init__(self, *, until: str, max_checks: int = 30, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.until = until
        self.max_checks = max_checks

    def execute(self, context: Any) -> str:
        ti = context["ti"]
        states = ti.get_task_states(dag_id=ti.dag_id, task_ids=[self.until], run_ids=[ti.run_id])
        if states.get(ti.run_id, {}).get(self.until) == "success":
            ti.xcom_push(key="saw", value=f"{self.until} succeeded while {self.task_id} was running")
            return super().execute(context)
        if context.get("task_reschedule_count", 0) >= self.max_checks:
            raise RuntimeError(f"{self.until} never ran while {self.task_id} was running")
        raise AirflowRescheduleException(timezone.utcnow() + datetime.timedelta(seconds=0.01))


def trigger(**kwargs: Any) -> GlueConditionalTriggerSensor:
    kwargs.setdefault("poke_interval", 0.01)
    kwargs.setdefault("timeout", 60)
    return GlueConditionalTriggerSensor(**kwargs)


def dag(dag_id: str) -> DAG:
    return DAG(dag_id, schedule=None, start_date=START, catchup=False)
