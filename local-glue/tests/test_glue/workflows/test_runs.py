"""A workflow run's Status and Statistics, from the actions it started, and the clock and event batches.

A run whose job FAILED is COMPLETED; only Statistics.FailedActions shows it:
https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html
https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRunStatistics.html
Event batches (BatchSize, BatchWindow from the first event, default 900 s):
https://docs.aws.amazon.com/glue/latest/webapi/API_EventBatchingCondition.html
"""

from __future__ import annotations

from datetime import UTC, datetime

from glue_flow_local.glue.workflows.clock import GlueClock
from glue_flow_local.glue.workflows.events import EventBatches
from glue_flow_local.glue.workflows.runs import Action, WorkflowRun, node_id, workflow_graph


def test_a_run_with_a_failed_job_is_completed_and_counts_it():
    run = WorkflowRun("us-east-1", "wf", {})
    run.actions = [Action("JOB", "encode", "start", "jr_1", "SUCCEEDED"), Action("JOB", "load", "t", "jr_2")]

    run.settle()
    assert run.status == "RUNNING"
    assert run.statistics()["RunningActions"] == 1

    run.actions[1].state = "FAILED"
    run.settle()
    assert run.status == "COMPLETED"
    assert run.completed_on is not None
    stats = run.statistics()
    assert (stats["TotalActions"], stats["SucceededActions"], stats["FailedActions"]) == (2, 1, 1)


def test_a_stopping_run_ends_stopped_and_crawl_cancelled_counts_as_stopped():
    run = WorkflowRun("us-east-1", "wf", {}, status="STOPPING")
    run.actions = [Action("CRAWLER", "c", "start", state="CANCELLED"), Action("JOB", "j", "t", "jr", "ERROR")]

    run.settle()

    assert run.status == "STOPPED"
    assert run.statistics()["StoppedActions"] == 1
    assert run.statistics()["ErroredActions"] == 1


def test_graph_edges_go_from_watched_node_to_trigger_to_action():
    triggers = [
        {"Name": "start", "Type": "ON_DEMAND", "Actions": [{"JobName": "a"}]},
        {
            "Name": "after",
            "Type": "CONDITIONAL",
            "Predicate": {"Conditions": [{"JobName": "a", "State": "SUCCEEDED"}]},
            "Actions": [{"CrawlerName": "c"}],
        },
    ]

    graph = workflow_graph("wf", triggers)

    pairs = {(e["SourceId"], e["DestinationId"]) for e in graph["Edges"]}
    assert pairs == {
        (node_id("wf", "TRIGGER", "start"), node_id("wf", "JOB", "a")),
        (node_id("wf", "JOB", "a"), node_id("wf", "TRIGGER", "after")),
        (node_id("wf", "TRIGGER", "after"), node_id("wf", "CRAWLER", "c")),
    }
    assert sorted(n["Type"] for n in graph["Nodes"]) == ["CRAWLER", "JOB", "TRIGGER", "TRIGGER"]


class FakeTime:
    def __init__(self) -> None:
        self.value = 100.0

    def __call__(self) -> float:
        return self.value


def test_scaled_clock_runs_sixty_times_faster_with_one_second_minutes():
    fake = FakeTime()
    clock = GlueClock(1.0, wall=lambda: datetime(2026, 12, 7, 10, 0, tzinfo=UTC), monotonic=fake)

    fake.value += 2.5

    assert clock.now() == datetime(2026, 12, 7, 10, 2, 30, tzinfo=UTC)
    assert GlueClock(60.0, monotonic=fake).tick_seconds == 1.0


def test_event_batch_closes_on_size_or_on_window_from_its_first_event():
    fake = FakeTime()
    batches = EventBatches(GlueClock(60.0, monotonic=fake))
    sized = {"Name": "by-size", "WorkflowName": "wf", "EventBatchingCondition": {"BatchSize": 2}}
    windowed = {
        "Name": "by-window",
        "WorkflowName": "wf2",
        "EventBatchingCondition": {"BatchSize": 5, "BatchWindow": 30},
    }

    assert batches.add("r", sized, "e1") is None
    assert batches.add("r", sized, "e2") == ({"BatchSize": 2}, ["e1", "e2"])
    assert batches.add("r", windowed, "w1") is None
    fake.value += 20
    assert batches.add("r", windowed, "w2") is None
    assert batches.expired() == []
    fake.value += 10

    assert batches.expired() == [("r", "wf2", {"BatchWindow": 30}, ["w1", "w2"])]
    assert batches.pending("r", "by-window") == 0


def test_default_batch_window_is_900_seconds():
    fake = FakeTime()
    batches = EventBatches(GlueClock(60.0, monotonic=fake))
    batches.add("r", {"Name": "t", "WorkflowName": "wf", "EventBatchingCondition": {"BatchSize": 10}}, "e1")

    fake.value += 899
    assert batches.expired() == []
    fake.value += 1
    assert [closed[2] for closed in batches.expired()] == [{"BatchWindow": 900}]
