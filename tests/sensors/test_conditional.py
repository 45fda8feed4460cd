"""GlueConditionalTriggerSensor: parse-time validation, from_glue_trigger, one check, and whole DAG runs."""

from __future__ import annotations

import datetime
import textwrap
from types import SimpleNamespace
from typing import Any, ClassVar
from unittest import mock

import pendulum
import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, BaseOperator, TaskGroup, task, timezone

from airflow_glue_flow.compat import AirflowRescheduleException, AirflowSkipException
from airflow_glue_flow.exceptions import (
    GlueConditionError,
    GlueConditionTimeoutError,
    GlueCrawlFailedError,
    GlueFlowFailedStepsError,
    GlueJobRunFailedError,
)
from airflow_glue_flow.operators.failure_guard import FAILURE_GUARD_TASK_ID, GlueFlowFailureGuardOperator
from airflow_glue_flow.sensors.conditional import GlueConditionalTriggerSensor
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from tests.conftest import task_states
from tests.support.airflow_internals import parse_dags
from tests.support.fakes import FakeTI

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


# ---------------------------------------------------------------- parse time


def test_wires_watched_tasks_upstream_actions_downstream_and_one_guard() -> None:
    with dag("wiring") as d:
        a = FakeGlueJob(task_id="a")
        c = FakeGlueCrawler(task_id="c")
        ok = trigger(
            task_id="ok",
            conditions=[{"task_id": "a", "state": "SUCCEEDED"}, {"task_id": c, "state": "SUCCEEDED"}],
        )
        bad = trigger(
            task_id="bad",
            logical="ANY",
            conditions=[
                {"task_id": "a", "state": "FAILED", "handled": True},
                {"task_id": "c", "state": "CANCELLED"},
            ],
        )
        ok >> EmptyOperator(task_id="load")
    assert ok.upstream_task_ids == {"a", "c"} == bad.upstream_task_ids
    assert ok.trigger_rule == "always"
    assert ok.downstream_task_ids == {"load"}
    guard = d.task_dict[FAILURE_GUARD_TASK_ID]
    assert isinstance(guard, GlueFlowFailureGuardOperator)
    assert guard.upstream_task_ids == {"a", "c"} and not guard.downstream_task_ids
    assert guard.trigger_rule == "all_done"
    assert guard.handled == {"a": {"FAILED"}, "c": set()}
    assert a.downstream_task_ids == {"ok", "bad", FAILURE_GUARD_TASK_ID}


def test_guard_stays_at_the_top_level_when_the_trigger_is_in_a_task_group() -> None:
    with dag("grouped") as d:
        FakeGlueJob(task_id="a")
        with TaskGroup("branch"):
            trigger(task_id="when_ok", conditions=[{"task_id": "a", "state": "SUCCEEDED"}])
    assert set(d.task_dict) == {"a", "branch.when_ok", FAILURE_GUARD_TASK_ID}


PARSE_ERRORS = [
    ({"logical": "OR"}, "unknown logical 'OR'; use 'ALL'"),
    (
        {"logical": None, "conditions": [{"task_id": "job", "state": "SUCCEEDED"}] * 2},
        "2 conditions but no logical",
    ),
    ({"conditions": [{"task_id": "job", "state": "ERROR"}]}, "state 'ERROR' cannot be watched"),
    (
        {"conditions": [{"task_id": "crawler", "state": "TIMEOUT"}]},
        "job run state but task 'crawler' runs a Glue crawler",
    ),
    (
        {"conditions": [{"task_id": "job", "state": "CANCELLED"}]},
        "crawl state but task 'job' runs a Glue job",
    ),
    ({"conditions": [{"task_id": "plain", "state": "STOPPED"}]}, "only be watched on a Glue job or crawler"),
    (
        {"conditions": [{"task_id": "job", "state": "SUCCEEDED"}] * 501},
        "501 conditions; Glue allows at most 500",
    ),
    ({"conditions": []}, "at least one condition"),
    (
        {"conditions": [{"task_id": "later", "state": "SUCCEEDED"}]},
        "task 'later', which is not in DAG 'errors'",
    ),
    ({"conditions": [{"task_id": "trig", "state": "SUCCEEDED"}]}, "names the trigger itself"),
    ({"conditions": [{"task_id": "job", "state": "SUCCEEDED", "handled": True}]}, "handled only applies"),
    ({"conditions": [{"task_id": "job", "state": "FAILED", "handld": True}]}, "unknown key"),
    ({"trigger_rule": "all_success"}, "trigger_rule must be 'always'"),
    ({"poke_interval": 0}, "poke_interval must be > 0"),
]


