"""Trigger definitions checked as AWS checks them, and predicates evaluated as AWS evaluates them.

Predicate, Condition (job State SUCCEEDED/STOPPED/FAILED/TIMEOUT, crawler CrawlState
SUCCEEDED/FAILED/CANCELLED), Logical AND/ANY, StartOnCreation not for ON_DEMAND:
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-trigger.html
https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
EventBatchingCondition ranges: https://docs.aws.amazon.com/glue/latest/webapi/API_EventBatchingCondition.html
"""

from __future__ import annotations

import pytest

from glue_flow_local.glue.workflows.triggers import check_trigger, predicate_met
from glue_flow_local.protocol.errors import GlueApiError


def conditional(conditions, logical=None):
    predicate = {"Conditions": conditions}
    if logical:
        predicate["Logical"] = logical
    return {"Name": "t", "Type": "CONDITIONAL", "Predicate": predicate, "Actions": [{"JobName": "b"}]}


def job(name, state):
    return {"LogicalOperator": "EQUALS", "JobName": name, "State": state}


def crawl(name, state):
    return {"LogicalOperator": "EQUALS", "CrawlerName": name, "CrawlState": state}


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"Name": "t", "Type": "ON_DEMAND", "StartOnCreation": True, "Actions": []}, "StartOnCreation"),
        ({"Name": "t", "Type": "HOURLY", "Actions": []}, "Type 'HOURLY'"),
        ({"Name": "t", "Type": "SCHEDULED", "Schedule": "cron(0 3 * * *)", "Actions": []}, "six"),
        (conditional([job("a", "RUNNING")]), "job a State 'RUNNING' cannot be watched"),
        (conditional([crawl("c", "READY")]), "crawler c CrawlState 'READY' cannot be watched"),
        (conditional([job("a", "SUCCEEDED"), job("b", "FAILED")]), "Logical is required"),
        (conditional([job("a", "SUCCEEDED")], logical="ALL"), "Logical 'ALL' is not AND or ANY"),
        (conditional([]), "at least one condition"),
        (
            {"Name": "t", "Type": "EVENT", "EventBatchingCondition": {"BatchSize": 101}, "Actions": []},
            "BatchSize 101 is outside 1-100",
        ),
        (
            {
                "Name": "t",
                "Type": "EVENT",
                "EventBatchingCondition": {"BatchSize": 1, "BatchWindow": 901},
                "Actions": [],
            },
            "BatchWindow 901 is outside 1-900",
        ),
    ],
)
def test_bad_triggers_are_refused_naming_the_trigger(trigger, message):
    with pytest.raises(GlueApiError, match=message) as caught:
        check_trigger(trigger)
    assert caught.value.code == "InvalidInputException"
    assert "Trigger t" in caught.value.message


def test_good_triggers_pass():
    check_trigger(conditional([job("a", "SUCCEEDED")]))
    check_trigger(conditional([job("a", "FAILED"), crawl("c", "CANCELLED")], logical="ANY"))
    check_trigger({"Name": "t", "Type": "SCHEDULED", "Schedule": "cron(0 3 * * ? *)", "Actions": []})
    check_trigger({"Name": "t", "Type": "EVENT", "EventBatchingCondition": {"BatchSize": 100}, "Actions": []})


def test_and_needs_every_condition_and_any_needs_one():
    states = {("JOB", "a"): "SUCCEEDED", ("JOB", "b"): "FAILED", ("CRAWLER", "c"): "SUCCEEDED"}
    state_of = lambda kind, name: states.get((kind, name))  # noqa: E731

    both = {"Logical": "AND", "Conditions": [job("a", "SUCCEEDED"), job("b", "SUCCEEDED")]}
    either = {"Logical": "ANY", "Conditions": [job("a", "FAILED"), job("b", "FAILED")]}
    single = {"Conditions": [crawl("c", "SUCCEEDED")]}  # Logical left out: one condition

    assert not predicate_met(both, state_of)
    assert predicate_met(either, state_of)
    assert predicate_met(single, state_of)
    assert not predicate_met({"Conditions": [job("never", "SUCCEEDED")]}, state_of)
