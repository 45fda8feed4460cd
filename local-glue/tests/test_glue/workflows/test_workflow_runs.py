"""Glue workflow runs on the local Glue, with Python-shell stand-in jobs.

- StartWorkflowRun / GetWorkflowRun(IncludeGraph) / Status / Statistics / StopWorkflowRun / ResumeWorkflowRun /
  MaxConcurrentRuns and run properties: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-workflow.html
- A run with a failed job is COMPLETED; Statistics counts the failure:
  https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRunStatistics.html
- Jobs get --WORKFLOW_NAME and --WORKFLOW_RUN_ID and read or put run properties with them:
  https://docs.aws.amazon.com/glue/latest/dg/workflow-run-properties-code.html
- Only ACTIVATED triggers fire; an ON_DEMAND trigger stays CREATED; inside a workflow a job fires
  dependants only when the run started it: https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
"""

from __future__ import annotations

import time

import pytest
from local_glue_support import create_python_job, wait_for_run

from test_glue.workflows.flows import (
    FAIL_SCRIPT,
    OK_SCRIPT,
    PROPERTIES_SCRIPT,
    SLEEP_SCRIPT,
    conditional,
    job_runs_of,
    on_job,
    wait_for_workflow_run,
)

pytestmark = pytest.mark.slow


def seed_004_workflow(glue, s3, bucket, unique, load_script):
    """ON_DEMAND start -> encode; ALL(encode SUCCEEDED) -> load; ANY(encode FAILED, TIMEOUT) -> alert."""
    names = {step: unique(step) for step in ("wf", "encode", "load", "alert")}
    create_python_job(glue, s3, bucket, names["encode"], PROPERTIES_SCRIPT)
    create_python_job(glue, s3, bucket, names["load"], load_script)
    create_python_job(glue, s3, bucket, names["alert"], OK_SCRIPT)
    glue.create_workflow(Name=names["wf"], DefaultRunProperties={"source": "s3://landing/sjis.csv"})
    glue.create_trigger(
        Name=unique("start"),
        WorkflowName=names["wf"],
        Type="ON_DEMAND",
        Actions=[{"JobName": names["encode"]}],
    )
    conditional(
        glue,
        unique("load"),
        names["wf"],
        {"JobName": names["load"]},
        "AND",
        on_job(names["encode"], "SUCCEEDED"),
    )
    conditional(
        glue,
        unique("alert"),
        names["wf"],
        {"JobName": names["alert"]},
        "ANY",
        on_job(names["encode"], "FAILED"),
        on_job(names["encode"], "TIMEOUT"),
    )
    return names


def test_seed_004_workflow_with_a_failing_load_is_completed_with_one_failed_action(
    glue_client, s3_client, bucket, unique
):
    names = seed_004_workflow(glue_client, s3_client, bucket, unique, FAIL_SCRIPT)

    run_id = glue_client.start_workflow_run(Name=names["wf"])["RunId"]
    run = wait_for_workflow_run(glue_client, names["wf"], run_id)

    assert run["Status"] == "COMPLETED"
    stats = run["Statistics"]
    assert (stats["TotalActions"], stats["SucceededActions"], stats["FailedActions"]) == (2, 1, 1)
    runs = job_runs_of(run)
    assert [r["JobRunState"] for r in runs[names["encode"]]] == ["SUCCEEDED"]
    assert [r["JobRunState"] for r in runs[names["load"]]] == ["FAILED"]
    assert runs[names["alert"]] == []  # the alert never ran
    assert glue_client.get_job_runs(JobName=names["alert"])["JobRuns"] == []
    # Run properties reached the job: it read the default and put its own.
    assert run["WorkflowRunProperties"] == {
        "source": "s3://landing/sjis.csv",
        "encoded": "s3://landing/sjis.csv.utf8",
    }
    encode = runs[names["encode"]][0]
    assert encode["Arguments"]["--WORKFLOW_NAME"] == names["wf"]
    assert encode["Arguments"]["--WORKFLOW_RUN_ID"] == run_id
    assert glue_client.get_workflow(Name=names["wf"])["Workflow"]["LastRun"]["WorkflowRunId"] == run_id