@pytest.mark.parametrize(("kwargs", "message"), PARSE_ERRORS)
def test_bad_predicates_fail_when_the_dag_is_built(kwargs: dict[str, Any], message: str) -> None:
    kwargs = {"conditions": [{"task_id": "job", "state": "SUCCEEDED"}], **kwargs}
    with dag("errors"):
        FakeGlueJob(task_id="job")
        FakeGlueCrawler(task_id="crawler")
        EmptyOperator(task_id="plain")
        with pytest.raises(GlueConditionError, match=message) as err:
            trigger(task_id="trig", **kwargs)
    assert str(err.value).startswith("Conditional trigger 'trig': ")


def test_states_are_checked_against_the_real_glue_operators() -> None:
    from airflow_glue_flow.operators.crawler_wait import GlueCrawlerWaitOperator
    from airflow_glue_flow.operators.job import GlueJobRunOperator

    with dag("real_operators"):
        GlueJobRunOperator(task_id="job", job_name="encode")
        GlueCrawlerWaitOperator(task_id="crawl", crawler_name="raw")
        ok = trigger(
            task_id="ok",
            logical="ANY",
            conditions=[{"task_id": "job", "state": "STOPPED"}, {"task_id": "crawl", "state": "CANCELLED"}],
        )
        with pytest.raises(
            GlueConditionError, match="CANCELLED is a crawl state but task 'job' runs a Glue job"
        ):
            trigger(task_id="bad_job", conditions=[{"task_id": "job", "state": "CANCELLED"}])
        with pytest.raises(
            GlueConditionError, match="STOPPED is a job run state but task 'crawl' runs a Glue crawler"
        ):
            trigger(task_id="bad_crawl", conditions=[{"task_id": "crawl", "state": "STOPPED"}])
    assert ok.upstream_task_ids == {"job", "crawl"}


def test_exactly_500_conditions_are_accepted() -> None:
    with dag("five_hundred"):
        FakeGlueJob(task_id="job")
        op = trigger(task_id="trig", logical="ANY", conditions=[{"task_id": "job", "state": "FAILED"}] * 500)
    assert len(op.conditions) == 500


def test_a_watched_task_cannot_be_an_action() -> None:
    with dag("watched_action"):
        a = FakeGlueJob(task_id="a")
        op = trigger(task_id="trig", conditions=[{"task_id": "a", "state": "SUCCEEDED"}])
        with pytest.raises(
            GlueConditionError, match="task 'a' is watched by the trigger, so it cannot also be its action"
        ):
            op >> a


def test_a_mapped_task_cannot_be_watched() -> None:
    with dag("mapped"):
        FakeGlueJob.partial(task_id="many").expand(outcome=["SUCCEEDED", "FAILED"])
        with pytest.raises(GlueConditionError, match="task 'many' is a mapped task"):
            trigger(task_id="trig", conditions=[{"task_id": "many", "state": "SUCCEEDED"}])


def test_needs_a_dag() -> None:
    with pytest.raises(GlueConditionError, match="must be created inside a DAG"):
        trigger(task_id="trig", conditions=[{"task_id": "a", "state": "SUCCEEDED"}])


def test_parse_errors_surface_as_dag_import_errors(tmp_path) -> None:
    """A DAG file with a bad predicate does not load: the DAG processor reports the GlueConditionError."""
    (tmp_path / "bad_trigger.py").write_text(
        textwrap.dedent(
            """
            import pendulum
            from airflow.sdk import DAG
            from airflow.providers.standard.operators.empty import EmptyOperator
            from airflow_glue_flow.sensors.conditional import GlueConditionalTriggerSensor

            with DAG("bad_trigger", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
                EmptyOperator(task_id="encode")
                GlueConditionalTriggerSensor(task_id="t", conditions=[{"task_id": "encode", "state": "TIMEOUT"}])
            """
        )
    )
    bag = parse_dags(tmp_path)
    assert not bag.dags
    (error,) = bag.import_errors.values()
    assert "GlueConditionError" in error and "TIMEOUT can only be watched on a Glue job or crawler" in error


