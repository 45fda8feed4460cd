"""EVENT triggers become glue_etl_event_flow's pattern: an SQS queue watched by an asset watcher schedules
the DAG. Glue batches events (EventBatchingCondition: BatchSize 1-100, BatchWindow 1-900 s, default 900;
https://docs.aws.amazon.com/glue/latest/webapi/API_EventBatchingCondition.html); the report names how the
queue approximates it."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers import ImportError_, import_workflow
from tests.importers.test_workflow_wiring import trigger, workflow

EVENT_CORPUS = Path(__file__).parent / "data" / "04_terraform-aws-glue-workflows_event_crawler_fanout_tf.json"


def load(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, queue: str | None = None) -> Any:
    dag_file = tmp_path / "event_dag.py"
    dag_file.write_text(source)
    if queue:
        monkeypatch.setenv("SAMPLE_EXAMPLE_GLUE_WORKFLOW_EVENT_QUEUE_URL", queue)
    return runpy.run_path(str(dag_file))


def test_the_event_trigger_schedules_the_dag_through_a_watched_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = import_workflow(json.loads(EVENT_CORPUS.read_text()))
    namespace = load(result.dag_source, tmp_path, monkeypatch, queue="https://sqs.local/1/landing")

    dag, events = namespace["dag"], namespace["EVENTS"]
    assert dag.schedule == [events]
    assert dag.max_active_runs == 1
    kind, kwargs = events.watchers[0].trigger.serialize()
    assert kind.endswith("SqsSensorTrigger")
    assert (kwargs["sqs_queue"], kwargs["max_messages"]) == ("https://sqs.local/1/landing", 1)
    row = next(r for r in result.report["triggers"] if r["type"] == "EVENT")
    assert "EventBatchingCondition BatchSize 1, BatchWindow 900 s in Glue" in row["became"]
    assert "Schedule: EVENT trigger 'sample-example-event-trigger'" in result.dag_source


def test_a_batch_larger_than_one_sqs_receive_is_received_ten_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = json.loads(EVENT_CORPUS.read_text())
    nodes = document["Workflow"]["Graph"]["Nodes"]
    start = next(n for n in nodes if n["Type"] == "TRIGGER" and n["Name"] == "sample-example-event-trigger")
    start["TriggerDetails"]["Trigger"]["EventBatchingCondition"] = {"BatchSize": 25, "BatchWindow": 60}

    result = import_workflow(document)

    kwargs = load(result.dag_source, tmp_path, monkeypatch)["EVENTS"].watchers[0].trigger.serialize()[1]
    assert kwargs["max_messages"] == 10
    assert kwargs["sqs_queue"].endswith("/sample_example_glue_workflow-events")
    row = next(r for r in result.report["triggers"] if r["type"] == "EVENT")
    assert "BatchSize 25, BatchWindow 60 s in Glue; here each receive of up to 10 message(s)" in row["became"]


def test_event_and_scheduled_start_triggers_are_refused_naming_both() -> None:
    document = workflow(
        trigger("nightly", "SCHEDULED", [{"JobName": "j"}], Schedule="cron(0 2 * * ? *)"),
        trigger("on upload", "EVENT", [{"JobName": "k"}]),
    )
    with pytest.raises(ImportError_, match="trigger 'on upload': EVENT and SCHEDULED trigger 'nightly'"):
        import_workflow(document)
