"""One Glue workflow run: the actions its triggers started, its Status, Statistics and Graph.

A run is RUNNING while any action it started is running, then COMPLETED, even when an action FAILED:
only ``Statistics`` shows failures, as AWS reports it (StopWorkflowRun: STOPPING, then STOPPED).
https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html
https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRunStatistics.html
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Job run states (and ERROR for an action that could not start) that end an action.
ACTION_DONE = frozenset({"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED", "CANCELLED"})
# Action state -> WorkflowRunStatistics counter (a crawl's CANCELLED counts as stopped).
_COUNTERS = {
    "SUCCEEDED": "SucceededActions",
    "FAILED": "FailedActions",
    "TIMEOUT": "TimeoutActions",
    "STOPPED": "StoppedActions",
    "CANCELLED": "StoppedActions",
    "ERROR": "ErroredActions",
    "EXPIRED": "ErroredActions",
    "WAITING": "WaitingActions",
}


@dataclass
class Action:
    """One job run or crawl that a trigger of the run started.

    :param kind: ``JOB`` or ``CRAWLER``.
    :param name: the job or crawler name.
    :param trigger: the trigger that started it.
    :param run_id: the job run id (the first attempt's; a retry keeps the action).
    """

    kind: str
    name: str
    trigger: str
    run_id: str = ""
    state: str = "RUNNING"
    error: str | None = None
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    attempts: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        """Whether the action has ended."""
        return self.state in ACTION_DONE


@dataclass
class WorkflowRun:
    """A run of one workflow in one region."""

    region: str
    workflow: str
    properties: dict[str, str]
    previous_run_id: str | None = None
    id: str = field(default_factory=lambda: f"wr_{secrets.token_hex(32)}")
    status: str = "RUNNING"
    error_message: str | None = None
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    actions: list[Action] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)
    #: Ended actions of the run this one resumes, that still count for its triggers.
    inherited: list[Action] = field(default_factory=list)
    starting_batch: dict[str, int] | None = None

    @property
    def active(self) -> bool:
        """Whether the run counts against the workflow's MaxConcurrentRuns."""
        return self.status in ("RUNNING", "STOPPING")

    def latest(self, kind: str, name: str) -> Action | None:
        """The last action of this job or crawler that has ended in this run."""
        done = [a for a in self.inherited + self.actions if a.kind == kind and a.name == name and a.done]
        return done[-1] if done else None

    def settle(self) -> None:
        """End the run when nothing it started is still running."""
        if self.active and all(action.done for action in self.actions):
            self.status = "STOPPED" if self.status == "STOPPING" else "COMPLETED"
            self.completed_on = datetime.now(UTC)

    def statistics(self) -> dict[str, int]:
        """WorkflowRunStatistics: TotalActions counts the actions the run started."""
        stats = dict.fromkeys(
            (
                "TotalActions",
                "TimeoutActions",
                "FailedActions",
                "StoppedActions",
                "SucceededActions",
                "RunningActions",
                "ErroredActions",
                "WaitingActions",
            ),
            0,
        )
        stats["TotalActions"] = len(self.actions)
        for action in self.actions:
            stats[_COUNTERS.get(action.state, "RunningActions")] += 1
        return stats

    def as_dict(self, graph: dict[str, Any] | None = None) -> dict[str, Any]:
        """The WorkflowRun structure; ``graph`` (from :func:`workflow_graph`) when asked for."""
        run: dict[str, Any] = {
            "Name": self.workflow,
            "WorkflowRunId": self.id,
            "WorkflowRunProperties": dict(self.properties),
            "StartedOn": self.started_on,
            "Status": self.status,
            "Statistics": self.statistics(),
        }
        if self.previous_run_id:
            run["PreviousRunId"] = self.previous_run_id
        if self.completed_on is not None:
            run["CompletedOn"] = self.completed_on
        if self.error_message:
            run["ErrorMessage"] = self.error_message
        if self.starting_batch is not None:
            run["StartingEventBatchCondition"] = dict(self.starting_batch)
        if graph is not None:
            run["Graph"] = graph
        return run


def node_id(workflow: str, kind: str, name: str) -> str:
    """A node's UniqueId: the same for the same workflow, type and name."""
    return "wnode_" + hashlib.sha256(f"{workflow}|{kind}|{name}".encode()).hexdigest()


def workflow_graph(
    workflow: str,
    triggers: list[dict[str, Any]],
    run: WorkflowRun | None = None,
    job_runs: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The WorkflowGraph of a workflow's triggers: watched job/crawler -> trigger -> action job/crawler.

    :param workflow: the workflow name.
    :param triggers: the workflow's triggers, as GetTrigger returns them.
    :param run: the run whose job runs and crawls the JOB and CRAWLER nodes carry.
    :param job_runs: the job runs (as GetJobRun returns them) by run id, for ``JobDetails``.
    """
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, str]] = []

    def node(kind: str, name: str) -> str:
        unique = node_id(workflow, kind, name)
        if unique not in nodes:
            entry: dict[str, Any] = {"Type": kind, "Name": name, "UniqueId": unique}
            actions = [a for a in (run.actions if run else []) if a.kind == kind and a.name == name]
            if kind == "JOB":
                runs = [
                    (job_runs or {}).get(a.run_id) or {"Id": a.run_id, "JobRunState": a.state}
                    for a in actions
                ]
                entry["JobDetails"] = {"JobRuns": runs} if runs else {}
            elif kind == "CRAWLER":
                crawls = [_crawl(a) for a in actions]
                entry["CrawlerDetails"] = {"Crawls": crawls} if crawls else {}
            nodes[unique] = entry
        return unique

    for trigger in triggers:
        tid = node("TRIGGER", trigger["Name"])
        nodes[tid]["TriggerDetails"] = {"Trigger": trigger}
        for condition in (trigger.get("Predicate") or {}).get("Conditions") or []:
            watched = _target(condition)
            if watched:
                edges.append({"SourceId": node(*watched), "DestinationId": tid})
        for action in trigger.get("Actions") or []:
            target = _target(action)
            if target:
                edges.append({"SourceId": tid, "DestinationId": node(*target)})
    return {"Nodes": list(nodes.values()), "Edges": edges}


def _target(entry: dict[str, Any]) -> tuple[str, str] | None:
    if entry.get("JobName"):
        return "JOB", str(entry["JobName"])
    if entry.get("CrawlerName"):
        return "CRAWLER", str(entry["CrawlerName"])
    return None


def _crawl(action: Action) -> dict[str, Any]:
    crawl: dict[str, Any] = {"State": action.state, "StartedOn": action.started_on}
    if action.completed_on is not None:
        crawl["CompletedOn"] = action.completed_on
    if action.error:
        crawl["ErrorMessage"] = action.error
    return crawl