# ---------------------------------------------------------------- from_glue_trigger

AND_TRIGGER = {
    "Trigger": {
        "Name": "load-after-encode",
        "WorkflowName": "log-etl",
        "Id": "trg-1",
        "Type": "CONDITIONAL",
        "State": "ACTIVATED",
        "Actions": [{"JobName": "datalake-load", "Arguments": {"--TABLE": "logs"}, "Timeout": 60}],
        "Predicate": {
            "Logical": "AND",
            "Conditions": [
                {"LogicalOperator": "EQUALS", "JobName": "encode-sjis", "State": "SUCCEEDED"},
                {"LogicalOperator": "EQUALS", "CrawlerName": "raw-crawler", "CrawlState": "SUCCEEDED"},
            ],
        },
    }
}
ANY_TRIGGER = {
    "Name": "alert on failure",
    "Type": "CONDITIONAL",
    "Actions": [{"JobName": "notify"}],
    "Predicate": {
        "Logical": "ANY",
        "Conditions": [
            {"LogicalOperator": "EQUALS", "JobName": "encode-sjis", "State": "FAILED"},
            {"LogicalOperator": "EQUALS", "JobName": "encode-sjis", "State": "TIMEOUT"},
            {"LogicalOperator": "EQUALS", "CrawlerName": "raw-crawler", "CrawlState": "CANCELLED"},
        ],
    },
}
NAMES = {"encode-sjis": "encode", "raw-crawler": "crawl", "datalake-load": "load", "notify": "notify"}


def glue_dag(dag_id: str) -> DAG:
    d = dag(dag_id)
    with d:
        FakeGlueJob(task_id="encode")
        FakeGlueCrawler(task_id="crawl")
        FakeGlueJob(task_id="load")
        EmptyOperator(task_id="notify")
    return d


def test_from_glue_trigger_and_with_jobs_and_crawlers() -> None:
    with glue_dag("from_and"):
        op = GlueConditionalTriggerSensor.from_glue_trigger(AND_TRIGGER, NAMES, poke_interval=5)
    assert op.task_id == "load-after-encode"
    assert op.logical == "ALL"
    assert op.conditions == [
        {"task_id": "encode", "state": "SUCCEEDED", "handled": False},
        {"task_id": "crawl", "state": "SUCCEEDED", "handled": False},
    ]
    assert op.upstream_task_ids == {"encode", "crawl"}
    assert op.downstream_task_ids == {"load"}
    assert op.poke_interval == 5


def test_from_glue_trigger_any_and_task_id_override() -> None:
    with glue_dag("from_any"):
        op = GlueConditionalTriggerSensor.from_glue_trigger(ANY_TRIGGER, NAMES)
        named = GlueConditionalTriggerSensor.from_glue_trigger(
            {**ANY_TRIGGER, "Actions": []}, NAMES, task_id="x"
        )
    assert op.task_id == "alert_on_failure"
    assert op.logical == "ANY"
    assert [(c["task_id"], c["state"]) for c in op.conditions] == [
        ("encode", "FAILED"),
        ("encode", "TIMEOUT"),
        ("crawl", "CANCELLED"),
    ]
    assert op.downstream_task_ids == {"notify"}
    assert named.task_id == "x" and not named.downstream_task_ids


def test_from_glue_trigger_single_condition_needs_no_logical() -> None:
    single = {
        "Name": "t",
        "Type": "CONDITIONAL",
        "Predicate": {"Conditions": [ANY_TRIGGER["Predicate"]["Conditions"][0]]},
    }
    with glue_dag("from_single"):
        op = GlueConditionalTriggerSensor.from_glue_trigger(single, NAMES)
    assert op.logical == "ALL" and op.conditions[0]["state"] == "FAILED"


def _with_predicate(**predicate: Any) -> dict[str, Any]:
    return {"Name": "t", "Type": "CONDITIONAL", "Predicate": predicate}


