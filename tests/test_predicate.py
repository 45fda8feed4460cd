"""Pure ALL/ANY evaluation: the full truth table over 2 and 3 watched tasks, and shape validation."""

from __future__ import annotations

import itertools

import pytest

from airflow_glue_flow.predicate import (
    MAX_CONDITIONS,
    NOT_RUN,
    Condition,
    Predicate,
    PredicateError,
    build_predicate,
    check_condition,
    combine,
    task_outcome,
)
from airflow_glue_flow.states import CRAWL_WATCHABLE_STATES, JOB_WATCHABLE_STATES

# How a watched task can end, as (Airflow task state, Glue state it pushed), per kind of task.
JOB_ENDINGS = [("success", "SUCCEEDED")] + [
    ("failed", s) for s in ("FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED")
]
CRAWL_ENDINGS = [("success", "SUCCEEDED"), ("failed", "FAILED"), ("failed", "CANCELLED")]
GENERIC_ENDINGS = [("success", None), ("failed", None)]
# Endings without a Glue state, and states in which the task may still run.
NO_RUN_ENDINGS = [("skipped", None), ("upstream_failed", None), ("removed", None)]
PENDING = [(None, None), ("scheduled", None), ("queued", None), ("running", None), ("up_for_retry", None)]
PENDING += [("up_for_reschedule", None), ("deferred", None), ("restarting", None)]

KINDS = {
    "job": (JOB_WATCHABLE_STATES, JOB_ENDINGS),
    "crawler": (CRAWL_WATCHABLE_STATES, CRAWL_ENDINGS),
    "generic": (("SUCCEEDED", "FAILED"), GENERIC_ENDINGS),
}


def expected(logical: str, watched: tuple[str, ...], endings: tuple[tuple[str | None, str | None], ...]):
    """Oracle written from Glue's rules, independently of the implementation.

    A condition holds when its task ran to an end whose Glue state (pushed, else SUCCEEDED on success and
    FAILED on failure) is the watched one; it is lost when the task ended any other way or never ran.
    """
    held = lost = 0
    for state, (ti_state, glue) in zip(watched, endings, strict=True):
        if ti_state in ("success", "failed"):
            reached = glue or ("SUCCEEDED" if ti_state == "success" else "FAILED")
            if reached == state:
                held += 1
            else:
                lost += 1
        elif ti_state in ("skipped", "upstream_failed", "removed"):
            lost += 1
    n = len(watched)
    if logical == "ALL":
        return True if held == n else (False if lost else None)
    return True if held else (False if lost == n else None)


@pytest.mark.parametrize("n_tasks", [2, 3])
@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("logical", ["ALL", "ANY"])
def test_truth_table(logical: str, kind: str, n_tasks: int) -> None:
    watchable, endings = KINDS[kind]
    all_endings = endings + NO_RUN_ENDINGS + PENDING[:2]
    checked = 0
    for watched in itertools.product(watchable, repeat=n_tasks):
        predicate = Predicate(
            logical=logical,
            conditions=tuple(Condition(task_id=f"t{i}", state=s) for i, s in enumerate(watched)),
        )
        for ends in itertools.product(all_endings, repeat=n_tasks):
            outcomes = {f"t{i}": task_outcome(ti_state, glue) for i, (ti_state, glue) in enumerate(ends)}
            assert predicate.evaluate(outcomes) is expected(logical, watched, ends), (watched, ends)
            checked += 1
    assert checked == len(watchable) ** n_tasks * len(all_endings) ** n_tasks


def test_truth_table_mixes_jobs_crawlers_and_other_tasks() -> None:
    conditions = (
        Condition("job", "TIMEOUT"),
        Condition("crawl", "CANCELLED"),
        Condition("other", "FAILED"),
    )
    kinds = (JOB_ENDINGS, CRAWL_ENDINGS, GENERIC_ENDINGS)
    for logical in ("ALL", "ANY"):
        predicate = Predicate(logical, conditions)
        for ends in itertools.product(*(k + NO_RUN_ENDINGS + PENDING[:1] for k in kinds)):
            outcomes = {c.task_id: task_outcome(*e) for c, e in zip(conditions, ends, strict=True)}
            assert predicate.evaluate(outcomes) is expected(logical, tuple(c.state for c in conditions), ends)


@pytest.mark.parametrize(("ti_state", "glue_state"), PENDING)
def test_a_task_that_may_still_run_is_pending(ti_state, glue_state) -> None:
    assert task_outcome(ti_state, glue_state) is None


@pytest.mark.parametrize("ti_state", ["skipped", "upstream_failed", "removed"])
def test_a_task_that_never_ran_reaches_no_state(ti_state) -> None:
    assert task_outcome(ti_state, None) == NOT_RUN
    assert (
        Predicate("ANY", (Condition("a", "FAILED"), Condition("a", "SUCCEEDED"))).evaluate({"a": NOT_RUN})
        is False
    )