def test_a_job_run_outside_the_workflow_fires_none_of_its_triggers(glue_client, s3_client, bucket, unique):
    names = seed_004_workflow(glue_client, s3_client, bucket, unique, OK_SCRIPT)
    # Started by hand, not by a trigger of a workflow run: encode's success must not start load.
    alone = glue_client.start_job_run(
        JobName=names["encode"], Arguments={"--WORKFLOW_NAME": "none", "--WORKFLOW_RUN_ID": "none"}
    )["JobRunId"]
    wait_for_run(glue_client, names["encode"], alone)

    assert glue_client.get_job_runs(JobName=names["load"])["JobRuns"] == []


def test_run_properties_are_given_over_the_defaults_and_can_be_put(glue_client, unique):
    name = unique("wf")
    glue_client.create_workflow(Name=name, DefaultRunProperties={"a": "1", "b": "2"})

    run_id = glue_client.start_workflow_run(Name=name, RunProperties={"b": "given"})["RunId"]
    glue_client.put_workflow_run_properties(Name=name, RunId=run_id, RunProperties={"c": "3"})

    props = glue_client.get_workflow_run_properties(Name=name, RunId=run_id)["RunProperties"]
    assert props == {"a": "1", "b": "given", "c": "3"}
    # No start trigger: nothing to run, so the run is over at once.
    assert glue_client.get_workflow_run(Name=name, RunId=run_id)["Run"]["Status"] == "COMPLETED"


def test_stop_workflow_run_stops_its_job_and_ends_stopped(glue_client, s3_client, bucket, unique):
    wf, job = unique("wf"), unique("sleeper")
    create_python_job(glue_client, s3_client, bucket, job, SLEEP_SCRIPT)
    glue_client.create_workflow(Name=wf, MaxConcurrentRuns=1)
    glue_client.create_trigger(
        Name=unique("start"), WorkflowName=wf, Type="ON_DEMAND", Actions=[{"JobName": job}]
    )
    run_id = glue_client.start_workflow_run(Name=wf)["RunId"]

    # MaxConcurrentRuns 1: a second run is refused while the first runs.
    with pytest.raises(glue_client.exceptions.ConcurrentRunsExceededException, match=wf):
        glue_client.start_workflow_run(Name=wf)
    glue_client.stop_workflow_run(Name=wf, RunId=run_id)
    run = wait_for_workflow_run(glue_client, wf, run_id)

    assert run["Status"] == "STOPPED"
    assert run["Statistics"]["StoppedActions"] == 1
    with pytest.raises(glue_client.exceptions.IllegalWorkflowStateException, match=run_id):
        glue_client.stop_workflow_run(Name=wf, RunId=run_id)


def test_created_conditional_trigger_does_not_fire_and_on_demand_stays_created(
    glue_client, s3_client, bucket, unique
):
    wf, first, second = unique("wf"), unique("first"), unique("second")
    create_python_job(glue_client, s3_client, bucket, first, OK_SCRIPT)
    create_python_job(glue_client, s3_client, bucket, second, OK_SCRIPT)
    glue_client.create_workflow(Name=wf)
    start = unique("start")
    glue_client.create_trigger(Name=start, WorkflowName=wf, Type="ON_DEMAND", Actions=[{"JobName": first}])
    inactive = unique("inactive")
    glue_client.create_trigger(
        Name=inactive,
        WorkflowName=wf,
        Type="CONDITIONAL",
        Actions=[{"JobName": second}],
        Predicate={"Conditions": [on_job(first, "SUCCEEDED")]},
    )

    glue_client.start_trigger(Name=start)  # a workflow's ON_DEMAND trigger starts a run of it
    [summary] = glue_client.get_workflow_runs(Name=wf)["Runs"]
    run = wait_for_workflow_run(glue_client, wf, summary["WorkflowRunId"])

    assert run["Statistics"]["SucceededActions"] == 1
    assert glue_client.get_job_runs(JobName=second)["JobRuns"] == []
    assert glue_client.get_trigger(Name=start)["Trigger"]["State"] == "CREATED"
    assert glue_client.get_trigger(Name=inactive)["Trigger"]["State"] == "CREATED"