JOB_OK = {"LogicalOperator": "EQUALS", "JobName": "encode-sjis", "State": "SUCCEEDED"}
GLUE_ERRORS = [
    (_with_predicate(Conditions=[JOB_OK, JOB_OK]), "Predicate.Logical is missing and there are 2 conditions"),
    (_with_predicate(Logical="OR", Conditions=[JOB_OK, JOB_OK]), "unknown logical 'OR'"),
    (_with_predicate(Logical="AND", Conditions=[JOB_OK] * 501), "501 conditions; Glue allows at most 500"),
    (
        {"Name": "t", "Type": "SCHEDULED", "Schedule": "cron(0 3 * * ? *)"},
        "Type 'SCHEDULED'.*use the DAG's schedule",
    ),
    ({"Name": "t", "Type": "ON_DEMAND"}, "trigger the DAG manually"),
    ({"Name": "t", "Type": "EVENT"}, "asset/event-driven scheduling"),
    ({"Name": "t", "Type": "CONDITIONAL"}, "needs a Predicate"),
    (
        _with_predicate(Conditions=[{**JOB_OK, "LogicalOperator": "NOT_EQUALS"}]),
        "LogicalOperator 'NOT_EQUALS'",
    ),
    (
        _with_predicate(Conditions=[{**JOB_OK, "CrawlerName": "raw-crawler"}]),
        "exactly one of JobName or CrawlerName",
    ),
    (
        _with_predicate(Conditions=[{"JobName": "encode-sjis", "CrawlState": "SUCCEEDED"}]),
        r"needs State \(CrawlState is for a crawler\)",
    ),
    (
        _with_predicate(Conditions=[{**JOB_OK, "JobName": "unknown"}]),
        "Glue job 'unknown' has no task in task_ids",
    ),
    (
        _with_predicate(Conditions=[{**JOB_OK, "JobName": "raw-crawler"}]),
        "Glue job 'raw-crawler' maps to task 'crawl', which runs a Glue crawler",
    ),
    (
        _with_predicate(Conditions=[{"CrawlerName": "raw-crawler", "CrawlState": "TIMEOUT"}]),
        "TIMEOUT is a job run state",
    ),
    (_with_predicate(Conditions=[{**JOB_OK, "State": "CANCELLED"}]), "CANCELLED is a crawl state"),
    (
        _with_predicate(Conditions=[{**JOB_OK, "JobName": "notify", "State": "STOPPED"}]),
        "only be watched on a Glue job or crawler",
    ),
    ({**ANY_TRIGGER, "Actions": [{"JobName": "elsewhere"}]}, "action 'elsewhere' has no task in task_ids"),
    ({**ANY_TRIGGER, "Actions": [{"JobName": "encode-sjis"}]}, "task 'encode' is watched by the trigger"),
]


@pytest.mark.parametrize(("glue_trigger", "message"), GLUE_ERRORS)
def test_from_glue_trigger_errors(glue_trigger: dict[str, Any], message: str) -> None:
    with glue_dag("from_errors"), pytest.raises(GlueConditionError, match=message):
        GlueConditionalTriggerSensor.from_glue_trigger(glue_trigger, NAMES)


# ---------------------------------------------------------------- one check (execute)


def check_ti(states: dict[str, str | None], glue: dict[str, str], first_check: Any = None) -> FakeTI:
    """The task instance of one check: the DAG run's task states and the Glue states the tasks pushed."""
    pushed = {task_id: {GLUE_STATE_XCOM_KEY: glue[task_id]} if task_id in glue else {} for task_id in states}
    return FakeTI("t", states=states, upstream=pushed, first_reschedule_date=first_check)


@pytest.fixture
def checks_dag():
    with dag("checks") as d:
        FakeGlueJob(task_id="a")
        FakeGlueJob(task_id="b")
        FakeGlueCrawler(task_id="c")
    return d


def run_check(op: BaseOperator, ti: FakeTI) -> Any:
    try:
        return op.execute({"ti": ti})
    finally:
        assert {key for _task, key in ti.pulled} <= {GLUE_STATE_XCOM_KEY}, ti.pulled  # only Glue states


def test_check_returns_what_held_when_met(checks_dag) -> None:
    with checks_dag:
        op = trigger(
            task_id="t",
            logical="ANY",
            conditions=[{"task_id": "a", "state": "TIMEOUT"}, {"task_id": "b", "state": "SUCCEEDED"}],
        )
    ti = check_ti({"a": "failed", "b": "running"}, {"a": "TIMEOUT"})
    assert run_check(op, ti) == {
        "logical": "ANY",
        "met": ["a=TIMEOUT"],
        "outcomes": {"a": "TIMEOUT", "b": None},
    }
    assert ti.pulled == [("a", GLUE_STATE_XCOM_KEY)]  # a running task's XCom is not read


