"""GlueConditionalTriggerSensor at parse time: wiring, predicate validation, from_glue_trigger."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest
from airflow.providers.standard.operators.empty import EmptyOperator
from airflow.sdk import DAG, TaskGroup

from airflow_glue_flow.exceptions import (
    GlueConditionError,
)
from airflow_glue_flow.operators.failure_guard import FAILURE_GUARD_TASK_ID, GlueFlowFailureGuardOperator
from airflow_glue_flow.sensors.conditional import GlueConditionalTriggerSensor
from tests.support.airflow_internals import parse_dags
from tests.support.conditional_dags import (
    FakeGlueCrawler,
    FakeGlueJob,
    dag,
    trigger,
)

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
