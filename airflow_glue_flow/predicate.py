"""Glue conditional-trigger predicates: validation and ALL/ANY evaluation, free of Airflow.

A predicate is a logical word (``ALL``, Glue's ``AND``, or ``ANY``) over conditions. Each condition
watches one task and names the Glue state it waits for. Evaluation is three-valued: a condition holds
(the task ended in that state), fails (the task ended otherwise, or never ran), or is still pending.
``ALL`` is met when every condition holds and fails as soon as one fails; ``ANY`` is met as soon as one
holds and fails when every one has failed. A trigger whose predicate fails never fires, as in Glue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from airflow_glue_flow.states import (
    CRAWL_SUCCESS_STATE,
    CRAWL_WATCHABLE_STATES,
    JOB_SUCCESS_STATE,
    JOB_WATCHABLE_STATES,
)

#: Most conditions one Glue trigger predicate may hold.
MAX_CONDITIONS: Final = 500
#: Logical words accepted, mapped to the canonical one (``AND`` is the Glue API's word for ``ALL``).
LOGICAL_WORDS: Final = {"ALL": "ALL", "AND": "ALL", "ANY": "ANY"}
#: States a task that is not a Glue job or crawler can reach: success or failure.
GENERIC_WATCHABLE_STATES: Final = ("SUCCEEDED", "FAILED")
WATCHABLE_STATES: Final = {
    "job": JOB_WATCHABLE_STATES,
    "crawler": CRAWL_WATCHABLE_STATES,
    None: GENERIC_WATCHABLE_STATES,
}
#: Outcome of a watched task that ended without reaching any Glue state (skipped, upstream failed).
NOT_RUN: Final = "NOT_RUN"

ResourceType = Literal["job", "crawler"] | None
Decision = bool | None

_CONDITION_KEYS: Final = frozenset({"task_id", "state", "handled"})
# Airflow task instance states in which the task will not run (again) in this DAG run.
_ENDED_WITH_STATE: Final = frozenset({"success", "failed"})
_ENDED_WITHOUT_RUN: Final = frozenset({"skipped", "upstream_failed", "removed"})


class PredicateError(ValueError):
    """A predicate is invalid; the message says what is wrong."""


@dataclass(frozen=True)
class Condition:
    """One watched task and the Glue state that makes the condition hold.

    :param task_id: the watched task.
    :param state: the Glue state waited for (job or crawl state).
    :param handled: when the task ends in this (non-success) state, the branch this condition starts
        handles the failure, so the DAG run does not fail because of it.
    :param kind: ``"job"`` or ``"crawler"`` when the condition came from a Glue trigger (``JobName`` or
        ``CrawlerName``), so the watched task must be of that kind; None for any task.
    :param name: the Glue job or crawler name the condition came from, for messages.
    """

    task_id: str
    state: str
    handled: bool = False
    kind: ResourceType = None
    name: str | None = None

    def describe(self) -> str:
        """Short text for logs and errors, e.g. ``encode=FAILED (handled)``."""
        return f"{self.task_id}={self.state}{' (handled)' if self.handled else ''}"


@dataclass(frozen=True)
class Predicate:
    """A validated ALL/ANY predicate.

    :param logical: ``"ALL"`` or ``"ANY"``.
    :param conditions: the conditions, in the order given.
    """

    logical: str
    conditions: tuple[Condition, ...]

    @property
    def task_ids(self) -> list[str]:
        """Watched task ids, each once, in the order first named."""
        return list(dict.fromkeys(c.task_id for c in self.conditions))

    def evaluate(self, outcomes: Mapping[str, str | None]) -> Decision:
        """Decide the predicate from the watched tasks' outcomes.

        :param outcomes: task id -> Glue state it ended in, :data:`NOT_RUN`, or None while undecided
            (a missing task id counts as undecided).
        :return: True when met, False when it can no longer be met, None while undecided.
        """
        return combine(self.logical, (condition_holds(c, outcomes.get(c.task_id)) for c in self.conditions))

    def met_conditions(self, outcomes: Mapping[str, str | None]) -> list[Condition]:
        """Conditions that hold for these outcomes."""
        return [c for c in self.conditions if condition_holds(c, outcomes.get(c.task_id))]

    def pending_task_ids(self, outcomes: Mapping[str, str | None]) -> list[str]:
        """Watched task ids whose outcome is still unknown."""
        return [t for t in self.task_ids if outcomes.get(t) is None]

    def handled_states(self) -> dict[str, set[str]]:
        """Task id -> the non-success states that conditions mark as handled."""
        handled: dict[str, set[str]] = {}
        for c in self.conditions:
            if c.handled:
                handled.setdefault(c.task_id, set()).add(c.state)
        return handled


def condition_holds(condition: Condition, outcome: str | None) -> Decision:
    """True when the outcome is the watched state, None while pending, False otherwise."""
    if outcome is None:
        return None
    return outcome == condition.state


def combine(logical: str, results: Iterable[Decision]) -> Decision:
    """Combine three-valued condition results with ``ALL`` or ``ANY``."""
    values = list(results)
    if logical == "ALL":
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    if logical == "ANY":
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    raise PredicateError(f"unknown logical {logical!r}; use 'ALL' (Glue's 'AND') or 'ANY'")


def task_outcome(ti_state: str | None, glue_state: str | None) -> str | None:
    """The Glue-level outcome of a watched task, from its Airflow state and the Glue state it pushed.

    :param ti_state: the task instance state (``success``, ``failed``, ``skipped``, ...; None before it is
        scheduled).
    :param glue_state: the Glue state the task pushed to XCom key ``glue_state``, if any.
    :return: the pushed Glue state when the task ended; ``SUCCEEDED``/``FAILED`` for a task that pushed
        none; :data:`NOT_RUN` for a task that will not run (skipped, upstream failed, removed); None while
        it may still run (queued, running, up for retry, deferred, ...).
    """
    state = str(ti_state).lower() if ti_state is not None else None
    if state in _ENDED_WITH_STATE:
        if glue_state:
            return str(glue_state)
        return JOB_SUCCESS_STATE if state == "success" else "FAILED"
    if state in _ENDED_WITHOUT_RUN:
        return NOT_RUN
    return None


def is_success_state(state: str) -> bool:
    """True for the Glue success state of a job run or a crawl."""
    return state in (JOB_SUCCESS_STATE, CRAWL_SUCCESS_STATE)


def normalise_logical(logical: str | None, n_conditions: int) -> str:
    """Check the logical word against the number of conditions and return ``ALL`` or ``ANY``.

    :raises PredicateError: unknown word, or no word with more than one condition.
    """
    if logical is None:
        if n_conditions > 1:
            raise PredicateError(
                f"{n_conditions} conditions but no logical; Glue requires Logical ('ALL'/'AND' or 'ANY') "
                "when there is more than one condition"
            )
        return "ALL"
    if not isinstance(logical, str) or logical not in LOGICAL_WORDS:
        raise PredicateError(f"unknown logical {logical!r}; use 'ALL' (Glue's 'AND') or 'ANY'")
    return LOGICAL_WORDS[logical]


def parse_condition(raw: Any, index: int) -> Condition:
    """Build a :class:`Condition` from ``{"task_id": ..., "state": ..., "handled": ...}`` or a Condition.

    :raises PredicateError: not a mapping, an unknown key, a missing task id or state.
    """
    if isinstance(raw, Condition):
        return raw
    if not isinstance(raw, Mapping):
        raise PredicateError(
            f"condition {index} must be a dict like {{'task_id': 'x', 'state': 'SUCCEEDED'}}, got {raw!r}"
        )
    unknown = set(raw) - _CONDITION_KEYS
    if unknown:
        raise PredicateError(
            f"condition {index} has unknown key(s) {sorted(unknown)}; allowed: {sorted(_CONDITION_KEYS)}"
        )
    task_id = raw.get("task_id")
    # An operator object may stand in for its task id.
    task_id = getattr(task_id, "task_id", task_id)
    if not isinstance(task_id, str) or not task_id:
        raise PredicateError(f"condition {index} needs a task_id (the watched task), got {task_id!r}")
    state = raw.get("state")
    if not isinstance(state, str) or not state:
        raise PredicateError(f"condition {index} on task {task_id!r} needs a state, got {state!r}")
    handled = raw.get("handled", False)
    if not isinstance(handled, bool):
        raise PredicateError(f"condition {index} on task {task_id!r}: handled must be True or False")
    return Condition(task_id=task_id, state=state, handled=handled)


def check_condition(condition: Condition, resource_type: ResourceType) -> None:
    """Check the watched state against what the watched task can report.

    :param resource_type: the watched task's ``glue_resource_type`` (None for other operators).
    :raises PredicateError: a state Glue does not allow to be watched, a crawl state on a job or the
        reverse, a job/crawler condition on a task of the other kind, or ``handled`` on a success state.
    """
    c = condition
    what = {"job": "a Glue job", "crawler": "a Glue crawler", None: "not a Glue job or crawler"}
    if c.kind is not None and resource_type is not None and c.kind != resource_type:
        raise PredicateError(
            f"condition on Glue {c.kind} {c.name or c.task_id!r} maps to task {c.task_id!r}, which runs "
            f"{what[resource_type]}"
        )
    # What the task reports decides, not the condition's origin: a Glue JobName mapped to another
    # operator can only be seen to succeed or fail.
    kind = resource_type
    allowed = WATCHABLE_STATES[kind]
    if c.state not in allowed:
        if kind == "job" and c.state in CRAWL_WATCHABLE_STATES:
            problem = f"{c.state} is a crawl state but task {c.task_id!r} runs a Glue job"
        elif kind == "crawler" and c.state in JOB_WATCHABLE_STATES:
            problem = f"{c.state} is a job run state but task {c.task_id!r} runs a Glue crawler"
        elif kind is None and c.state in (*JOB_WATCHABLE_STATES, *CRAWL_WATCHABLE_STATES):
            problem = (
                f"{c.state} can only be watched on a Glue job or crawler task, and task {c.task_id!r} is "
                "neither (its glue_resource_type is unset), so it only ends SUCCEEDED or FAILED"
            )
        else:
            problem = f"state {c.state!r} cannot be watched on task {c.task_id!r} ({what[kind]})"
        raise PredicateError(f"{problem}; watchable states: {', '.join(allowed)}")
    if c.handled and is_success_state(c.state):
        raise PredicateError(
            f"condition {c.describe()} is marked handled, but handled only applies to a non-success state"
        )


def build_predicate(logical: str | None, conditions: Any) -> Predicate:
    """Validate the shape of a predicate (word, count, condition dicts), not yet the watched tasks.

    :raises PredicateError: what is wrong, in words.
    """
    if isinstance(conditions, (str, bytes, Mapping)) or not isinstance(conditions, Iterable):
        raise PredicateError(f"conditions must be a list of condition dicts, got {type(conditions).__name__}")
    parsed = tuple(parse_condition(raw, i) for i, raw in enumerate(conditions))
    if not parsed:
        raise PredicateError("needs at least one condition")
    if len(parsed) > MAX_CONDITIONS:
        raise PredicateError(f"{len(parsed)} conditions; Glue allows at most {MAX_CONDITIONS}")
    return Predicate(logical=normalise_logical(logical, len(parsed)), conditions=parsed)
