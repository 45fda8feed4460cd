"""Console pages of Glue workflows: a workflow with its triggers and runs, and a run with its graph's state.

Each run shows its Status beside its Statistics, so a COMPLETED run with a failed action reads as such.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from glue_flow_local.console.markup import Page, _e, _fields, _rows, _state
from glue_flow_local.settings import CONSOLE_PREFIX


def workflow_list(glue: Any, region: str) -> str:
    """The index page's section: every workflow with its last run's status."""
    names = [
        name for page in glue.get_paginator("list_workflows").paginate() for name in page.get("Workflows", [])
    ]
    q = f"?region={quote(region)}"
    rows = []
    for name in names:
        last = glue.get_workflow(Name=name)["Workflow"].get("LastRun") or {}
        rows.append(
            (
                f'<a href="{CONSOLE_PREFIX}/workflows/{quote(name)}{q}">{_e(name)}</a>',
                _state(last.get("Status")),
                _e(_failures(last)),
            )
        )
    return "<h2>Workflows</h2>" + _rows(("workflow", "last run", "failed actions"), rows)


def workflow_page(glue: Any, region: str, name: str) -> Page:
    """A workflow: its triggers and its runs, newest first."""
    workflow = glue.get_workflow(Name=name, IncludeGraph=True)["Workflow"]
    runs = glue.get_workflow_runs(Name=name, IncludeGraph=False).get("Runs", [])
    triggers = [
        n["TriggerDetails"]["Trigger"]
        for n in workflow.get("Graph", {}).get("Nodes", [])
        if n["Type"] == "TRIGGER"
    ]
    q = f"?region={quote(region)}"
    return f"Workflow {name}", (
        _fields(
            [
                ("Description", workflow.get("Description")),
                ("Default run properties", workflow.get("DefaultRunProperties")),
            ]
        )
        + "<h2>Triggers</h2>"
        + _rows(
            ("trigger", "type", "state", "starts"),
            (
                (
                    _e(t["Name"]),
                    _e(t.get("Type")),
                    _e(t.get("State")),
                    _e(", ".join(_target(a) for a in t.get("Actions") or [])),
                )
                for t in triggers
            ),
        )
        + "<h2>Runs</h2>"
        + _rows(
            ("run", "status", "started", "completed", "actions", "failed actions"),
            (
                (
                    f'<a href="{CONSOLE_PREFIX}/workflows/{quote(name)}/runs/{quote(r["WorkflowRunId"])}{q}">'
                    f"{_e(r['WorkflowRunId'])}</a>",
                    _state(r.get("Status")),
                    _e(r.get("StartedOn")),
                    _e(r.get("CompletedOn")),
                    _e((r.get("Statistics") or {}).get("TotalActions")),
                    _e(_failures(r)),
                )
                for r in runs
            ),
        )
    )


def workflow_run_page(glue: Any, region: str, name: str, run_id: str) -> Page:
    """A workflow run: status, statistics, properties, and each node of its graph with its state."""
    run = glue.get_workflow_run(Name=name, RunId=run_id, IncludeGraph=True)["Run"]
    q = f"?region={quote(region)}"
    rows = []
    for node in run.get("Graph", {}).get("Nodes", []):
        if node["Type"] == "JOB":
            job_runs = (node.get("JobDetails") or {}).get("JobRuns") or []
            state = " ".join(
                f'<a href="{CONSOLE_PREFIX}/jobs/{quote(node["Name"])}/runs/{quote(r["Id"])}{q}">'
                f"{_state(r.get('JobRunState'))}</a>"
                for r in job_runs
            )
        elif node["Type"] == "CRAWLER":
            crawls = (node.get("CrawlerDetails") or {}).get("Crawls") or []
            state = " ".join(_state(c.get("State")) for c in crawls)
        else:
            trigger = node["TriggerDetails"]["Trigger"]
            state = _e(f"{trigger.get('Type')} {trigger.get('State')}")
        rows.append((_e(node["Type"]), _e(node["Name"]), state or "not run"))
    return f"Workflow {name} run {run_id}", (
        _fields(
            [
                ("Status", run.get("Status")),
                ("Started", run.get("StartedOn")),
                ("Completed", run.get("CompletedOn")),
                ("Error", run.get("ErrorMessage")),
                ("Previous run", run.get("PreviousRunId")),
                ("Run properties", run.get("WorkflowRunProperties")),
            ]
        )
        + "<h2>Statistics</h2>"
        + _fields(sorted((run.get("Statistics") or {}).items()))
        + "<h2>Graph</h2>"
        + _rows(("node", "name", "state"), rows)
    )


def _failures(run: dict[str, Any]) -> str:
    stats = run.get("Statistics") or {}
    failed = sum(stats.get(k, 0) for k in ("FailedActions", "TimeoutActions", "ErroredActions"))
    return str(failed) if run else ""


def _target(action: dict[str, Any]) -> str:
    return f"job {action['JobName']}" if action.get("JobName") else f"crawler {action.get('CrawlerName')}"
