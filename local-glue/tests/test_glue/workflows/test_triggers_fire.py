"""Triggers firing on the local Glue: standalone conditional and ON_DEMAND, SCHEDULED, EVENT, crawler conditions.

- Standalone conditional triggers watch any run of their jobs; StartTrigger fires an ON_DEMAND trigger and it
  stays CREATED; StartTrigger/StopTrigger (de)activate the other types:
  https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
  https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-trigger.html
- SCHEDULED: AWS cron (the test server's Glue minute lasts 1 s, so its clock runs 60 times faster):
  https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
- EVENT triggers, event batching, ``aws:eventIds``:
  https://docs.aws.amazon.com/glue/latest/dg/starting-workflow-eventbridge.html
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from local_glue_support import SEED_CSV_PATH, create_python_job, wait_for_crawl, wait_for_run

from test_glue.workflows.flows import (
    OK_SCRIPT,
    conditional,
    event_workflow,
    job_runs_of,
    on_crawl,
    on_job,
    wait_for_workflow_run,
)

pytestmark = pytest.mark.slow


def wait_for_runs(glue, job, count, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        runs = glue.get_job_runs(JobName=job)["JobRuns"]
        if len(runs) >= count:
            return runs
        if time.monotonic() >= deadline:
            raise AssertionError(f"job {job} has {len(runs)} runs, not {count}, after {timeout}s")
        time.sleep(0.1)


def notify_event(local_glue, workflow, event_id):
    """What an EventBridge rule targeting the workflow sends (glue:notifyEvent; no SDK has it)."""
    body = json.dumps(
        {"Name": workflow, "Event": {"id": event_id, "source": "aws.s3", "detail-type": "Object Created"}}
    )
    request = AWSRequest(
        method="POST",
        url=local_glue.endpoint_url + "/",
        data=body.encode(),
        headers={"X-Amz-Target": "AWSGlue.NotifyEvent", "Content-Type": "application/x-amz-json-1.1"},
    )
    creds = local_glue.credentials
    SigV4Auth(Credentials(creds.access_key_id, creds.secret_access_key), "glue", local_glue.region).add_auth(
        request
    )
    prepared = urllib.request.Request(
        request.url, data=body.encode(), headers=dict(request.headers), method="POST"
    )
    with urllib.request.urlopen(prepared, timeout=10) as answer:
        assert answer.status == 200


def test_standalone_conditional_trigger_watches_any_run_of_its_job(glue_client, s3_client, bucket, unique):
    first, second = unique("first"), unique("second")
    create_python_job(glue_client, s3_client, bucket, first, OK_SCRIPT)
    create_python_job(glue_client, s3_client, bucket, second, OK_SCRIPT)
    conditional(glue_client, unique("after"), None, {"JobName": second}, "AND", on_job(first, "SUCCEEDED"))

    wait_for_run(glue_client, first, glue_client.start_job_run(JobName=first)["JobRunId"])
    [run] = wait_for_runs(glue_client, second, 1)

    assert "--WORKFLOW_NAME" not in run["Arguments"]


def test_standalone_on_demand_trigger_fires_at_once_and_stays_created(glue_client, s3_client, bucket, unique):
    job, trigger = unique("job"), unique("now")
    create_python_job(glue_client, s3_client, bucket, job, OK_SCRIPT)
    glue_client.create_trigger(
        Name=trigger, Type="ON_DEMAND", Actions=[{"JobName": job, "Arguments": {"--x": "1"}}]
    )

    glue_client.start_trigger(Name=trigger)
    [run] = wait_for_runs(glue_client, job, 1)

    assert run["Arguments"] == {"--x": "1"}
    assert glue_client.get_trigger(Name=trigger)["Trigger"]["State"] == "CREATED"


def test_scheduled_trigger_fires_on_its_cron_only_while_activated(glue_client, s3_client, bucket, unique):
    job, trigger = unique("job"), unique("every-minute")
    create_python_job(glue_client, s3_client, bucket, job, OK_SCRIPT)
    glue_client.create_trigger(
        Name=trigger, Type="SCHEDULED", Schedule="cron(* * * * ? *)", Actions=[{"JobName": job}]
    )
    time.sleep(3)  # three Glue minutes of the test server: a CREATED trigger does not fire
    assert glue_client.get_job_runs(JobName=job)["JobRuns"] == []

    glue_client.start_trigger(Name=trigger)
    wait_for_runs(glue_client, job, 1, timeout=20)
    glue_client.stop_trigger(Name=trigger)

    assert glue_client.get_trigger(Name=trigger)["Trigger"]["State"] == "DEACTIVATED"
    time.sleep(1.5)  # a run the tick had under way may still land
    settled = len(glue_client.get_job_runs(JobName=job)["JobRuns"])
    time.sleep(3)
    assert len(glue_client.get_job_runs(JobName=job)["JobRuns"]) == settled


def test_event_trigger_starts_a_run_per_full_batch_with_the_event_ids(
    local_glue, glue_client, s3_client, bucket, unique
):
    wf, _ = event_workflow(glue_client, s3_client, bucket, unique, {"BatchSize": 2, "BatchWindow": 900})

    notify_event(local_glue, wf, "event-1")
    assert glue_client.get_workflow_runs(Name=wf)["Runs"] == []
    notify_event(local_glue, wf, "event-2")
    [summary] = glue_client.get_workflow_runs(Name=wf)["Runs"]
    run = wait_for_workflow_run(glue_client, wf, summary["WorkflowRunId"])

    assert json.loads(run["WorkflowRunProperties"]["aws:eventIds"]) == ["event-1", "event-2"]
    assert run["StartingEventBatchCondition"] == {"BatchSize": 2}
    assert run["Statistics"]["SucceededActions"] == 1


def test_event_batch_window_closes_a_partial_batch(local_glue, glue_client, unique):
    wf = unique("wf")
    glue_client.create_workflow(Name=wf)
    glue_client.create_trigger(
        Name=unique("on-upload"),
        WorkflowName=wf,
        Type="EVENT",
        StartOnCreation=True,
        EventBatchingCondition={"BatchSize": 50, "BatchWindow": 60},  # 60 s = one test-server minute
        Actions=[{"JobName": unique("never-created")}],
    )

    notify_event(local_glue, wf, "only-one")
    deadline = time.monotonic() + 10
    while not glue_client.get_workflow_runs(Name=wf)["Runs"] and time.monotonic() < deadline:
        time.sleep(0.2)
    [run] = glue_client.get_workflow_runs(Name=wf)["Runs"]

    assert run["StartingEventBatchCondition"] == {"BatchWindow": 60}
    # Its action names a job that does not exist: the run records it as an errored action.
    done = wait_for_workflow_run(glue_client, wf, run["WorkflowRunId"])
    assert (done["Status"], done["Statistics"]["ErroredActions"]) == ("COMPLETED", 1)


def test_crawl_state_condition_starts_the_job_after_a_workflow_crawl(glue_client, s3_client, bucket, unique):
    wf, crawler, job, database = unique("wf"), unique("crawler"), unique("load"), unique("db")
    s3_client.put_object(Bucket=bucket, Key="in/csvlog.csv", Body=SEED_CSV_PATH.read_bytes())
    glue_client.create_database(DatabaseInput={"Name": database})
    glue_client.create_crawler(
        Name=crawler,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/in/"}]},
    )
    create_python_job(glue_client, s3_client, bucket, job, OK_SCRIPT)
    glue_client.create_workflow(Name=wf)
    glue_client.create_trigger(
        Name=unique("start"), WorkflowName=wf, Type="ON_DEMAND", Actions=[{"CrawlerName": crawler}]
    )
    conditional(glue_client, unique("crawled"), wf, {"JobName": job}, "ANY", on_crawl(crawler, "SUCCEEDED"))

    run = wait_for_workflow_run(glue_client, wf, glue_client.start_workflow_run(Name=wf)["RunId"])

    assert wait_for_crawl(glue_client, crawler)["LastCrawl"]["Status"] == "SUCCEEDED"
    assert (run["Status"], run["Statistics"]["SucceededActions"]) == ("COMPLETED", 2)
    [crawl_node] = [n for n in run["Graph"]["Nodes"] if n["Type"] == "CRAWLER"]
    assert [c["State"] for c in crawl_node["CrawlerDetails"]["Crawls"]] == ["SUCCEEDED"]
    assert [r["JobRunState"] for r in job_runs_of(run)[job]] == ["SUCCEEDED"]


def test_create_trigger_is_checked_as_aws_checks_it(glue_client, unique):
    with pytest.raises(glue_client.exceptions.InvalidInputException, match="StartOnCreation"):
        glue_client.create_trigger(
            Name=unique("t"), Type="ON_DEMAND", StartOnCreation=True, Actions=[{"JobName": "j"}]
        )
    with pytest.raises(
        glue_client.exceptions.InvalidInputException, match="State 'RUNNING' cannot be watched"
    ):
        glue_client.create_trigger(
            Name=unique("t"),
            Type="CONDITIONAL",
            Actions=[{"JobName": "j"}],
            Predicate={"Conditions": [on_job("a", "RUNNING")]},
        )
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.create_trigger(
            Name=unique("t"), WorkflowName=unique("missing"), Type="ON_DEMAND", Actions=[{"JobName": "j"}]
        )


def test_s3_object_created_reaches_the_workflow_through_an_eventbridge_rule(
    local_glue, glue_client, s3_client, bucket, unique
):
    # S3 -> EventBridge (bucket EventBridgeConfiguration) -> rule -> workflow target -> EVENT trigger:
    # https://docs.aws.amazon.com/glue/latest/dg/starting-workflow-eventbridge.html
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
    wf, _ = event_workflow(glue_client, s3_client, bucket, unique, {"BatchSize": 1})
    events = local_glue.client("events")
    rule = unique("landed")
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}, "object": {"key": [{"prefix": "landing/"}]}},
    }
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(
        Rule=rule,
        Targets=[
            {
                "Id": "workflow",
                "Arn": f"arn:aws:glue:{local_glue.region}:123456789012:workflow/{wf}",
                "RoleArn": "arn:aws:iam::123456789012:role/events",
            }
        ],
    )
    s3_client.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )

    s3_client.put_object(Bucket=bucket, Key="elsewhere/a.csv", Body=b"a\n")  # the rule does not match it
    s3_client.put_object(Bucket=bucket, Key="landing/a.csv", Body=b"a\n")
    [summary] = glue_client.get_workflow_runs(Name=wf)["Runs"]
    run = wait_for_workflow_run(glue_client, wf, summary["WorkflowRunId"])

    [event_id] = json.loads(run["WorkflowRunProperties"]["aws:eventIds"])
    assert event_id
    assert (run["Status"], run["Statistics"]["SucceededActions"]) == ("COMPLETED", 1)


def test_update_trigger_changes_what_it_watches_and_starts(glue_client, s3_client, bucket, unique):
    # UpdateTrigger / TriggerUpdate: https://docs.aws.amazon.com/glue/latest/webapi/API_UpdateTrigger.html
    first, second, third = unique("first"), unique("second"), unique("third")
    for job in (first, second, third):
        create_python_job(glue_client, s3_client, bucket, job, OK_SCRIPT)
    trigger = unique("after")
    conditional(glue_client, trigger, None, {"JobName": second}, "AND", on_job(first, "FAILED"))

    updated = glue_client.update_trigger(
        Name=trigger,
        TriggerUpdate={
            "Actions": [{"JobName": third}],
            "Predicate": {"Conditions": [on_job(first, "SUCCEEDED")]},
        },
    )["Trigger"]
    wait_for_run(glue_client, first, glue_client.start_job_run(JobName=first)["JobRunId"])
    wait_for_runs(glue_client, third, 1)

    assert updated["Actions"] == [{"JobName": third}]
    assert updated["State"] == "ACTIVATED"
    assert glue_client.get_job_runs(JobName=second)["JobRuns"] == []
    with pytest.raises(glue_client.exceptions.InvalidInputException, match="cannot be watched"):
        glue_client.update_trigger(
            Name=trigger, TriggerUpdate={"Predicate": {"Conditions": [on_job(first, "RUNNING")]}}
        )
