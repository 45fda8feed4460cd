"""The workflow engine on a fake clock, with a recording Glue client in place of the server's API.

- A SCHEDULED trigger fires at its cron times of the clock, only while ACTIVATED:
  https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
- A start beyond MaxConcurrentRuns by a schedule or event records a run in ERROR with "Concurrent runs
  exceeded for workflow: <name>": https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from glue_flow_local.glue.workflows.clock import GlueClock
from glue_flow_local.glue.workflows.engine import WorkflowEngine


class RecordingGlue:
    """The few Glue calls the engine makes, answered from dicts; started job runs are recorded."""

    def __init__(self, triggers: list[dict[str, Any]], workflows: dict[str, dict[str, Any]]) -> None:
        self.triggers = triggers
        self.workflows = workflows
        self.started: list[tuple[str, dict[str, str]]] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "get_triggers"
        triggers = self.triggers
        return type("Pages", (), {"paginate": lambda self: [{"Triggers": list(triggers)}]})()

    def get_workflow(self, Name: str) -> dict[str, Any]:  # noqa: N803 - boto3's parameter name
        return {"Workflow": {"Name": Name, **self.workflows[Name]}}

    def start_job_run(self, JobName: str, Arguments: dict[str, str], **extra: Any) -> dict[str, str]:  # noqa: N803
        self.started.append((JobName, Arguments))
        return {"JobRunId": f"jr_{len(self.started)}"}


class FakeTime:
    def __init__(self) -> None:
        self.value = 0.0

    def __call__(self) -> float:
        return self.value


def engine_at(glue: RecordingGlue, wall: datetime) -> tuple[WorkflowEngine, FakeTime]:
    fake = FakeTime()
    return WorkflowEngine(lambda region: glue, GlueClock(60.0, wall=lambda: wall, monotonic=fake)), fake


def test_scheduled_trigger_fires_at_its_cron_times_while_activated():
    trigger = {
        "Name": "nightly",
        "Type": "SCHEDULED",
        "State": "ACTIVATED",
        "Schedule": "cron(0 3 * * ? *)",
        "Actions": [{"JobName": "export"}],
    }
    glue = RecordingGlue([trigger], {})
    engine, fake = engine_at(glue, datetime(2026, 12, 7, 2, 58, tzinfo=UTC))
    engine.watch_schedules("us-east-1", trigger)
    engine.shutdown()  # the test drives the ticks itself

    engine.tick()  # 02:58: learns the next time, 03:00
    fake.value = 90  # 02:59:30
    engine.tick()
    assert glue.started == []
    fake.value = 120  # 03:00
    engine.tick()
    assert glue.started == [("export", {})]
    fake.value = 24 * 3600  # the next day, 02:58: nothing more until 03:00
    engine.tick()
    assert len(glue.started) == 1

    trigger["State"] = "DEACTIVATED"
    fake.value = 24 * 3600 + 180
    engine.tick()
    assert len(glue.started) == 1


def test_event_start_beyond_max_concurrent_runs_records_an_error_run():
    trigger = {
        "Name": "on-upload",
        "WorkflowName": "wf",
        "Type": "EVENT",
        "State": "ACTIVATED",
        "EventBatchingCondition": {"BatchSize": 1},
        "Actions": [{"JobName": "load"}],
    }
    glue = RecordingGlue([trigger], {"wf": {"MaxConcurrentRuns": 1}})
    engine, _ = engine_at(glue, datetime(2026, 12, 7, tzinfo=UTC))

    engine.notify_event("us-east-1", "wf", "e1")  # its job never reports an end: the run stays RUNNING
    engine.notify_event("us-east-1", "wf", "e2")
    engine.shutdown()

    busy, first = engine.runs("us-east-1", "wf")
    assert first.status == "RUNNING"
    assert glue.started == [("load", {"--WORKFLOW_NAME": "wf", "--WORKFLOW_RUN_ID": first.id})]
    assert (busy.status, busy.error_message) == ("ERROR", "Concurrent runs exceeded for workflow: wf")
    assert busy.properties["aws:eventIds"] == '["e2"]'
