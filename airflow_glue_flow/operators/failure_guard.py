"""The failure guard: the leaf task that fails a DAG run whose Glue steps failed unhandled.

A DAG run's state comes from its leaf tasks, so a failed job whose failure branch succeeded would leave a
successful run. Every DAG with a conditional trigger
(:class:`~airflow_glue_flow.sensors.conditional.GlueConditionalTriggerSensor`) gets one leaf task,
:class:`GlueFlowFailureGuardOperator` (``glue_flow_failure_guard``, ``trigger_rule="all_done"``), which
fails with :class:`~airflow_glue_flow.exceptions.GlueFlowFailedStepsError` when a watched task, or any
other Glue job or crawler task of the DAG, ended in a non-success state that no condition marked
``handled``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from airflow.sdk import BaseOperator, Context, timezone

from airflow_glue_flow.compat import AirflowRescheduleException
from airflow_glue_flow.exceptions import GlueConditionError, GlueFlowFailedStepsError
from airflow_glue_flow.predicate import NOT_RUN, is_success_state, task_outcome
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY

#: Task id of the failure guard added to every DAG that has a conditional trigger.
FAILURE_GUARD_TASK_ID = "glue_flow_failure_guard"


def read_watched(ti: Any, task_ids: Sequence[str]) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """Read the watched tasks of this DAG run through the Task SDK.

    :param ti: the running task instance (``context["ti"]``).
    :param task_ids: watched task ids.
    :return: (task id -> Airflow state, task id -> Glue outcome as in
        :func:`~airflow_glue_flow.predicate.task_outcome`).
    """
    by_run = ti.get_task_states(dag_id=ti.dag_id, task_ids=list(task_ids), run_ids=[ti.run_id])
    ti_states = {t: by_run.get(ti.run_id, {}).get(t) for t in task_ids}
    outcomes: dict[str, str | None] = {}
    for task_id, ti_state in ti_states.items():
        glue_state = None
        if ti_state is not None and str(ti_state).lower() in ("success", "failed"):
            glue_state = ti.xcom_pull(task_ids=task_id, key=GLUE_STATE_XCOM_KEY)
        outcomes[task_id] = task_outcome(ti_state, glue_state)
    return {t: (str(s) if s is not None else None) for t, s in ti_states.items()}, outcomes


class GlueFlowFailureGuardOperator(BaseOperator):
    """Leaf task that makes the DAG run fail when a Glue step ended in an unhandled non-success state.

    Created (once per DAG) by
    :class:`~airflow_glue_flow.sensors.conditional.GlueConditionalTriggerSensor`; not meant to be created by hand.
    It runs after every watched task ended (``trigger_rule="all_done"``), then waits (rescheduling itself
    every ``poke_interval``) for the DAG's other Glue job and crawler tasks (``glue_resource_type`` set),
    and fails with :class:`~airflow_glue_flow.exceptions.GlueFlowFailedStepsError` naming each task and
    Glue state that no condition marked ``handled``, and each such task that could not run because its
    upstream failed.

    :param poke_interval: seconds between checks while other Glue tasks of the DAG still run.

    It reschedules itself rather than being a ``BaseSensorOperator``: a sensor's ``timeout`` and
    ``soft_fail`` would let the guard end without its verdict, and its one job is to fail the run honestly.
    """

    ui_color = "#f4d4d4"

    def __init__(self, *, poke_interval: float = 30, **kwargs: Any) -> None:
        kwargs.setdefault("task_id", FAILURE_GUARD_TASK_ID)
        kwargs.setdefault("trigger_rule", "all_done")
        kwargs.setdefault("retries", 0)
        super().__init__(**kwargs)
        self.poke_interval = poke_interval
        #: watched task id -> non-success Glue states that a condition marked handled
        self.handled: dict[str, set[str]] = {}

    def watch(self, task: BaseOperator, handled_states: Iterable[str] = ()) -> None:
        """Add a task to check (and make this guard run after it).

        :param task: the watched task.
        :param handled_states: its non-success states that a condition handles.
        """
        self.handled.setdefault(task.task_id, set()).update(handled_states)
        self.set_upstream(task)

    def checked_task_ids(self) -> list[str]:
        """Watched tasks, then the DAG's other (unmapped) Glue job and crawler tasks."""
        glue_tasks = [
            t.task_id
            for t in self.dag.tasks
            if getattr(t, "glue_resource_type", None) and not getattr(t, "is_mapped", False)
        ]
        return list(dict.fromkeys([*sorted(self.handled), *glue_tasks]))

    def execute(self, context: Context) -> list[str]:
        """Check the Glue steps; return the handled failures, raise on unhandled ones."""
        ti_states, outcomes = read_watched(context["ti"], self.checked_task_ids())
        running = [t for t, o in outcomes.items() if o is None]
        if running:
            # Glue tasks that are not watched have no edge to the guard; wait for them here.
            self.log.info("Waiting for Glue steps to end: %s", ", ".join(running))
            raise AirflowRescheduleException(timezone.utcnow() + timedelta(seconds=self.poke_interval))
        unhandled: list[str] = []
        handled: list[str] = []
        for task_id, outcome in outcomes.items():
            if (ti_states[task_id] or "").lower() == "upstream_failed":
                unhandled.append(f"{task_id} did not run (upstream_failed)")
            elif outcome is None or outcome == NOT_RUN or is_success_state(outcome):
                continue
            elif outcome in self.handled.get(task_id, ()):
                handled.append(f"{task_id} ended {outcome} (handled)")
            else:
                unhandled.append(f"{task_id} ended {outcome}")
        for line in handled:
            self.log.info("Glue step failure marked handled: %s", line)
        if unhandled:
            raise GlueFlowFailedStepsError(unhandled)
        return handled


def failure_guard(dag: Any) -> GlueFlowFailureGuardOperator:
    """The DAG's failure guard, created on first use (at the DAG's top level, outside any task group)."""
    guard = dag.task_dict.get(FAILURE_GUARD_TASK_ID)
    if guard is None:
        guard = GlueFlowFailureGuardOperator(dag=dag, task_group=dag.task_group)
    elif not isinstance(guard, GlueFlowFailureGuardOperator):
        raise GlueConditionError(
            FAILURE_GUARD_TASK_ID, "this task id is reserved for the failure guard of conditional triggers"
        )
    return guard
