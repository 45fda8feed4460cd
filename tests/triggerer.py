"""Run ``dag.test()`` with a triggerer that handles trigger events the way Airflow's triggerer does.

``dag.test()`` runs a deferred task's trigger inline and always resumes the task with the event's payload,
even for an event that ends the task (``TaskSuccessEvent``). Airflow's triggerer hands every event to
``airflow.models.trigger.handle_event_submit`` instead: an end event sets the task instance's state and
pushes its XComs with no worker involved; any other event re-schedules the task to resume. This module
makes ``dag.test()`` do the latter, so DAG-level tests see what a deployment with a triggerer does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock


@contextmanager
def real_trigger_events() -> Iterator[list[Any]]:
    """Patch ``dag.test()``'s task runner; yield the list of events the triggers fired, in order."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import handle_event_submit
    from airflow.sdk._shared.module_loading import import_string
    from airflow.sdk.definitions import dag as dag_module
    from airflow.sdk.execution_time.comms import DeferTask
    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor
    from airflow.sdk.serde import deserialize
    from airflow.utils.session import create_session
    from airflow.utils.state import TaskInstanceState

    run_task = dag_module._run_task
    events: list[Any] = []

    def run_task_with_triggerer(*, ti: Any, task: Any, run_triggerer: bool = False) -> Any:
        result = run_task(ti=ti, task=task, run_triggerer=False)
        msg = result.msg if result is not None else None
        if ti.state != TaskInstanceState.DEFERRED or not isinstance(msg, DeferTask):
            return result
        trigger = import_string(msg.classpath)(**deserialize(msg.trigger_kwargs))
        trigger.task_instance = ti  # as the triggerer does for a task's trigger
        event = InProcessTestSupervisor.run_trigger_in_process(trigger=trigger, ti=ti)
        events.append(event)
        with create_session() as session:
            db_ti = session.get(TaskInstance, ti.id)
            if db_ti.dag_model.relative_fileloc is None:
                # DAGs built inside a test have no file in a bundle; the end-event handler files the task's
                # callbacks under the DAG's file, so give it the one the DAG was defined in.
                db_ti.dag_model.relative_fileloc = Path(task.dag.fileloc).name
            handle_event_submit(event, task_instance=db_ti, session=session)
        ti.refresh_from_db()
        if ti.state in (TaskInstanceState.SUCCESS, TaskInstanceState.FAILED, TaskInstanceState.SKIPPED):
            return result  # ended by the triggerer
        return run_task(ti=ti, task=task, run_triggerer=True)  # resumes with the event, as a worker would

    with mock.patch.object(dag_module, "_run_task", run_task_with_triggerer):
        yield events


@contextmanager
def pushed_xcoms() -> Iterator[dict[tuple[str, str], Any]]:
    """Record what triggers push through ``BaseXCom.set``: {(task_id, key): value}."""
    from airflow.sdk import BaseXCom

    pushed: dict[tuple[str, str], Any] = {}

    def record(key: str, value: Any, *, task_id: str, **where: Any) -> None:
        pushed[(task_id, key)] = value

    with mock.patch.object(BaseXCom, "set", side_effect=record):
        yield pushed
