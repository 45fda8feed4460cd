"""What the workflow tests share: stand-in job scripts, trigger shapes, and waiting for a run to end."""

from __future__ import annotations

import time
from typing import Any

#: A job that reads its workflow's run properties with its own boto3 client and puts one back.
PROPERTIES_SCRIPT = b"""
import sys
import boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["WORKFLOW_NAME", "WORKFLOW_RUN_ID"])
glue = boto3.client("glue")
props = glue.get_workflow_run_properties(Name=args["WORKFLOW_NAME"], RunId=args["WORKFLOW_RUN_ID"])
source = props["RunProperties"]["source"]
glue.put_workflow_run_properties(
    Name=args["WORKFLOW_NAME"], RunId=args["WORKFLOW_RUN_ID"], RunProperties={"encoded": source + ".utf8"}
)
print("encoded", source)
"""
OK_SCRIPT = b"print('done')\n"
FAIL_SCRIPT = b"raise SystemExit('load failed: no such table')\n"
SLEEP_SCRIPT = b'import time\nprint("sleeping", flush=True)\ntime.sleep(60)\n'


def on_job(job: str, state: str) -> dict[str, str]:
    """A condition on a job's State."""
    return {"LogicalOperator": "EQUALS", "JobName": job, "State": state}


def on_crawl(crawler: str, state: str) -> dict[str, str]:
    """A condition on a crawler's CrawlState."""
    return {"LogicalOperator": "EQUALS", "CrawlerName": crawler, "CrawlState": state}


def conditional(
    glue: Any, name: str, workflow: str | None, action: dict[str, Any], logical: str, *conditions: Any
) -> None:
    """Create an ACTIVATED conditional trigger (StartOnCreation)."""
    extra = {"WorkflowName": workflow} if workflow else {}
    glue.create_trigger(
        Name=name,
        Type="CONDITIONAL",
        StartOnCreation=True,
        Actions=[action],
        Predicate={"Logical": logical, "Conditions": list(conditions)},
        **extra,
    )


def event_workflow(glue: Any, s3: Any, bucket: str, unique: Any, batch: dict[str, int]) -> tuple[str, str]:
    """A workflow whose ACTIVATED EVENT trigger (with this EventBatchingCondition) starts one stand-in job.

    :returns: the workflow and job names.
    """
    from local_glue_support import create_python_job

    workflow, job = unique("wf"), unique("job")
    create_python_job(glue, s3, bucket, job, OK_SCRIPT)
    glue.create_workflow(Name=workflow)
    glue.create_trigger(
        Name=unique("on-upload"),
        WorkflowName=workflow,
        Type="EVENT",
        StartOnCreation=True,
        EventBatchingCondition=batch,
        Actions=[{"JobName": job}],
    )
    return workflow, job


def wait_for_workflow_run(glue: Any, workflow: str, run_id: str, timeout: float = 90.0) -> dict[str, Any]:
    """Poll GetWorkflowRun until the run is no longer RUNNING or STOPPING, and return it with its graph."""
    deadline = time.monotonic() + timeout
    while True:
        run: dict[str, Any] = glue.get_workflow_run(Name=workflow, RunId=run_id, IncludeGraph=True)["Run"]
        if run["Status"] not in ("RUNNING", "STOPPING"):
            return run
        if time.monotonic() >= deadline:
            raise AssertionError(
                f"workflow run {run_id} of {workflow} still {run['Status']} after {timeout}s"
            )
        time.sleep(0.1)


def job_runs_of(run: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Job name -> the job runs its JOB node carries in a run's graph."""
    return {
        node["Name"]: node.get("JobDetails", {}).get("JobRuns", [])
        for node in run["Graph"]["Nodes"]
        if node["Type"] == "JOB"
    }