def test_check_skips_when_the_predicate_can_no_longer_be_met(checks_dag) -> None:
    with checks_dag:
        op = trigger(
            task_id="t",
            conditions=[{"task_id": "a", "state": "SUCCEEDED"}, {"task_id": "c", "state": "SUCCEEDED"}],
        )
    with pytest.raises(AirflowSkipException, match="can no longer be met"):
        run_check(op, check_ti({"a": "failed", "c": None}, {"a": "STOPPED"}))


def test_check_reschedules_while_undecided_then_times_out(checks_dag) -> None:
    with checks_dag:
        op = trigger(
            task_id="t",
            conditions=[{"task_id": "a", "state": "SUCCEEDED"}, {"task_id": "c", "state": "SUCCEEDED"}],
            poke_interval=30,
            timeout=600,
        )
    before = timezone.utcnow()
    with pytest.raises(AirflowRescheduleException) as reschedule:
        run_check(op, check_ti({"a": "success", "c": "running"}, {"a": "SUCCEEDED"}))
    assert reschedule.value.reschedule_date >= before + datetime.timedelta(seconds=30)
    long_ago = timezone.utcnow() - datetime.timedelta(seconds=601)
    with pytest.raises(GlueConditionTimeoutError) as timeout:
        run_check(op, check_ti({"a": "success", "c": "queued"}, {"a": "SUCCEEDED"}, first_check=long_ago))
    assert str(timeout.value) == "Conditional trigger 't' still undecided after 600 s; waiting on: c"


def test_a_sensor_in_reschedule_mode_whose_timeout_skips_with_soft_fail(checks_dag) -> None:
    from airflow.sdk import BaseSensorOperator

    with checks_dag:
        op = trigger(
            task_id="t", conditions=[{"task_id": "c", "state": "SUCCEEDED"}], timeout=600, soft_fail=True
        )
    assert isinstance(op, BaseSensorOperator) and op.mode == "reschedule"
    long_ago = timezone.utcnow() - datetime.timedelta(seconds=601)
    with pytest.raises(AirflowSkipException, match="soft_fail"):
        run_check(op, check_ti({"c": "running"}, {}, first_check=long_ago))


def test_guard_fails_on_unhandled_failures_and_passes_handled_ones(checks_dag) -> None:
    with checks_dag:
        trigger(
            task_id="t",
            logical="ANY",
            conditions=[
                {"task_id": "a", "state": "FAILED", "handled": True},
                {"task_id": "b", "state": "SUCCEEDED"},
                {"task_id": "c", "state": "FAILED"},
            ],
        )
    guard = checks_dag.task_dict[FAILURE_GUARD_TASK_ID]
    assert run_check(guard, check_ti({"a": "failed", "b": "success", "c": "skipped"}, {"a": "FAILED"})) == [
        "a ended FAILED (handled)"
    ]
    with pytest.raises(GlueFlowFailedStepsError) as err:
        run_check(
            guard,
            check_ti(
                {"a": "failed", "b": "upstream_failed", "c": "failed"}, {"a": "TIMEOUT", "c": "CANCELLED"}
            ),
        )
    assert str(err.value) == (
        "Glue steps ended in a non-success state: a ended TIMEOUT; b did not run (upstream_failed); c ended CANCELLED"
    )


def test_guard_fails_on_a_non_success_glue_state_of_a_successful_task(checks_dag) -> None:
    with checks_dag:
        trigger(task_id="t", conditions=[{"task_id": "a", "state": "SUCCEEDED"}])
    guard = checks_dag.task_dict[FAILURE_GUARD_TASK_ID]
    with pytest.raises(GlueFlowFailedStepsError, match="a ended STOPPED"):
        run_check(guard, check_ti({"a": "success", "b": "skipped", "c": "success"}, {"a": "STOPPED"}))


