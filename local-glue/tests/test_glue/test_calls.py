"""The call log at /_local/calls: the Glue calls with side effects, and the ends of job runs and crawls,
in the order they happened, whoever made them (a client, or the workflow engine for a workflow run)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from glue_flow_local.testing import create_python_job, wait_for_crawl, wait_for_run
from test_glue.workflows.flows import wait_for_workflow_run


def read_calls(local_glue: Any, since: int = 0) -> dict[str, Any]:
    with urllib.request.urlopen(f"{local_glue.endpoint_url}/_local/calls?since={since}") as answer:
        body: dict[str, Any] = json.loads(answer.read())
    return body


def test_job_runs_and_crawls_are_logged_in_order_with_their_requests(
    local_glue, glue_client, s3_client, bucket, unique
):
    start = read_calls(local_glue)["Next"]
    job, crawler, database = unique("job"), unique("crawler"), unique("db")
    create_python_job(glue_client, s3_client, bucket, job, b"print('ok')\n")
    glue_client.create_database(DatabaseInput={"Name": database})
    s3_client.put_object(Bucket=bucket, Key="calls/in/a.csv", Body=b"id\n1\n")
    glue_client.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/calls/in/"}]},
    )
    run_id = glue_client.start_job_run(JobName=job, Arguments={"--day": "1"})["JobRunId"]
    wait_for_run(glue_client, job, run_id)
    glue_client.start_crawler(Name=crawler)
    with pytest.raises(glue_client.exceptions.CrawlerRunningException):
        glue_client.start_crawler(Name=crawler)
    wait_for_crawl(glue_client, crawler)
    glue_client.get_job_run(JobName=job, RunId=run_id)  # a read: not logged

    calls = read_calls(local_glue, start)["Calls"]
    assert [(c.get("Action") or c["Event"]) for c in calls] == [
        "StartJobRun",
        "JobRunEnded",
        "StartCrawler",
        "StartCrawler",
        "CrawlEnded",
    ]
    assert calls[0]["Request"] == {"JobName": job, "Arguments": {"--day": "1"}}
    assert calls[0]["Response"] == {"JobRunId": run_id}
    assert (calls[1]["JobRunId"], calls[1]["JobRunState"]) == (run_id, "SUCCEEDED")
    assert calls[3]["Response"]["__type"] == "CrawlerRunningException"
    assert calls[4]["Status"] == "SUCCEEDED"
    assert [c["Seq"] for c in calls] == sorted(c["Seq"] for c in calls)
    later = read_calls(local_glue, calls[-1]["Seq"])
    assert later["Calls"] == calls[-1:] and later["Next"] == calls[-1]["Seq"] + 1


def test_a_workflow_runs_calls_are_logged_as_the_engine_makes_them(
    local_glue, glue_client, s3_client, bucket, unique
):
    workflow, first, second = unique("wf"), unique("first"), unique("second")
    create_python_job(glue_client, s3_client, bucket, first, b"raise SystemExit('broken')\n")
    create_python_job(glue_client, s3_client, bucket, second, b"print('ok')\n")
    glue_client.create_workflow(Name=workflow)
    glue_client.create_trigger(
        Name=unique("go"), WorkflowName=workflow, Type="ON_DEMAND", Actions=[{"JobName": first}]
    )
    glue_client.create_trigger(
        Name=unique("after"),
        WorkflowName=workflow,
        Type="CONDITIONAL",
        StartOnCreation=True,
        Actions=[{"JobName": second}],
        Predicate={"Conditions": [{"LogicalOperator": "EQUALS", "JobName": first, "State": "FAILED"}]},
    )
    start = read_calls(local_glue)["Next"]
    run_id = glue_client.start_workflow_run(Name=workflow)["RunId"]
    wait_for_workflow_run(glue_client, workflow, run_id)

    logged = read_calls(local_glue, start)["Calls"]
    # A call is logged when it is answered: StartWorkflowRun after the StartJobRun the engine made for it.
    assert [c["Response"] for c in logged if c.get("Action") == "StartWorkflowRun"] == [{"RunId": run_id}]
    calls = [c for c in logged if c.get("Action") != "StartWorkflowRun"]
    steps = [(c.get("Action") or c["Event"], c.get("JobName") or c["Request"].get("JobName")) for c in calls]
    # The failed job's end comes before the StartJobRun its conditional trigger makes.
    assert steps == [
        ("StartJobRun", first),
        ("JobRunEnded", first),
        ("StartJobRun", second),
        ("JobRunEnded", second),
    ]
    assert calls[0]["Request"]["Arguments"] == {"--WORKFLOW_NAME": workflow, "--WORKFLOW_RUN_ID": run_id}
    assert calls[1]["JobRunState"] == "FAILED"


def test_the_log_only_reads_and_checks_its_query(local_glue):
    request = urllib.request.Request(f"{local_glue.endpoint_url}/_local/calls", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)
    assert refused.value.code == 405
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(f"{local_glue.endpoint_url}/_local/calls?since=x")
    assert bad.value.code == 400
    assert "since='x'" in json.loads(bad.value.read())["message"]
