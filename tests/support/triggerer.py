"""Run ``dag.test()`` with a triggerer that handles trigger events the way Airflow's triggerer does.

``dag.test()`` runs a deferred task's trigger inline and always resumes the task with the event's payload,
even for an event that ends the task (``TaskSuccessEvent``). Airflow's triggerer hands every event to
``airflow.models.trigger.handle_event_submit`` instead: an end event sets the task instance's state and
pushes its XComs with no worker involved; any other event re-schedules the task to resume.
:func:`real_trigger_events` makes ``dag.test()`` do the latter, so DAG-level tests see what a deployment
with a triggerer does (it lives in :mod:`tests.support.airflow_internals`, as it needs Airflow internals).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from tests.support.airflow_internals import real_trigger_events

__all__ = ["pushed_xcoms", "real_trigger_events"]


@contextmanager
def pushed_xcoms() -> Iterator[dict[tuple[str, str], Any]]:
    """Record what triggers push through ``BaseXCom.set``: {(task_id, key): value}."""
    from airflow_glue_flow.compat import BaseXCom

    pushed: dict[tuple[str, str], Any] = {}

    def record(key: str, value: Any, *, task_id: str, **where: Any) -> None:
        pushed[(task_id, key)] = value

    with mock.patch.object(BaseXCom, "set", side_effect=record):
        yield pushed
