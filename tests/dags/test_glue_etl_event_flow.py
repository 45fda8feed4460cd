"""glue_etl_event_flow: an S3 upload to the local Glue starts a DAG run through a real AssetWatcher trigger.

The path a deployment takes, each step with Airflow's own code: the DAG is written to the metadata
database as the DAG processor writes it (which registers the asset watcher's trigger); the trigger is
built from its database row and run, as the triggerer runs it, against the local Glue's SQS queue; its
event goes through ``Trigger.submit_event`` (the triggerer's call), which records the asset event; the
scheduler's asset-triggered run creation then makes the DAG run, and ``dag.test()`` runs that run's tasks.
S3 sends the notification as documented:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import unquote_plus

import pytest

from tests.conftest import REPO_ROOT, task_states
from tests.support.airflow_internals import (
    asset_triggered_run,
    asset_watcher_trigger,
    is_event_trigger,
    parse_dags,
    run_existing,
    submit_trigger_event,
    unpause_in_db,
    watcher_trigger_row,
    write_dag_to_db,
)
from tests.support.etl_flow import ARCHIVE, INPUT, OUTPUT, RAW, SEED_TEXT, body, keys, xcom

DAG_FILE = REPO_ROOT / "dags" / "glue_etl_flow.py"
EVENT_DAG = "glue_etl_event_flow"
ASSET = "glue_flow_landing_events"


def _dagbag(monkeypatch: pytest.MonkeyPatch, queue_url: str) -> Any:
    monkeypatch.setenv("GLUE_FLOW_EVENT_QUEUE_URL", queue_url)
    monkeypatch.setenv("GLUE_FLOW_EVENT_POLL_SECONDS", "1")
    dagbag = parse_dags(DAG_FILE)
    assert dagbag.import_errors == {}
    return dagbag


def test_the_event_flow_shares_the_main_flows_tasks_and_watches_the_queue(airflow_db, monkeypatch):
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/landing"
    dagbag = _dagbag(monkeypatch, url)
    main, event = dagbag.get_dag("glue_etl_flow"), dagbag.get_dag(EVENT_DAG)

    assert set(main.task_ids) < set(event.task_ids)
    assert set(event.task_ids) - set(main.task_ids) == {"landed_keys", "deploy_notifications"}
    assert "landed_keys" in event.get_task("convert_encoding").upstream_task_ids
    assert event.params.dump() == main.params.dump()
    (asset,) = event.timetable.asset_condition.objects
    assert asset.name == ASSET
    (watcher,) = asset.watchers
    assert is_event_trigger(watcher.trigger)
    encoded = watcher_trigger_row(watcher.trigger)
    assert encoded["classpath"] == "airflow.providers.amazon.aws.triggers.sqs.SqsSensorTrigger"
    assert encoded["kwargs"]["sqs_queue"] == url
    assert encoded["kwargs"]["aws_conn_id"] == "aws_default"


def test_glue_flow_params_sets_the_defaults_that_runs_without_a_form_take(airflow_db, monkeypatch):
    monkeypatch.setenv("GLUE_FLOW_PARAMS", json.dumps({"job_type": "pythonshell", "wait_time": 4}))
    dagbag = _dagbag(monkeypatch, "https://sqs.us-east-1.amazonaws.com/123456789012/landing")

    for dag_id in ("glue_etl_flow", EVENT_DAG):
        params = dagbag.get_dag(dag_id).params
        assert (params["job_type"], params["wait_time"], params["bucket"]) == (
            "pythonshell",
            4,
            "glue-flow-demo",
        )
        # The schema stays: a form (or conf) is still checked against it.
        assert params.get_param("job_type").schema["enum"] == ["spark", "pythonshell"]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ('{"job_typo": "spark"}', "['job_typo'] are not params of the flow"),
        ('{"job_type": "gpu"}', "job_type='gpu' is not valid: 'gpu' is not one of"),
        ('["pythonshell"]', "must be a JSON object of param defaults"),
    ],
)
def test_bad_glue_flow_params_is_an_import_error_naming_it(airflow_db, monkeypatch, value, problem):
    monkeypatch.setenv("GLUE_FLOW_PARAMS", value)

    dagbag = parse_dags(DAG_FILE)

    (error,) = dagbag.import_errors.values()
    assert "GLUE_FLOW_PARAMS" in error and problem in error


@pytest.mark.slow
def test_a_run_converts_and_loads_exactly_the_objects_its_events_name(
    airflow_db, monkeypatch, local_glue, local_aws_default, s3_client, bucket, unique, task_errors
):
    from airflow_glue_flow.hooks.s3_events import S3EventQueueHook

    queue_url = f"https://sqs.us-east-1.amazonaws.com/123456789012/{unique('landing')}"
    conf = {
        "bucket": bucket,
        "database": unique("db"),
        "crawler_name": unique("crawler"),
        "job_name": unique("job"),
        # The Python-shell job, which writes one <name>.parquet per object it loads (the Spark job, the
        # default, reads --INPUT_KEYS the same way: tests/dags/test_job_scripts.py).
        "job_type": "pythonshell",
        "wait_time": 1,
        "max_attempts": 30,
    }
    # The one-time set-up (``glue-flow events setup``): queue, its policy, the bucket's configuration.
    hook = S3EventQueueHook(aws_conn_id="aws_default")
    queue_arn, _ = hook.ensure_queue(queue_url.rsplit("/", 1)[1], bucket)
    assert hook.ensure_notification(bucket, "glue-flow-landing", queue_arn, prefix=RAW) == "created"

    # Parsed, written and unpaused as in a deployment: the asset's watcher trigger is registered.
    dag = _dagbag(monkeypatch, queue_url).get_dag(EVENT_DAG)
    write_dag_to_db(dag)
    unpause_in_db(EVENT_DAG)
    write_dag_to_db(dag)
    trigger = asset_watcher_trigger(ASSET)

    # A file loaded by an earlier run is already under input_prefix: this run must not load it again.
    s3_client.put_object(Bucket=bucket, Key=f"{INPUT}earlier.csv", Body=SEED_TEXT.encode("utf-8"))
    uploaded = SEED_TEXT.encode("cp932")
    # A key with spaces and Japanese text, uploaded twice (two events, one object), and one deleted
    # before the run starts.
    first, gone = f"{RAW}landed 日本 one.csv", f"{RAW}gone.csv"
    for key in (first, first, gone):
        s3_client.put_object(Bucket=bucket, Key=key, Body=uploaded)
    s3_client.put_object(Bucket=bucket, Key="elsewhere/not-watched.csv", Body=b"x")

    def run_on(wanted: dict[str, int], after_receiving: Any) -> tuple[dict[str, Any], Any]:
        messages = _receive_until(trigger, wanted)
        after_receiving()
        run_id, consumed = asset_triggered_run(EVENT_DAG, conf)
        assert consumed == len(messages["events"])
        return messages, run_existing(dag, run_id)

    # The second upload's event stays in the queue: this run does not consume it.
    second = f"{RAW}second.csv"

    def upload_second_delete_gone() -> None:
        s3_client.put_object(Bucket=bucket, Key=second, Body=uploaded)
        s3_client.delete_object(Bucket=bucket, Key=gone)

    messages, dag_run = run_on({first: 2, gone: 1}, upload_second_delete_gone)

    # S3 URL-encodes the object key in its event messages ("The s3 key ... object key name value is URL
    # encoded"): https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
    assert f"{RAW}landed+%E6%97%A5%E6%9C%AC+one.csv" in messages
    assert task_errors == {}
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert states["csv_to_parquet"] == states["publish"] == "success"
    # Once each, in the order the queue delivered them (SQS standard queues do not keep order).
    assert sorted(xcom(dag_run, "landed_keys")) == sorted([first, gone])
    report = xcom(dag_run, "convert_encoding")
    assert [o["key"] for o in report["converted"]] == [first]
    assert report["skipped"] == [
        {"key": gone, "reason": "no longer exists: converted by an earlier run, or deleted"}
    ]
    assert xcom(dag_run, "check_new_input") == [f"{INPUT}landed 日本 one.csv"]
    assert body(s3_client, bucket, f"{INPUT}landed 日本 one.csv") == SEED_TEXT.encode("utf-8")
    assert body(s3_client, bucket, f"{ARCHIVE}landed 日本 one.csv") == uploaded
    assert keys(s3_client, bucket, RAW) == [second]
    assert body(s3_client, bucket, second) == uploaded
    assert keys(s3_client, bucket, OUTPUT) == [f"{OUTPUT}_MANIFEST.json", f"{OUTPUT}landed 日本 one.parquet"]

    # The next run takes the second upload's event and one for a key deleted before the run: only the
    # second file is loaded. Then a run whose only object is gone skips the load, like glue_etl_flow.
    for wanted, loaded in (({second: 1, gone: 1}, [f"{INPUT}second.csv"]), ({gone: 1}, None)):
        s3_client.put_object(Bucket=bucket, Key=gone, Body=uploaded)
        _, dag_run = run_on(wanted, lambda: s3_client.delete_object(Bucket=bucket, Key=gone))
        assert str(dag_run.state) == "success", task_states(dag_run)
        assert xcom(dag_run, "check_new_input") == loaded

    assert task_errors == {}
    states = task_states(dag_run)
    assert states["convert_encoding"] == states["check_new_input"] == "success"
    assert states["csv_to_parquet"] == states["publish"] == "skipped"
    assert f"{OUTPUT}earlier.parquet" not in keys(s3_client, bucket, OUTPUT)

    # Rewriting the configuration sends S3's s3:TestEvent, which starts a run that names no object:
    # landed_keys skips the rest of the flow (deploy and deploy_notifications still run).
    assert hook.ensure_notification(bucket, "glue-flow-landing", queue_arn, prefix=RAW, suffix=".csv") == (
        "updated"
    )
    messages, dag_run = run_on({}, lambda: None)

    assert [
        json.loads(m["Body"])["Event"] for e in messages["events"] for m in e.payload["message_batch"]
    ] == ["s3:TestEvent"]
    assert task_errors == {}
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert states["landed_keys"] == "success"
    assert states["deploy"] == states["deploy_notifications"] == "success"
    assert states["convert_encoding"] == states["csv_to_parquet"] == states["publish"] == "skipped"


def _receive_until(trigger: tuple[int, Any], wanted: dict[str, int]) -> dict[str, Any]:
    """Run the watcher's trigger at least once and until the queue has delivered ``wanted`` (key -> number
    of events), and record each trigger event as the triggerer does.

    :return: ``{"events": [...], <URL-encoded key as S3 sent it>: count, ...}``.
    """
    trigger_id, watcher = trigger
    seen: dict[str, Any] = {"events": []}
    decoded: dict[str, int] = {}
    while not seen["events"] or any(decoded.get(key, 0) < count for key, count in wanted.items()):
        event = asyncio.run(asyncio.wait_for(_first_event(watcher), 120))
        seen["events"].append(event)
        for message in event.payload["message_batch"]:
            for record in json.loads(message["Body"]).get("Records", []):
                key = record["s3"]["object"]["key"]
                seen[key] = seen.get(key, 0) + 1
                decoded[unquote_plus(key)] = decoded.get(unquote_plus(key), 0) + 1
        submit_trigger_event(trigger_id, event)
    assert decoded.keys() == wanted.keys(), f"unexpected events: {decoded}"
    return seen


async def _first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event
    raise AssertionError("the trigger ended without an event")
