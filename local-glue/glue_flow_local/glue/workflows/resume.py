"""ResumeWorkflowRun: the selected nodes of a COMPLETED run, and every node downstream, run again.

Each selected node must have a run attempt in the run resumed (a node that never ran is refused; one that
succeeded may be run again), and the resumed run counts against the workflow's MaxConcurrentRuns.

The resumed run gets a new id (its PreviousRunId is the run it resumes) and a copy of the run
properties; what the earlier run did upstream of the selected nodes still counts for its triggers.
https://docs.aws.amazon.com/glue/latest/dg/resuming-workflow.html
https://docs.aws.amazon.com/glue/latest/webapi/API_ResumeWorkflowRun.html
"""

from __future__ import annotations

import copy
from typing import Any

from glue_flow_local.glue.workflows.engine import WorkflowEngine
from glue_flow_local.glue.workflows.runs import WorkflowRun, node_id
from glue_flow_local.glue.workflows.triggers import watches
from glue_flow_local.protocol.errors import GlueApiError


def resume_run(
    engine: WorkflowEngine,
    region: str,
    name: str,
    run_id: str,
    node_ids: list[str],
    max_concurrent_runs: int | None = None,
) -> tuple[WorkflowRun, list[str]]:
    """Resume a run from the given JOB / CRAWLER nodes.

    :param max_concurrent_runs: the workflow's MaxConcurrentRuns (the resumed run counts against it).
    :returns: the new run and the node ids actually restarted (each once, in the order given).
    :raises GlueApiError: IllegalWorkflowStateException unless the run is COMPLETED; InvalidInputException
        for no node id, a node id that is no job or crawler of the workflow, or a node without a run
        attempt in the run; ConcurrentRunsExceededException at MaxConcurrentRuns.
    """
    old = engine.run(region, name, run_id)
    if old.status != "COMPLETED":
        raise GlueApiError(
            "IllegalWorkflowStateException",
            f"Workflow run {run_id} of workflow {name} is {old.status}; only a COMPLETED run can be resumed",
        )
    if not node_ids:
        raise GlueApiError("InvalidInputException", "ResumeWorkflowRun needs at least one node id")
    triggers = engine.triggers(region, name)
    nodes = _action_nodes(name, triggers)
    attempted = {(a.kind, a.name) for a in [*old.actions, *old.inherited]}
    selected: list[tuple[str, str]] = []
    restarted: list[str] = []
    for unique in node_ids:
        if unique not in nodes:
            raise GlueApiError(
                "InvalidInputException", f"Node {unique} is not a job or crawler node of workflow {name}"
            )
        if nodes[unique] not in attempted:
            # "The nodes that are to be restarted must have a run attempt in the original run."
            kind, target = nodes[unique]
            raise GlueApiError(
                "InvalidInputException",
                f"Node {unique} ({kind} {target}) has no run attempt in workflow run {run_id} of {name}",
            )
        if unique not in restarted:
            restarted.append(unique)
            selected.append(nodes[unique])
    if max_concurrent_runs and sum(r.active for r in engine.runs(region, name)) >= max_concurrent_runs:
        raise GlueApiError(
            "ConcurrentRunsExceededException", f"Concurrent runs exceeded for workflow: {name}"
        )
    down_nodes, down_triggers = _downstream(selected, triggers)
    new = WorkflowRun(region, name, dict(old.properties), previous_run_id=old.id)
    new.inherited = [copy.copy(a) for a in old.actions if (a.kind, a.name) not in down_nodes]
    new.fired = set(old.fired) - down_triggers
    starts: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for kind, target in selected:
        key = "JobName" if kind == "JOB" else "CrawlerName"
        for trigger in triggers:
            spec = next((s for s in trigger.get("Actions") or [] if s.get(key) == target), None)
            if spec is not None:
                starts.append((trigger, spec))
                break
    engine.begin(new, starts)
    return new, restarted


def _action_nodes(workflow: str, triggers: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    nodes = {}
    for trigger in triggers:
        entries = list(trigger.get("Actions") or []) + list(
            (trigger.get("Predicate") or {}).get("Conditions") or []
        )
        for entry in entries:
            if entry.get("JobName"):
                nodes[node_id(workflow, "JOB", entry["JobName"])] = ("JOB", entry["JobName"])
            elif entry.get("CrawlerName"):
                nodes[node_id(workflow, "CRAWLER", entry["CrawlerName"])] = ("CRAWLER", entry["CrawlerName"])
    return nodes


def _downstream(
    selected: list[tuple[str, str]], triggers: list[dict[str, Any]]
) -> tuple[set[tuple[str, str]], set[str]]:
    """The selected nodes and every node after them, and the triggers between them."""
    nodes, fired = set(selected), set()
    frontier = list(selected)
    while frontier:
        kind, name = frontier.pop()
        for trigger in triggers:
            if trigger["Name"] in fired or not watches(trigger, kind, name):
                continue
            fired.add(trigger["Name"])
            for spec in trigger.get("Actions") or []:
                target = (
                    ("JOB", spec["JobName"])
                    if spec.get("JobName")
                    else ("CRAWLER", spec.get("CrawlerName", ""))
                )
                if target not in nodes:
                    nodes.add(target)
                    frontier.append(target)
    return nodes, fired