def test_guard_waits_for_and_checks_glue_tasks_it_does_not_watch() -> None:
    with dag("unwatched") as d:
        FakeGlueJob(task_id="a")
        trigger(task_id="t", conditions=[{"task_id": "a", "state": "SUCCEEDED"}], poke_interval=7)
        FakeGlueCrawler(task_id="later_crawl")
        EmptyOperator(task_id="not_glue")
    guard = d.task_dict[FAILURE_GUARD_TASK_ID]
    assert guard.checked_task_ids() == ["a", "later_crawl"]
    assert guard.poke_interval == 7
    before = timezone.utcnow()
    with pytest.raises(AirflowRescheduleException) as reschedule:
        run_check(guard, check_ti({"a": "success", "later_crawl": "running"}, {}))
    assert reschedule.value.reschedule_date >= before + datetime.timedelta(seconds=7)
    with pytest.raises(GlueFlowFailedStepsError, match="later_crawl ended CANCELLED$"):
        run_check(guard, check_ti({"a": "success", "later_crawl": "failed"}, {"later_crawl": "CANCELLED"}))


# ---------------------------------------------------------------- whole DAG runs


def seed_flow(dag_id: str, outcome: str, handled: bool = False) -> DAG:
    """encode -> (ALL: SUCCEEDED) -> load, and (ANY: FAILED, TIMEOUT) -> alert."""
    with dag(dag_id) as d:
        FakeGlueJob(task_id="encode", outcome=outcome)
        when_ok = trigger(task_id="when_ok", conditions=[{"task_id": "encode", "state": "SUCCEEDED"}])
        when_failed = trigger(
            task_id="when_failed",
            logical="ANY",
            conditions=[
                {"task_id": "encode", "state": "FAILED", "handled": handled},
                {"task_id": "encode", "state": "TIMEOUT", "handled": handled},
            ],
        )
        when_ok >> FakeGlueJob(task_id="load")
        when_failed >> EmptyOperator(task_id="alert")
    return d


@pytest.mark.slow
@pytest.mark.parametrize(
    ("outcome", "ran", "skipped", "run_state"),
    [
        # A failed job runs the failure branch, and the run still fails.
        ("FAILED", ("when_failed", "alert"), ("when_ok", "load"), "failed"),
        ("SUCCEEDED", ("when_ok", "load"), ("when_failed", "alert"), "success"),
    ],
)
def test_the_job_outcome_runs_its_branch_only(run_dag, outcome, ran, skipped, run_state) -> None:
    dr = run_dag(seed_flow(f"honest_{outcome.lower()}", outcome))
    assert task_states(dr) == {
        "encode": "success" if outcome == "SUCCEEDED" else "failed",
        **dict.fromkeys(ran, "success"),
        **dict.fromkeys(skipped, "skipped"),
        FAILURE_GUARD_TASK_ID: run_state,
    }
    assert dr.state == run_state


@pytest.mark.slow
def test_failure_marked_handled_lets_the_run_succeed(run_dag) -> None:
    dr = run_dag(seed_flow("honest_handled", "TIMEOUT", handled=True))
    states = task_states(dr)
    assert states["encode"] == "failed"
    assert (states["when_failed"], states["alert"]) == ("success", "success")
    assert (states["when_ok"], states["load"]) == ("skipped", "skipped")
    assert states[FAILURE_GUARD_TASK_ID] == "success"
    assert dr.state == "success"


@pytest.mark.slow
def test_handled_covers_only_the_states_it_names(run_dag) -> None:
    # STOPPED is not watched at all: no branch reacts, and the run fails.
    dr = run_dag(seed_flow("honest_other_state", "STOPPED", handled=True))
    states = task_states(dr)
    assert (states["when_ok"], states["when_failed"], states["alert"]) == ("skipped", "skipped", "skipped")
    assert states[FAILURE_GUARD_TASK_ID] == "failed"
    assert dr.state == "failed"


@pytest.mark.slow
def test_a_failed_glue_task_behind_an_all_done_task_still_fails_the_run(run_dag) -> None:
    """``load`` is not watched and its failure is swallowed by an all_done cleanup leaf: the guard sees it."""
    with dag("unwatched_failure") as d:
        FakeGlueJob(task_id="encode")
        trigger(task_id="when_ok", conditions=[{"task_id": "encode", "state": "SUCCEEDED"}])
        load = FakeGlueJob(task_id="load", outcome="ERROR")
        d.task_dict["when_ok"] >> load >> EmptyOperator(task_id="cleanup", trigger_rule="all_done")
    for t in d.tasks:
        if hasattr(t, "poke_interval"):
            t.poke_interval = 0.01
    dr = run_dag(d)
    states = task_states(dr)
    assert (states["load"], states["cleanup"], states[FAILURE_GUARD_TASK_ID]) == (
        "failed",
        "success",
        "failed",
    )
    assert dr.state == "failed"


