"""ResumeWorkflowRun's refusals and answer, on the engine with a recording Glue client (no server).

https://docs.aws.amazon.com/glue/latest/webapi/API_ResumeWorkflowRun.html: "The nodes that are to be
restarted must have a run attempt in the original run"; the answer's NodeIds are "the node IDs for the
nodes that were actually restarted", its RunId a new one; errors include InvalidInputException,
ConcurrentRunsExceededException and IllegalWorkflowStateException.
https://docs.aws.amazon.com/glue/latest/dg/resuming-workflow.html: the selected nodes and every node
downstream run again; the resumed run is a run of its own with a new run id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from glue_flow_local.glue.workflows.engine import WorkflowEngine
from glue_flow_local.glue.workflows.resume import resume_run
from glue_flow_local.glue.workflows.runs import WorkflowRun, node_id
from glue_flow_local.protocol.errors import GlueApiError
from test_glue.workflows.test_engine import RecordingGlue, engine_at

REGION = "us-east-1"
TRIGGERS = [
    {"Name": "start", "WorkflowName": "wf", "Type": "ON_DEMAND", "Actions": [{"JobName": "encode"}]},
    {
        "Name": "then-load",
        "WorkflowName": "wf",
        "Type": "CONDITIONAL",
        "State": "ACTIVATED",
        "Predicate": {"Conditions": [{"JobName": "encode", "State": "SUCCEEDED"}]},
        "Actions": [{"JobName": "load"}],
    },
    {
        "Name": "then-publish",
        "WorkflowName": "wf",
        "Type": "CONDITIONAL",
        "State": "ACTIVATED",
        "Predicate": {"Conditions": [{"JobName": "load", "State": "SUCCEEDED"}]},
        "Actions": [{"JobName": "publish"}],
    },
]


def end(engine: WorkflowEngine, glue: RecordingGlue, job: str, state: str) -> None:
    """The latest run of ``job`` that the engine started ends in ``state``."""
    number = max(i for i, (name, _) in enumerate(glue.started, 1) if name == job)
    engine.job_ended(REGION, job, {"Id": f"jr_{number}", "JobRunState": state}, False)


def failed_load_run(limit: int | None = None) -> tuple[WorkflowEngine, RecordingGlue, WorkflowRun]:
    glue = RecordingGlue([dict(t) for t in TRIGGERS], {"wf": {"MaxConcurrentRuns": limit} if limit else {}})
    engine, _ = engine_at(glue, datetime(2026, 12, 7, tzinfo=UTC))
    engine.shutdown()
    run = engine.start_run(REGION, "wf")
    end(engine, glue, "encode", "SUCCEEDED")
    end(engine, glue, "load", "FAILED")
    assert run.status == "COMPLETED"
    return engine, glue, run


def node(job: str) -> str:
    return node_id("wf", "JOB", job)


def refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(GlueApiError) as caught:
        call()
    return caught.value.code, caught.value.message


def test_resume_reruns_the_failed_node_once_and_answers_the_nodes_restarted() -> None:
    engine, glue, run = failed_load_run()

    resumed, restarted = resume_run(engine, REGION, "wf", run.id, [node("load"), node("load")])

    assert restarted == [node("load")]
    assert resumed.id != run.id and resumed.previous_run_id == run.id
    assert [name for name, _ in glue.started] == ["encode", "load", "load"]
    end(engine, glue, "load", "SUCCEEDED")  # and what follows it runs
    assert [name for name, _ in glue.started][-1] == "publish"


def test_a_node_without_a_run_attempt_in_the_run_is_refused_by_name() -> None:
    engine, glue, run = failed_load_run()

    code, message = refusal(lambda: resume_run(engine, REGION, "wf", run.id, [node("publish")]))

    assert code == "InvalidInputException"
    assert node("publish") in message and "publish" in message and run.id in message
    assert len(engine.runs(REGION, "wf")) == 1 and len(glue.started) == 2


def test_a_running_run_cannot_be_resumed() -> None:
    glue = RecordingGlue([dict(t) for t in TRIGGERS], {"wf": {}})
    engine, _ = engine_at(glue, datetime(2026, 12, 7, tzinfo=UTC))
    engine.shutdown()
    run = engine.start_run(REGION, "wf")

    code, message = refusal(lambda: resume_run(engine, REGION, "wf", run.id, [node("encode")]))

    assert code == "IllegalWorkflowStateException"
    assert run.id in message and "RUNNING" in message


def test_resume_counts_against_max_concurrent_runs() -> None:
    engine, glue, run = failed_load_run(limit=1)
    busy = engine.start_run(REGION, "wf")  # its encode job never ends: RUNNING

    code, message = refusal(lambda: resume_run(engine, REGION, "wf", run.id, [node("load")], 1))

    assert (code, message) == ("ConcurrentRunsExceededException", "Concurrent runs exceeded for workflow: wf")
    assert [r.id for r in engine.runs(REGION, "wf")] == [busy.id, run.id]
