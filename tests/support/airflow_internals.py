"""The one place where the tests use Airflow internals, each because no public API does the job.

Every other test module goes through these functions, so an Airflow release that moves one of them
breaks here, and ``tests/test_airflow_internals.py`` (a fast test, so it runs on the lowest-versions
lane as well as the latest) shows which.

* :func:`parse_dags`: ``airflow.dag_processing.dagbag.DagBag``, the DAG processor's parser: no public API
  parses a DAG file and reports its import errors the way the DAG processor does.
* :func:`first_scheduled_run`: ``LazyDeserializedDAG.next_dagrun_info``, which the DAG processor calls
  on the serialized DAG to set when the scheduler creates the first run; the Task SDK's timetables only
  describe the schedule and compute nothing.
* :func:`migrate_db`: ``airflow.utils.db.initdb``, the function ``airflow db migrate`` runs; calling
  it in-process saves starting Airflow's CLI once per test session.
* :func:`write_dag_to_db`: ``DagBundlesManager``, ``update_dag_parsing_results_in_db`` and
  ``LazyDeserializedDAG`` (and ``create_session``): ``dag.test()`` runs only DAGs the metadata database
  holds, and writes only those it finds in a configured DAG bundle; a DAG built inside a test is in
  none, and no public API writes a DAG object there, so the test does what the DAG processor does.
* :func:`quick_idle_polls`: ``DAG.test``'s own code object: when no task is ready (a skip that the next
  pass propagates, a teardown waiting for its setup's downstream) its loop sleeps a whole second before
  checking again, as a scheduler would wait for its next loop; a test has nothing to wait for.
* :func:`recording_task_errors`: ``supervisor.run_task_in_process``, which ``dag.test()`` runs each
  task with; the DagRun it returns holds each task's state but not the exception it failed with.
* :func:`real_trigger_events`: ``dag.test()`` runs a deferred task's trigger inline and always resumes
  the task; Airflow's triggerer hands each event to ``airflow.models.trigger.handle_event_submit``
  instead, which can end the task with no worker. There is no public way to run a trigger the
  triggerer's way, so this patches ``dag.test()``'s task runner (``airflow.sdk.definitions.dag._run_task``)
  and uses ``InProcessTestSupervisor.run_trigger_in_process``, ``DeferTask`` (the task's deferral
  message), ``airflow.sdk.serde.deserialize`` (the trigger's kwargs as the triggerer decodes them),
  the ``TaskInstance`` model and ``create_session``.
* :func:`unpause_in_db`, :func:`asset_watcher_trigger`, :func:`submit_trigger_event`,
  :func:`asset_triggered_run` and :func:`run_existing`: an event-driven run as a deployment makes it,
  in-process. ``DagModel``, ``AssetModel``, ``Trigger.submit_event`` (what the triggerer does with a
  watcher's event), ``SchedulerJobRunner._create_dag_runs_asset_triggered`` (the scheduler's run for the
  recorded asset events), ``DagRun`` and a patch of ``airflow.models.dagrun.get_or_create_dagrun`` (so
  ``dag.test()`` runs the run the scheduler made instead of making its own); the REST API does these
  only through running services, which tests/deployment/ starts.
* :func:`is_event_trigger` and :func:`watcher_trigger_row`: what a DAG's asset watcher becomes in a
  deployment. ``airflow.triggers.base.BaseEventTrigger`` is the class the triggerer checks to treat a
  trigger as an asset watcher (the Task SDK exports no such class), and
  ``airflow.serialization.encoders.encode_trigger`` is what the DAG processor writes into the watcher's
  trigger row; no public API shows either, and writing the DAG to the database to read the row back
  (:func:`write_dag_to_db`, :func:`asset_watcher_trigger`) needs the DAG unpaused first.
* :func:`trigger_runner_task`: ``airflow.jobs.triggerer_job_runner.TriggerRunner``, the triggerer's own
  loop, to cancel a trigger the way the triggerer does when its task is killed or handed over; no public
  API cancels a running trigger. Its ``run_trigger`` takes the deferral's ``timeout_after`` after
  3.1.0 (3.1.0 reads it from the trigger).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock


def parse_dags(path: Path | str) -> Any:
    """Parse the DAG file or folder at ``path`` as the DAG processor does; returns its ``DagBag``."""
    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 3.1
        from airflow.models.dagbag import DagBag

    return DagBag(dag_folder=str(path), safe_mode=False)


def trigger_runner_task(trigger_id: int, trigger: Any) -> tuple[Any, Any]:
    """A ``TriggerRunner`` and the asyncio task in which it runs ``trigger`` under ``trigger_id`` (call it
    in a running event loop); ``runner.to_cancel`` and ``runner.cancel_triggers()`` cancel it."""
    import asyncio
    import inspect

    from airflow.jobs.triggerer_job_runner import TriggerRunner

    runner = TriggerRunner()
    runner.triggers[trigger_id] = {"name": type(trigger).__name__, "events": 0}
    if "timeout_after" in inspect.signature(runner.run_trigger).parameters:
        run = runner.run_trigger(trigger_id, trigger, None)
    else:  # Airflow 3.1.0 reads it from the trigger, on which its triggerer sets it before the run
        trigger.timeout_after = None
        run = runner.run_trigger(trigger_id, trigger)
    task = asyncio.create_task(run)
    runner.triggers[trigger_id]["task"] = task
    return runner, task


def serde_deserialize() -> Any:
    """``deserialize`` of Airflow's serde, which decodes a trigger's kwargs (``airflow.sdk.serde`` from 3.2)."""
    try:
        from airflow.sdk.serde import deserialize
    except ImportError:  # Airflow 3.1
        from airflow.serialization.serde import deserialize
    return deserialize


def first_scheduled_run(dag: Any) -> Any:
    """The ``DagRunInfo`` of the first run the scheduler creates for ``dag`` (none yet), as the DAG
    processor computes it from the serialized DAG: its timetable, start date and catchup."""
    from airflow.serialization.serialized_objects import LazyDeserializedDAG

    serialized = LazyDeserializedDAG.from_dag(dag)
    try:
        return serialized.next_dagrun_info(last_automated_run_info=None)
    except TypeError:  # Airflow 3.1 and 3.2 name it last_automated_dagrun
        return serialized.next_dagrun_info(None)


def migrate_db() -> None:
    """Create or upgrade the metadata database of ``AIRFLOW_HOME`` (what ``airflow db migrate`` does)."""
    from airflow.utils.db import initdb

    initdb()


def write_dag_to_db(dag: Any) -> None:
    """Write a DAG object into the metadata database as the DAG processor would, so ``dag.test()`` runs it
    (this also registers, or drops, the triggers of its assets' watchers)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


#: How long ``dag.test()`` waits between passes when no task is ready, under :func:`quick_idle_polls`.
IDLE_POLL_SECONDS = 0.02


@contextmanager
def quick_idle_polls() -> Iterator[list[float]]:
    """While open, ``dag.test()``'s loop waits :data:`IDLE_POLL_SECONDS` instead of a second when no task
    is ready; yields the list of the idle waits it asked for (in seconds).

    Only a ``time.sleep`` called by ``DAG.test`` itself is shortened: every other caller, in any thread,
    gets the ``time.sleep`` that was in place before (a test's own fake included).
    """
    from airflow.sdk.definitions.dag import DAG

    dag_test = DAG.test.__code__
    sleep = time.sleep
    asked: list[float] = []

    def idle_or_sleep(seconds: float) -> None:
        if sys._getframe(1).f_code is not dag_test:
            return sleep(seconds)
        asked.append(seconds)
        return sleep(min(seconds, IDLE_POLL_SECONDS))

    with mock.patch.object(time, "sleep", idle_or_sleep):
        yield asked


#: The in-process execution API that :func:`one_execution_api` hands every task, once built.
_EXECUTION_API: list[Any] = []


@contextmanager
def one_execution_api() -> Iterator[None]:
    """While open, ``dag.test()`` runs every task against one in-process execution API, built once per test
    process: before Airflow 3.3 its runner (``supervisor.in_process_api_server``) builds a new one for each
    task, tens of seconds of schema building each on Airflow 3.2; 3.3 builds one per ``dag.test()``."""
    from airflow.sdk.execution_time import supervisor

    build = supervisor.in_process_api_server

    def shared() -> Any:
        if not _EXECUTION_API:
            _EXECUTION_API.append(build())
        return _EXECUTION_API[0]

    with mock.patch.object(supervisor, "in_process_api_server", shared):
        yield


@contextmanager
def recording_task_errors() -> Iterator[dict[str, BaseException]]:
    """While open, ``dag.test()`` records task_id -> the exception its (last) try ended with."""
    from airflow.sdk.execution_time import supervisor

    errors: dict[str, BaseException] = {}
    run_in_process = supervisor.run_task_in_process

    def recording(ti: Any, task: Any, **client: Any) -> Any:  # dag.test() passes client= from Airflow 3.3
        result = run_in_process(ti=ti, task=task, **client)
        if result.error is not None:
            errors[ti.task_id] = result.error
        return result

    with mock.patch.object(supervisor, "run_task_in_process", recording):
        yield errors


@contextmanager
def real_trigger_events() -> Iterator[list[Any]]:
    """While open, ``dag.test()`` hands trigger events to the task as Airflow's triggerer does; yields the
    list of events the triggers fired, in order."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.trigger import handle_event_submit
    from airflow.sdk import TaskInstanceState
    from airflow.sdk.definitions import dag as dag_module
    from airflow.sdk.execution_time.comms import DeferTask
    from airflow.sdk.execution_time.supervisor import InProcessTestSupervisor
    from airflow.sdk.module_loading import import_string
    from airflow.utils.session import create_session

    deserialize = serde_deserialize()
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


def unpause_in_db(dag_id: str) -> None:
    """Unpause a DAG the metadata database holds, as the UI's toggle does."""
    from airflow.models.dag import DagModel
    from airflow.utils.session import create_session

    with create_session() as session:
        session.get(DagModel, dag_id).is_paused = False


def asset_watcher_trigger(asset_name: str) -> tuple[int, Any]:
    """The id of the one watcher trigger registered for the asset, and the trigger built from its row
    the way the triggerer builds it."""
    from airflow.models.asset import AssetModel
    from airflow.sdk.module_loading import import_string
    from airflow.utils.session import create_session
    from sqlalchemy import select

    deserialize = serde_deserialize()

    with create_session() as session:
        asset = session.scalar(select(AssetModel).where(AssetModel.name == asset_name))
        (row,) = asset.triggers
        trigger_id, classpath, kwargs = row.id, row.classpath, row.kwargs
    return trigger_id, import_string(classpath)(**deserialize(kwargs))


def is_event_trigger(trigger: Any) -> bool:
    """Whether the triggerer runs ``trigger`` as an asset watcher (a ``BaseEventTrigger``), whose events
    become asset events instead of resuming a task."""
    from airflow.triggers.base import BaseEventTrigger

    return isinstance(trigger, BaseEventTrigger)


def watcher_trigger_row(trigger: Any) -> dict[str, Any]:
    """The ``classpath`` and serialized ``kwargs`` the DAG processor writes into the trigger row of an
    asset watcher with ``trigger``, which the triggerer builds the trigger from."""
    try:
        from airflow.serialization.encoders import encode_trigger
    except ImportError:  # Airflow 3.1
        from airflow.serialization.serialized_objects import _encode_trigger as encode_trigger

    return encode_trigger(trigger)


def submit_trigger_event(trigger_id: int, event: Any) -> None:
    """Record a watcher trigger's event as the triggerer does (an asset event for each watched asset)."""
    from airflow.models.trigger import Trigger
    from airflow.utils.session import create_session

    with create_session() as session:
        Trigger.submit_event(trigger_id=trigger_id, event=event, session=session)


def asset_triggered_run(dag_id: str, conf: dict[str, Any] | None = None) -> tuple[str, int]:
    """Create the run the scheduler creates for the asset events recorded since the DAG's last run.

    :param conf: set as the run's conf (the scheduler gives an asset-triggered run none).
    :return: the new run's id and how many asset events it consumed.
    """
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    with create_session() as session:
        before = set(session.scalars(select(DagRun.run_id).where(DagRun.dag_id == dag_id)))
        runner, dag_models = SchedulerJobRunner(job=Job()), [session.get(DagModel, dag_id)]
        try:
            runner._create_dag_runs_asset_triggered(dag_models=dag_models, session=session)
        except TypeError:  # Airflow 3.1 also takes when each DAG's asset events came, as its loop reads them
            _, triggered = DagModel.dags_needing_dagruns(session)
            runner._create_dag_runs_asset_triggered(
                dag_models=dag_models, triggered_date_by_dag=triggered, session=session
            )
    with create_session() as session:
        (run,) = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id.not_in(before))
        ).all()
        assert run.run_type == DagRunType.ASSET_TRIGGERED, run.run_type
        if conf is not None:
            run.conf = conf
        return run.run_id, len(run.consumed_asset_events)


def run_existing(dag: Any, run_id: str) -> Any:
    """``dag.test()`` on a run that already exists (made by :func:`asset_triggered_run`), started as the
    scheduler starts a queued run; returns the finished ``DagRun``."""
    import airflow.models.dagrun as dagrun_module
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    def the_existing_run(*, dag: Any, session: Any, **kwargs: Any) -> Any:
        (run,) = DagRun.find(dag_id=dag.dag_id, run_id=run_id, session=session)
        run.dag = dag
        run.set_state(DagRunState.RUNNING)
        session.commit()
        return run

    with mock.patch.object(dagrun_module, "get_or_create_dagrun", the_existing_run), quick_idle_polls():
        dag.test()
    with create_session() as session:
        return DagRun.find(dag_id=dag.dag_id, run_id=run_id, session=session)[0]