@pytest.mark.slow
def test_any_fires_while_another_watched_task_is_still_running(run_dag) -> None:
    """``slow`` can only finish after ``react`` (the ANY trigger's action) succeeded: ANY did not wait for it."""
    with dag("any_early") as d:
        FakeGlueCrawler(task_id="crawl", outcome="CANCELLED")
        SlowGlueJob(task_id="slow", until="react")
        any_of = trigger(
            task_id="any_of",
            logical="ANY",
            conditions=[
                {"task_id": "crawl", "state": "CANCELLED", "handled": True},
                {"task_id": "slow", "state": "SUCCEEDED"},
            ],
        )
        any_of >> EmptyOperator(task_id="react")
    dr = run_dag(d)
    assert task_states(dr) == {
        "crawl": "failed",
        "slow": "success",
        "any_of": "success",
        "react": "success",
        FAILURE_GUARD_TASK_ID: "success",
    }
    ti = {t.task_id: t for t in dr.get_task_instances()}
    assert ti["slow"].xcom_pull(task_ids="slow", key="saw") == "react succeeded while slow was running"
    fired = ti["any_of"].xcom_pull(task_ids="any_of")
    assert fired["met"] == ["crawl=CANCELLED (handled)"]
    assert fired["outcomes"] == {"crawl": "CANCELLED", "slow": None}
    assert ti["any_of"].end_date <= ti["react"].start_date <= ti["slow"].end_date
    assert dr.state == "success"


@pytest.mark.slow
def test_skipped_and_upstream_failed_watched_tasks_never_hold(run_dag) -> None:
    with dag("never_ran") as d:

        @task
        def boom() -> None:
            raise ValueError("scripted")

        @task
        def skip_me() -> None:
            raise AirflowSkipException("not today")

        broken = FakeGlueJob(task_id="after_boom")
        boom() >> broken
        skip_me()
        FakeGlueJob(task_id="fine")
        all_of = trigger(
            task_id="all_of",
            conditions=[
                {"task_id": "skip_me", "state": "SUCCEEDED"},
                {"task_id": "fine", "state": "SUCCEEDED"},
            ],
        )
        any_of = trigger(
            task_id="any_of",
            logical="ANY",
            conditions=[
                {"task_id": "after_boom", "state": "FAILED"},
                {"task_id": "fine", "state": "SUCCEEDED"},
            ],
        )
        all_of >> EmptyOperator(task_id="all_action")
        any_of >> EmptyOperator(task_id="any_action")
    dr = run_dag(d)
    states = task_states(dr)
    assert (states["skip_me"], states["after_boom"]) == ("skipped", "upstream_failed")
    assert (states["all_of"], states["all_action"]) == ("skipped", "skipped")
    assert (states["any_of"], states["any_action"]) == ("success", "success")
    # boom failed but is no leaf (after_boom, then the triggers and guard follow): the guard reports it.
    assert states[FAILURE_GUARD_TASK_ID] == "failed"
    assert dr.state == "failed"


# ---------------------------------------------------------------- the ready DAG, with the real job operator


class ScriptedGlue:
    """Glue client stand-in: each job's runs go STARTING -> RUNNING -> the scripted final state."""

    def __init__(self, outcomes: dict[str, str]) -> None:
        self.meta = SimpleNamespace(region_name="us-east-1", partition="aws", client=self)
        self.outcomes = outcomes
        self.runs: dict[str, dict[str, Any]] = {}
        self.started: list[str] = []

    def start_job_run(self, JobName: str, Arguments: dict[str, str]) -> dict[str, Any]:
        run_id = f"jr_{len(self.runs) + 1}"
        self.runs[run_id] = {
            "Id": run_id,
            "JobName": JobName,
            "Arguments": Arguments,
            "JobRunState": "STARTING",
        }
        self.started.append(JobName)
        return {"JobRunId": run_id}

    def get_paginator(self, name: str) -> SimpleNamespace:
        assert name == "get_job_runs"

        def paginate(JobName: str, **kwargs: Any) -> list[dict[str, Any]]:
            return [{"JobRuns": [dict(r) for r in reversed(self.runs.values()) if r["JobName"] == JobName]}]

        return SimpleNamespace(paginate=paginate)

    def get_job(self, JobName: str) -> dict[str, Any]:
        return {"Job": {"Name": JobName, "MaxRetries": 0}}

    def get_job_run(self, JobName: str, RunId: str, **kwargs: Any) -> dict[str, Any]:
        run = self.runs[RunId]
        run["JobRunState"] = "RUNNING" if run["JobRunState"] == "STARTING" else self.outcomes[JobName]
        if run["JobRunState"] != "SUCCEEDED" and run["JobRunState"] != "RUNNING":
            run["ErrorMessage"] = "UnicodeDecodeError: 'cp932' codec can't decode byte 0x87"
        return {"JobRun": dict(run)}


