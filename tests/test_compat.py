"""airflow_glue_flow.compat against the installed Airflow: what a deferral timeout looks like to a task."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import BaseOperator
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason
from airflow.sdk.exceptions import TaskDeferralError, TaskDeferralTimeout

from airflow_glue_flow.compat import DeferralTimeoutHook


class Deferring(DeferralTimeoutHook, BaseOperator):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timeouts: list[Any] = []

    def on_deferral_timeout(self, context: Any) -> None:
        self.timeouts.append(context)

    def execute_complete(self, context: Any, event: Any) -> Any:
        return event


def test_a_deferral_timeout_calls_the_hook_and_still_fails_the_task():
    # What the scheduler hands a task whose trigger timed out (the internals this module depends on).
    op = Deferring(task_id="t")
    with pytest.raises(TaskDeferralTimeout):
        op.resume_execution(TRIGGER_FAIL_REPR, {"error": TriggerFailureReason.TRIGGER_TIMEOUT}, {"ti": 1})
    assert op.timeouts == [{"ti": 1}]


def test_a_failed_trigger_is_not_a_timeout():
    op = Deferring(task_id="t")
    with pytest.raises(TaskDeferralError):
        op.resume_execution(TRIGGER_FAIL_REPR, {"error": TriggerFailureReason.TRIGGER_FAILURE}, {})
    assert op.timeouts == []


def test_a_fired_trigger_resumes_as_usual():
    op = Deferring(task_id="t")
    assert op.resume_execution("execute_complete", {"event": {"status": "success"}}, {}) == {
        "status": "success"
    }
    assert op.timeouts == []