def test_resume_reruns_the_failed_node_and_what_follows(glue_client, s3_client, bucket, unique):
    names = seed_004_workflow(glue_client, s3_client, bucket, unique, FAIL_SCRIPT)
    run_id = glue_client.start_workflow_run(Name=names["wf"])["RunId"]
    run = wait_for_workflow_run(glue_client, names["wf"], run_id)
    load_node = next(n["UniqueId"] for n in run["Graph"]["Nodes"] if n["Name"] == names["load"])
    # The load job is fixed, then the run resumed from it.
    s3_client.put_object(Bucket=bucket, Key=f"scripts/{names['load']}.py", Body=OK_SCRIPT)

    resumed = glue_client.resume_workflow_run(Name=names["wf"], RunId=run_id, NodeIds=[load_node])
    again = wait_for_workflow_run(glue_client, names["wf"], resumed["RunId"])

    assert resumed["RunId"] != run_id
    assert again["PreviousRunId"] == run_id
    assert again["Status"] == "COMPLETED"
    assert (again["Statistics"]["TotalActions"], again["Statistics"]["SucceededActions"]) == (1, 1)
    assert [r["JobRunState"] for r in glue_client.get_job_runs(JobName=names["encode"])["JobRuns"]] == [
        "SUCCEEDED"
    ]


def test_seed_004_workflow_alerts_when_encode_times_out(glue_client, s3_client, bucket, unique):
    names = seed_004_workflow(glue_client, s3_client, bucket, unique, OK_SCRIPT)
    # The encode job now sleeps past its Timeout (one test-server minute): ANY(FAILED, TIMEOUT) fires.
    s3_client.put_object(Bucket=bucket, Key=f"scripts/{names['encode']}.py", Body=SLEEP_SCRIPT)
    job = glue_client.get_job(JobName=names["encode"])["Job"]
    glue_client.update_job(
        JobName=names["encode"],
        JobUpdate={"Role": job["Role"], "Command": job["Command"], "MaxCapacity": 0.0625, "Timeout": 1},
    )

    run = wait_for_workflow_run(
        glue_client, names["wf"], glue_client.start_workflow_run(Name=names["wf"])["RunId"]
    )

    runs = job_runs_of(run)
    assert [r["JobRunState"] for r in runs[names["encode"]]] == ["TIMEOUT"]
    assert [r["JobRunState"] for r in runs[names["alert"]]] == ["SUCCEEDED"]
    assert runs[names["load"]] == []
    assert run["Status"] == "COMPLETED"
    assert (run["Statistics"]["TimeoutActions"], run["Statistics"]["SucceededActions"]) == (1, 1)


RETRIED_SCRIPT = b"""
import sys, time, boto3
from awsglue.utils import getResolvedOptions

args = getResolvedOptions(sys.argv, ["MARKER_BUCKET"])
s3 = boto3.client("s3")
if s3.list_objects_v2(Bucket=args["MARKER_BUCKET"], Prefix="marker/").get("KeyCount"):
    print("second attempt", flush=True)
    time.sleep(60)
s3.put_object(Bucket=args["MARKER_BUCKET"], Key="marker/first", Body=b"")
raise SystemExit("first attempt fails")
"""


def test_stop_workflow_run_stops_the_retry_attempt_of_its_job(glue_client, s3_client, bucket, unique):
    # MaxRetries: a FAILED run starts a new attempt of the same job; the workflow's action is the job.
    wf, job = unique("wf"), unique("retried")
    create_python_job(
        glue_client,
        s3_client,
        bucket,
        job,
        RETRIED_SCRIPT,
        MaxRetries=1,
        DefaultArguments={"--MARKER_BUCKET": bucket},
    )
    glue_client.create_workflow(Name=wf)
    glue_client.create_trigger(
        Name=unique("start"), WorkflowName=wf, Type="ON_DEMAND", Actions=[{"JobName": job}]
    )
    run_id = glue_client.start_workflow_run(Name=wf)["RunId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runs = glue_client.get_job_runs(JobName=job)["JobRuns"]
        if len(runs) == 2 and runs[0]["JobRunState"] == "RUNNING":
            break
        time.sleep(0.1)
    assert glue_client.get_workflow_run(Name=wf, RunId=run_id)["Run"]["Status"] == "RUNNING"

    glue_client.stop_workflow_run(Name=wf, RunId=run_id)
    run = wait_for_workflow_run(glue_client, wf, run_id)

    assert run["Status"] == "STOPPED"
    assert [r["JobRunState"] for r in glue_client.get_job_runs(JobName=job)["JobRuns"]] == [
        "STOPPED",
        "FAILED",
    ]
    assert (run["Statistics"]["TotalActions"], run["Statistics"]["StoppedActions"]) == (1, 1)