def workflow_dag(dag_id: str) -> DAG:
    """Load the ready DAG under its own id, with tiny wait intervals."""
    import importlib.util

    from tests.conftest import REPO_ROOT

    spec = importlib.util.spec_from_file_location(
        f"glue_workflow_flow_{dag_id}", REPO_ROOT / "dags" / "glue_workflow_flow.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    d = module.dag
    d.dag_id = dag_id
    for t in d.tasks:
        if hasattr(t, "poke_interval"):  # the triggers and the failure guard
            t.poke_interval = 0.01
        elif hasattr(t, "poll_interval"):
            t.poll_interval = 0
    return d


def test_ready_dag_parses_without_touching_aws() -> None:
    d = workflow_dag("workflow_parse")
    # No hook (and so no connection or client) is created while the file is parsed.
    assert not any("hook" in vars(t) for t in d.tasks)
    assert d.task_dict["when_encoded"].downstream_task_ids == {"load_datalake"}
    assert d.task_dict["when_encoding_failed"].downstream_task_ids == {"alert"}
    assert d.task_dict[FAILURE_GUARD_TASK_ID].upstream_task_ids == {"encode_logs"}
    assert d.task_dict["when_encoded"].upstream_task_ids == {"encode_logs"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("encode", "expected", "run_state"),
    [
        ("SUCCEEDED", {"when_encoded": "success", "load_datalake": "success", "alert": "skipped"}, "success"),
        ("FAILED", {"when_encoded": "skipped", "load_datalake": "skipped", "alert": "success"}, "failed"),
        ("TIMEOUT", {"when_encoded": "skipped", "load_datalake": "skipped", "alert": "success"}, "failed"),
        ("STOPPED", {"when_encoded": "skipped", "load_datalake": "skipped", "alert": "skipped"}, "failed"),
    ],
)
def test_ready_dag_runs_with_scripted_job_outcomes(run_dag, moto_s3, encode, expected, run_state) -> None:
    from airflow_glue_flow.hooks.job import GlueJobFlowHook
    from airflow_glue_flow.operators.deploy import GlueDeployOperator

    # A new log file under the default bucket_path, so that check_new_files lets the jobs run.
    moto_s3.create_bucket(Bucket="dp-datalake-dev")
    moto_s3.put_object(Bucket="dp-datalake-dev", Key="Processed_CTS_dev/input/a.log", Body=b"log")
    glue = ScriptedGlue({"log_encoding": encode, "datalake_load": "SUCCEEDED"})
    # Only the job calls are scripted here; the DAG's deploy step is run for real in
    # tests/dags/test_glue_workflow_flow.py.
    with (
        mock.patch.object(GlueJobFlowHook, "conn", glue),
        mock.patch.object(GlueDeployOperator, "execute", return_value={}),
    ):
        dr = run_dag(workflow_dag(f"workflow_{encode.lower()}"))
    states = task_states(dr)
    assert {t: states[t] for t in expected} == expected
    assert states["encode_logs"] == ("success" if encode == "SUCCEEDED" else "failed")
    assert states[FAILURE_GUARD_TASK_ID] == ("success" if run_state == "success" else "failed")
    assert dr.state == run_state
    assert glue.started == ["log_encoding", "datalake_load"][: 2 if encode == "SUCCEEDED" else 1]
    assert glue.runs["jr_1"]["Arguments"]["--DECODE_LANG"] == "cp932"
    if encode in ("FAILED", "TIMEOUT"):
        alert = next(t for t in dr.get_task_instances() if t.task_id == "alert")
        assert (
            alert.xcom_pull(task_ids="alert")
            == f"Glue job log_encoding run jr_1 ended {encode}; load skipped"
        )