def test_pushed_glue_state_wins_over_the_airflow_state() -> None:
    assert task_outcome("failed", "TIMEOUT") == "TIMEOUT"
    assert task_outcome("success", "STOPPED") == "STOPPED"
    assert task_outcome("failed", None) == "FAILED"
    assert task_outcome("success", None) == "SUCCEEDED"


def test_any_is_decided_while_other_tasks_are_pending() -> None:
    predicate = Predicate("ANY", (Condition("a", "FAILED"), Condition("b", "SUCCEEDED")))
    assert predicate.evaluate({"a": "FAILED", "b": None}) is True
    assert predicate.met_conditions({"a": "FAILED", "b": None}) == [Condition("a", "FAILED")]
    assert predicate.pending_task_ids({"a": "SUCCEEDED"}) == ["b"]
    all_of = Predicate("ALL", predicate.conditions)
    assert all_of.evaluate({"a": "SUCCEEDED", "b": None}) is False


def test_combine_rejects_an_unknown_word() -> None:
    with pytest.raises(PredicateError, match="unknown logical 'OR'"):
        combine("OR", [True])


@pytest.mark.parametrize(
    ("logical", "conditions", "message"),
    [
        ("OR", [{"task_id": "a", "state": "SUCCEEDED"}], "unknown logical 'OR'"),
        ("all", [{"task_id": "a", "state": "SUCCEEDED"}], "unknown logical 'all'"),
        (None, [{"task_id": "a", "state": "SUCCEEDED"}] * 2, "2 conditions but no logical"),
        ("ALL", [], "at least one condition"),
        ("ALL", {"task_id": "a", "state": "SUCCEEDED"}, "must be a list"),
        (
            "ALL",
            [{"task_id": "a", "state": "SUCCEEDED"}] * (MAX_CONDITIONS + 1),
            "501 conditions; Glue allows",
        ),
        ("ALL", [{"task_id": "a"}], "needs a state"),
        ("ALL", [{"state": "FAILED"}], "needs a task_id"),
        ("ALL", [{"task_id": "a", "state": "FAILED", "handeld": True}], r"unknown key\(s\) \['handeld'\]"),
        ("ALL", [{"task_id": "a", "state": "FAILED", "handled": "yes"}], "handled must be True or False"),
        ("ALL", ["a"], "must be a dict"),
    ],
)
def test_build_predicate_errors(logical, conditions, message) -> None:
    with pytest.raises(PredicateError, match=message):
        build_predicate(logical, conditions)


def test_build_predicate_accepts_and_normalises() -> None:
    assert build_predicate("AND", [{"task_id": "a", "state": "FAILED"}]).logical == "ALL"
    assert build_predicate(None, [{"task_id": "a", "state": "FAILED"}]).logical == "ALL"
    assert (
        len(build_predicate("ANY", [{"task_id": "a", "state": "FAILED"}] * MAX_CONDITIONS).conditions) == 500
    )


@pytest.mark.parametrize(
    ("condition", "resource_type", "message"),
    [
        (
            Condition("a", "ERROR"),
            "job",
            "state 'ERROR' cannot be watched.*SUCCEEDED, STOPPED, FAILED, TIMEOUT",
        ),
        (Condition("a", "CANCELLED"), "job", "CANCELLED is a crawl state but task 'a' runs a Glue job"),
        (Condition("a", "TIMEOUT"), "crawler", "TIMEOUT is a job run state but task 'a' runs a Glue crawler"),
        (
            Condition("a", "RUNNING"),
            "crawler",
            "state 'RUNNING' cannot be watched.*SUCCEEDED, FAILED, CANCELLED",
        ),
        (Condition("a", "STOPPED"), None, "only be watched on a Glue job or crawler task"),
        (Condition("a", "SUCCEEDED", handled=True), "job", "handled only applies to a non-success state"),
        (Condition("a", "SUCCEEDED", kind="job", name="enc"), "crawler", "Glue job 'enc' maps to task 'a'"),
    ],
)
def test_check_condition_errors(condition, resource_type, message) -> None:
    with pytest.raises(PredicateError, match=message):
        check_condition(condition, resource_type)


def test_handled_states_collects_non_success_states_per_task() -> None:
    predicate = build_predicate(
        "ANY",
        [
            {"task_id": "a", "state": "FAILED", "handled": True},
            {"task_id": "a", "state": "TIMEOUT"},
            {"task_id": "b", "state": "CANCELLED", "handled": True},
        ],
    )
    assert predicate.handled_states() == {"a": {"FAILED"}, "b": {"CANCELLED"}}
    assert predicate.task_ids == ["a", "b"]
