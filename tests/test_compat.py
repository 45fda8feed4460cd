"""airflow_glue_flow.compat against the installed Airflow: the names it resolves, and what a deferral
timeout looks like to a task."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import BaseOperator
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason

from airflow_glue_flow.compat import DeferralTimeoutHook, TaskDeferralError, TaskDeferralTimeout


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


def test_every_name_resolves_to_what_the_installed_airflow_uses():
    # The task runner and the scheduler catch these very classes: a look-alike would not be caught.
    import airflow.sdk

    from airflow_glue_flow import compat

    public = set(airflow.sdk.__all__)
    for name in ("BaseXCom", "CronTriggerTimetable", "conf"):
        if name in public:  # Airflow 3.2+
            assert getattr(compat, name) is getattr(airflow.sdk, name), name
    assert compat.BaseXCom.XCOM_RETURN_KEY == compat.XCOM_RETURN_KEY
    assert issubclass(compat.AirflowSkipException, compat.AirflowException)
    assert compat.conf.getint("core", "parallelism") > 0
