"""Glue-Workflow-style conditional trigger (ALL/ANY over Glue job and crawl states), a sensor.

How it works on Airflow 3:

- The sensor is wired downstream of the tasks it watches, so the graph shows the dependency, but it runs
  with ``trigger_rule="always"``: the scheduler starts it at once, without waiting for them. An ``ANY``
  trigger therefore fires as soon as one condition holds, while other watched tasks still run.
- Inside the task it reads the watched tasks' states through the Task SDK (the execution API, no database
  access): :meth:`RuntimeTaskInstance.get_task_states` for the Airflow state of each watched task in this DAG
  run, and ``xcom_pull(key="glue_state")`` for the exact Glue state a job run or crawler task pushed.
- It is a ``BaseSensorOperator`` in ``mode="reschedule"``: while the predicate is undecided Airflow
  reschedules it every ``poke_interval`` (the worker slot is free between checks). After ``timeout`` it fails
  with :class:`GlueConditionTimeoutError` (an ``AirflowSensorTimeout``, so ``soft_fail`` skips instead).
- Its downstream tasks are the actions. Met: it succeeds and they run. No longer possible: it raises
  ``AirflowSkipException`` and they are skipped (with their default trigger rule), as a Glue trigger
  that never fires.
- Failure honesty: every DAG with a conditional trigger gets one leaf task, the failure guard
  (:mod:`airflow_glue_flow.operators.failure_guard`), which fails the run when a Glue step failed and no
  condition marked that state ``handled``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any, NoReturn

from airflow.sdk import BaseOperator, BaseSensorOperator, Context, PokeReturnValue, timezone

from airflow_glue_flow.compat import AirflowSkipException
from airflow_glue_flow.exceptions import GlueConditionError, GlueConditionTimeoutError
from airflow_glue_flow.operators.failure_guard import failure_guard, read_watched
from airflow_glue_flow.predicate import (
    Condition,
    Predicate,
    PredicateError,
    ResourceType,
    build_predicate,
    check_condition,
)

_TRIGGER_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class GlueConditionalTriggerSensor(BaseSensorOperator):
    """Start the downstream tasks (the actions) when Glue-style ALL/ANY conditions on watched tasks hold.

    Each condition watches one task of the same DAG (defined before this operator) and names the Glue
    state it waits for: a job run state (SUCCEEDED, STOPPED, FAILED, TIMEOUT) on a Glue job task, a crawl
    state (SUCCEEDED, FAILED, CANCELLED) on a crawler task, or SUCCEEDED/FAILED on any other task (its
    Airflow success or failure). A watched task's state is the Glue state it pushed to XCom key
    ``glue_state``; a task that pushed none counts SUCCEEDED on success and FAILED on failure; a skipped or
    upstream-failed task never reaches any state.

    The operator wires itself downstream of the watched tasks and runs with ``trigger_rule="always"``, so it
    decides as early as the predicate is decided. Met: it returns what held and the actions run. No longer
    possible: it is skipped and so are the actions. Undecided: Airflow reschedules it every ``poke_interval``
    (sensor ``mode="reschedule"``, no worker slot held) until ``timeout``, then it fails with
    :class:`~airflow_glue_flow.exceptions.GlueConditionTimeoutError` (skipped with ``soft_fail=True``).

    A watched task that ends in a non-success state fails the DAG run (through the DAG's
    ``glue_flow_failure_guard`` leaf task) even when a branch reacted to it, unless a condition on that
    task and state says ``"handled": True``.

    Bad predicates raise :class:`~airflow_glue_flow.exceptions.GlueConditionError` while the DAG file is
    parsed.

    :param conditions: ``[{"task_id": "encode", "state": "SUCCEEDED"}, ...]``; optional ``"handled": True``
        on a non-success state. At most 500.
    :param logical: ``"ALL"`` (Glue's ``AND``; ``"AND"`` is accepted) or ``"ANY"``; None only with a single
        condition.
    :param poke_interval: seconds (or timedelta) between checks while undecided.
    :param timeout: seconds (or timedelta) from the first check until an undecided predicate fails.
    :param kwargs: ``BaseSensorOperator`` arguments (``soft_fail``, ``exponential_backoff``, ``max_wait``, ...)
        and ``BaseOperator`` ones; ``mode`` is ``"reschedule"`` unless given.
    :return: ``{"logical", "met", "outcomes"}``: the conditions that held and each watched task's outcome.
    """

    template_fields: Sequence[str] = ()
    ui_color = "#e8e0f4"

    def __init__(
        self,
        *,
        conditions: Sequence[Mapping[str, Any] | Condition],
        logical: str | None = "ALL",
        poke_interval: float | timedelta = 30,
        timeout: float | timedelta = timedelta(hours=12),
        **kwargs: Any,
    ) -> None:
        trigger_rule = kwargs.setdefault("trigger_rule", "always")
        kwargs.setdefault("mode", "reschedule")
        if _seconds(poke_interval) <= 0 or _seconds(timeout) < 0:
            raise GlueConditionError(
                kwargs.get("task_id", "?"),
                f"poke_interval must be > 0 and timeout >= 0, got {poke_interval!r} and {timeout!r}",
            )
        super().__init__(poke_interval=poke_interval, timeout=timeout, **kwargs)
        if str(trigger_rule) != "always":
            self._fail(
                f"trigger_rule must be 'always' (got {trigger_rule!r}): the trigger starts with the run and "
                "watches its conditions itself, so it can fire before every watched task has ended"
            )
        try:
            self.predicate: Predicate = build_predicate(logical, conditions)
        except PredicateError as err:
            raise GlueConditionError(self.task_id, str(err)) from err
        self.logical = self.predicate.logical
        self.conditions = [
            {"task_id": c.task_id, "state": c.state, "handled": c.handled} for c in self.predicate.conditions
        ]
        self._wire_watched_tasks()

    def _fail(self, problem: str) -> NoReturn:
        raise GlueConditionError(self.task_id, problem)

    def _wire_watched_tasks(self) -> None:
        dag = self.get_dag()
        if dag is None:
            self._fail("must be created inside a DAG (with DAG(...): or dag=...) after the tasks it watches")
        watched: dict[str, BaseOperator] = {}
        for condition in self.predicate.conditions:
            task_id = condition.task_id
            if task_id == self.task_id:
                self._fail("a condition names the trigger itself; it can only watch tasks upstream of it")
            task = dag.task_dict.get(task_id)
            if task is None:
                self._fail(
                    f"a condition names task {task_id!r}, which is not in DAG {dag.dag_id!r}; watched tasks "
                    "must be defined before the trigger, which becomes their downstream"
                )
            if getattr(task, "is_mapped", False) or not isinstance(task, BaseOperator):
                # A mapped task has one state per map index; Glue conditions watch one run or crawl.
                self._fail(f"task {task_id!r} is a mapped task; a condition can only watch an unmapped task")
            try:
                check_condition(condition, getattr(task, "glue_resource_type", None))
            except PredicateError as err:
                raise GlueConditionError(self.task_id, str(err)) from err
            watched[task_id] = task
        guard = failure_guard(dag)
        guard.poke_interval = min(guard.poke_interval, self.poke_interval)
        handled = self.predicate.handled_states()
        for task_id, task in watched.items():
            self.set_upstream(task)
            guard.watch(task, handled.get(task_id, ()))

    def set_downstream(self, task_or_task_list: Any, edge_modifier: Any = None) -> None:
        """Add actions; a watched task cannot be one (it must stay upstream)."""
        tasks = task_or_task_list if isinstance(task_or_task_list, Sequence) else [task_or_task_list]
        watched = set(self.predicate.task_ids) if hasattr(self, "predicate") else set()
        for task in tasks:
            # Operators, task groups and XComArgs all expose the tasks an edge would reach as roots.
            for task_id in (getattr(root, "task_id", None) for root in getattr(task, "roots", [task])):
                if task_id in watched:
                    self._fail(f"task {task_id!r} is watched by the trigger, so it cannot also be its action")
        super().set_downstream(task_or_task_list, edge_modifier=edge_modifier)

    def poke(self, context: Context) -> PokeReturnValue | bool:
        """Check the conditions once: done when met, skip when impossible, else not yet (or time out)."""
        ti = context["ti"]
        _, outcomes = read_watched(ti, self.predicate.task_ids)
        decision = self.predicate.evaluate(outcomes)
        shown = ", ".join(f"{t}={o or 'pending'}" for t, o in outcomes.items())
        self.log.info("%s of %d condition(s): %s -> %s", self.logical, len(self.conditions), shown, decision)
        if decision is True:
            met = [c.describe() for c in self.predicate.met_conditions(outcomes)]
            return PokeReturnValue(
                is_done=True, xcom_value={"logical": self.logical, "met": met, "outcomes": outcomes}
            )
        if decision is False:
            raise AirflowSkipException(
                f"{self.logical} predicate can no longer be met ({shown}); the trigger does not fire"
            )
        # BaseSensorOperator would time out too, but with a message that cannot say which conditions are
        # still pending; this check comes first with the same clock (the first check of this try series).
        started = ti.get_first_reschedule_date(context) or timezone.utcnow()
        if (timezone.utcnow() - started).total_seconds() >= self.timeout:
            raise GlueConditionTimeoutError(
                self.task_id, self.predicate.pending_task_ids(outcomes), self.timeout
            )
        return False

    @classmethod
    def from_glue_trigger(
        cls, trigger: Mapping[str, Any], task_ids: Mapping[str, str], **kwargs: Any
    ) -> GlueConditionalTriggerSensor:
        """Build the operator from a Glue trigger (``GetTrigger``/``CreateTrigger`` shape).

        The trigger must be ``Type: CONDITIONAL`` with a ``Predicate`` (``Logical`` AND or ANY, required with
        more than one condition; ``Conditions`` of ``LogicalOperator: EQUALS`` with ``JobName`` + ``State`` or
        ``CrawlerName`` + ``CrawlState``). Job and crawler names become task ids through ``task_ids``. Each
        of the trigger's ``Actions`` (``JobName`` or ``CrawlerName``) must map to a task already in the DAG,
        which becomes a downstream action (its ``Arguments`` and ``Timeout`` are not copied).

        :param trigger: the ``Trigger`` dict, or a whole ``GetTrigger`` response holding one.
        :param task_ids: Glue job or crawler name -> the Airflow task id that runs it.
        :param kwargs: operator arguments; ``task_id`` defaults to the trigger's ``Name``.
        :raises GlueConditionError: not a conditional trigger, a malformed condition, an unmapped name, or
            any problem the operator itself rejects.
        """
        body = trigger.get("Trigger", trigger) if isinstance(trigger, Mapping) else trigger
        name = str(body.get("Name") or "glue_trigger") if isinstance(body, Mapping) else "glue_trigger"
        task_id = kwargs.pop("task_id", None) or _TRIGGER_NAME_UNSAFE.sub("_", name)

        def fail(problem: str) -> GlueConditionError:
            return GlueConditionError(task_id, f"Glue trigger {name!r}: {problem}")

        if not isinstance(body, Mapping):
            raise fail(f"expected a Glue trigger dict, got {type(trigger).__name__}")
        kind = body.get("Type", "CONDITIONAL")
        if kind != "CONDITIONAL":
            hint = {
                "SCHEDULED": "use the DAG's schedule",
                "ON_DEMAND": "trigger the DAG manually or from the UI",
                "EVENT": "use asset/event-driven scheduling",
            }.get(kind, "only CONDITIONAL triggers are supported")
            raise fail(f"Type {kind!r} is not a conditional trigger; {hint}")
        predicate = body.get("Predicate")
        if not isinstance(predicate, Mapping):
            raise fail("a CONDITIONAL trigger needs a Predicate with Conditions")
        raw_conditions = predicate.get("Conditions") or []
        if not isinstance(raw_conditions, Sequence) or isinstance(raw_conditions, str):
            raise fail("Predicate.Conditions must be a list")
        if len(raw_conditions) > 1 and not predicate.get("Logical"):
            raise fail(
                f"Predicate.Logical is missing and there are {len(raw_conditions)} conditions; "
                "Glue requires AND or ANY when there is more than one condition"
            )
        conditions = [_glue_condition(raw, i, task_ids, fail) for i, raw in enumerate(raw_conditions)]
        operator = cls(task_id=task_id, logical=predicate.get("Logical"), conditions=conditions, **kwargs)
        for i, action in enumerate(body.get("Actions") or []):
            action_name = action.get("JobName") or action.get("CrawlerName")
            if not action_name:
                raise fail(f"action {i} names neither JobName nor CrawlerName")
            action_task_id = task_ids.get(action_name)
            if action_task_id is None:
                raise fail(f"action {action_name!r} has no task in task_ids (known: {sorted(task_ids)})")
            action_task = operator.dag.task_dict.get(action_task_id)
            if action_task is None:
                raise fail(
                    f"action {action_name!r} maps to task {action_task_id!r}, which is not in the DAG yet; "
                    "define action tasks first or leave Actions out and wire them with >>"
                )
            operator.set_downstream(action_task)
        return operator


def _glue_condition(raw: Any, index: int, task_ids: Mapping[str, str], fail: Any) -> Condition:
    """Turn one Glue ``Condition`` dict into a :class:`Condition` on the mapped task."""
    if not isinstance(raw, Mapping):
        raise fail(f"condition {index} must be a dict, got {raw!r}")
    operator = raw.get("LogicalOperator", "EQUALS")
    if operator != "EQUALS":
        raise fail(f"condition {index}: LogicalOperator {operator!r} is not supported; Glue only has EQUALS")
    job, crawler = raw.get("JobName"), raw.get("CrawlerName")
    if bool(job) == bool(crawler):
        raise fail(f"condition {index} must name exactly one of JobName or CrawlerName: {dict(raw)!r}")
    kind: ResourceType
    if job:
        kind, name, state_key, wrong_key = "job", job, "State", "CrawlState"
    else:
        kind, name, state_key, wrong_key = "crawler", crawler, "CrawlState", "State"
    state = raw.get(state_key)
    if not state:
        extra = (
            f" ({wrong_key} is for a {'crawler' if kind == 'job' else 'job'})" if raw.get(wrong_key) else ""
        )
        raise fail(f"condition {index} on {kind} {name!r} needs {state_key}{extra}")
    task_id = task_ids.get(name)
    if task_id is None:
        raise fail(
            f"condition {index}: Glue {kind} {name!r} has no task in task_ids (known: {sorted(task_ids)})"
        )
    return Condition(task_id=task_id, state=state, kind=kind, name=name)
