"""Create a Glue workflow on the local Glue from its ``get-workflow --include-graph`` graph, with stand-ins.

Every JOB node becomes a Python-shell job that prints its workflow arguments; every CRAWLER node a crawler
of a small CSV; every TRIGGER node the trigger it describes (ACTIVATED ones created with StartOnCreation).
:func:`expected_actions` says, from the graph alone, which jobs and crawlers a run must start when every
action succeeds: the start trigger's, then those of each ACTIVATED conditional trigger whose predicate
holds, as https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html describes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from local_glue_support import create_python_job

CORPUS = Path(__file__).resolve().parents[2] / "data" / "glue_workflows"
STAND_IN = b"""
import sys
print("stand-in job", sys.argv[1:], flush=True)
"""
_TRIGGER_FIELDS = (
    "Name",
    "WorkflowName",
    "Type",
    "Schedule",
    "Predicate",
    "Description",
    "EventBatchingCondition",
)
_ACTION_FIELDS = ("JobName", "CrawlerName", "Arguments", "Timeout")


def corpus_files() -> list[Path]:
    """The corpus's workflow files, in order."""
    return sorted(CORPUS.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    """The workflow of one file, with its graph (the last run's, when the file has only that)."""
    workflow: dict[str, Any] = json.loads(path.read_text())["Workflow"]
    workflow.setdefault("Graph", (workflow.get("LastRun") or {}).get("Graph"))
    return workflow


def triggers_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    """The triggers of a workflow's graph."""
    return [n["TriggerDetails"]["Trigger"] for n in workflow["Graph"]["Nodes"] if n["Type"] == "TRIGGER"]


def create(glue: Any, s3: Any, bucket: str, database: str, workflow: dict[str, Any]) -> None:
    """Create the workflow, its stand-in jobs and crawlers, and its triggers."""
    for index, node in enumerate(workflow["Graph"]["Nodes"]):
        if node["Type"] == "JOB":
            create_python_job(glue, s3, bucket, node["Name"], STAND_IN)
        elif node["Type"] == "CRAWLER":
            s3.put_object(Bucket=bucket, Key=f"data/{index}/part.csv", Body=b"id,name\n1,a\n2,b\n")
            glue.create_crawler(
                Name=node["Name"],
                Role="arn:aws:iam::123456789012:role/glue",
                DatabaseName=database,
                TablePrefix=f"t{index}_",
                Targets={"S3Targets": [{"Path": f"s3://{bucket}/data/{index}/"}]},
            )
    extra = {
        k: workflow[k]
        for k in ("Description", "DefaultRunProperties", "MaxConcurrentRuns")
        if workflow.get(k)
    }
    glue.create_workflow(Name=workflow["Name"], **extra)
    for trigger in triggers_of(workflow):
        request = {k: trigger[k] for k in _TRIGGER_FIELDS if trigger.get(k)}
        request["Actions"] = [{k: a[k] for k in _ACTION_FIELDS if k in a} for a in trigger["Actions"]]
        request["StartOnCreation"] = trigger["State"] == "ACTIVATED" and trigger["Type"] != "ON_DEMAND"
        glue.create_trigger(**request)


def expected_actions(workflow: dict[str, Any]) -> set[tuple[str, str]]:
    """The (kind, name) of every action a run must start when all of them succeed."""
    triggers = triggers_of(workflow)
    done: set[tuple[str, str]] = set()
    fired: set[str] = set()

    def fire(trigger: dict[str, Any]) -> None:
        fired.add(trigger["Name"])
        for action in trigger["Actions"]:
            done.add(
                ("JOB", action["JobName"]) if action.get("JobName") else ("CRAWLER", action["CrawlerName"])
            )

    for trigger in triggers:
        if trigger["Type"] != "CONDITIONAL":
            fire(trigger)
    changed = True
    while changed:
        changed = False
        for trigger in triggers:
            if (
                trigger["Type"] != "CONDITIONAL"
                or trigger["State"] != "ACTIVATED"
                or trigger["Name"] in fired
            ):
                continue
            predicate = trigger.get("Predicate") or {}
            met = [
                (("JOB", c["JobName"]) if c.get("JobName") else ("CRAWLER", c["CrawlerName"])) in done
                and (c.get("State") or c.get("CrawlState")) == "SUCCEEDED"
                for c in predicate.get("Conditions") or []
            ]
            if met and (any(met) if predicate.get("Logical") == "ANY" else all(met)):
                fire(trigger)
                changed = True
    return done


def started_actions(run: dict[str, Any]) -> set[tuple[str, str]]:
    """The (kind, name) of every job and crawler node of a run's graph that ran."""
    started = set()
    for node in run["Graph"]["Nodes"]:
        if node.get("JobDetails", {}).get("JobRuns") or node.get("CrawlerDetails", {}).get("Crawls"):
            started.add((node["Type"], node["Name"]))
    return started
