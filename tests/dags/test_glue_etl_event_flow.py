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
from unittest import mock

import pytest

from tests.conftest import REPO_ROOT, task_states
from tests.dags.test_glue_etl_flow import ARCHIVE, INPUT, OUTPUT, RAW, SEED_TEXT, body, keys

DAG_FILE = REPO_ROOT / "dags" / "glue_etl_flow.py"
EVENT_DAG = "glue_etl_event_flow"
ASSET = "glue_flow_landing_events"


def _dagbag(monkeypatch: pytest.MonkeyPatch, queue_url: str) -> Any:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("GLUE_FLOW_EVENT_QUEUE_URL", queue_url)
    monkeypatch.setenv("GLUE_FLOW_EVENT_POLL_SECONDS", "1")
    dagbag = DagBag(dag_folder=str(DAG_FILE), safe_mode=False)
    assert dagbag.import_errors == {}
    return dagbag


def test_the_event_flow_shares_the_main_flows_tasks_and_watches_the_queue(airflow_db, monkeypatch):
    from airflow.serialization.encoders import encode_trigger
    from airflow.triggers.base import BaseEventTrigger

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
    assert isinstance(watcher.trigger, BaseEventTrigger)
    encoded = encode_trigger(watcher.trigger)
    assert encoded["classpath"] == "airflow.providers.amazon.aws.triggers.sqs.SqsSensorTrigger"
    assert encoded["kwargs"]["sqs_queue"] == url
    assert encoded["kwargs"]["aws_conn_id"] == "aws_default"


@pytest.mark.slow
def test_an_upload_starts_a_run_that_converts_crawls_and_loads_the_uploaded_file(
    airflow_db, monkeypatch, local_glue, local_aws_default, s3_client, bucket, unique, task_errors
):
    from airflow.jobs.job import Job
    from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
    from airflow.models.asset import AssetModel
    from airflow.models.dag import DagModel
    from airflow.models.dagrun import DagRun
    from airflow.models.trigger import Trigger
    from airflow.sdk._shared.module_loading import import_string
    from airflow.sdk.serde import deserialize
    from airflow.utils.session import create_session
    from airflow.utils.types import DagRunType
    from sqlalchemy import select

    from airflow_glue_flow.hooks.s3_events import S3EventQueueHook

    queue_url = f"https://sqs.us-east-1.amazonaws.com/123456789012/{unique('landing')}"
    conf = {
        "bucket": bucket,
        "database": unique("db"),
        "crawler_name": unique("crawler"),
        "job_name": unique("job"),
        # The Python-shell job, which writes one <name>.parquet per landed file (the Spark job, the
        # default, is tested in test_glue_etl_flow.py).
        "job_type": "pythonshell",
        "wait_time": 1,
        "max_attempts": 30,
    }
    # The one-time set-up (``glue-flow events setup``): queue, its policy, the bucket's configuration.
    hook = S3EventQueueHook(aws_conn_id="aws_default")
    queue_arn, _ = hook.ensure_queue(queue_url.rsplit("/", 1)[1], bucket)
    assert hook.ensure_notification(bucket, "glue-flow-landing", queue_arn, prefix=RAW) == "created"
    sqs = local_glue.client("sqs")
    (test_event,) = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    assert json.loads(test_event["Body"])["Event"] == "s3:TestEvent"
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=test_event["ReceiptHandle"])

    # Parsed, written and unpaused as in a deployment: the asset's watcher trigger is registered.
    dag = _dagbag(monkeypatch, queue_url).get_dag(EVENT_DAG)
    _write_to_db(dag)
    with create_session() as session:
        session.get(DagModel, EVENT_DAG).is_paused = False
    _write_to_db(dag)
    with create_session() as session:
        asset = session.scalar(select(AssetModel).where(AssetModel.name == ASSET))
        (trigger_row,) = asset.triggers
        trigger_id, classpath, kwargs = trigger_row.id, trigger_row.classpath, trigger_row.kwargs

    uploaded = SEED_TEXT.encode("cp932")
    s3_client.put_object(Bucket=bucket, Key=f"{RAW}landed one.csv", Body=uploaded)
    s3_client.put_object(Bucket=bucket, Key="elsewhere/not-watched.csv", Body=b"x")

    trigger = import_string(classpath)(**deserialize(kwargs))
    event = asyncio.run(asyncio.wait_for(_first_event(trigger), timeout=120))
    (message,) = event.payload["message_batch"]
    (record,) = json.loads(message["Body"])["Records"]
    assert record["s3"]["object"]["key"] == f"{RAW}landed+one.csv"

    with create_session() as session:
        Trigger.submit_event(trigger_id=trigger_id, event=event, session=session)
    with create_session() as session:
        dag_model = session.get(DagModel, EVENT_DAG)
        SchedulerJobRunner(job=Job())._create_dag_runs_asset_triggered(
            dag_models=[dag_model], session=session
        )
    with create_session() as session:
        (run,) = session.scalars(select(DagRun).where(DagRun.dag_id == EVENT_DAG)).all()
        assert run.run_type == DagRunType.ASSET_TRIGGERED
        (consumed,) = run.consumed_asset_events
        assert consumed.extra["payload"]["message_batch"][0]["MessageId"] == message["MessageId"]
        # The shared local Glue needs this test's own names; a deployment runs with the params' defaults.
        run.conf = conf
        run_id = run.run_id

    dag_run = _run_existing(dag, run_id)

    assert task_errors == {}
    states = task_states(dag_run)
    assert str(dag_run.state) == "success", states
    assert states["csv_to_parquet"] == states["publish"] == "success"
    assert dag_run.get_task_instance("landed_keys").xcom_pull(task_ids="landed_keys") == [
        f"{RAW}landed one.csv"
    ]
    assert body(s3_client, bucket, f"{INPUT}landed one.csv") == SEED_TEXT.encode("utf-8")
    assert body(s3_client, bucket, f"{ARCHIVE}landed one.csv") == uploaded
    assert keys(s3_client, bucket, RAW) == []
    assert f"{OUTPUT}landed one.parquet" in keys(s3_client, bucket, OUTPUT)


async def _first_event(trigger: Any) -> Any:
    async for event in trigger.run():
        return event
    raise AssertionError("the trigger ended without an event")


def _write_to_db(dag: Any) -> None:
    """Write the DAG as the DAG processor does (which also keeps asset watcher triggers in step)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.collection import update_dag_parsing_results_in_db
    from airflow.serialization.serialized_objects import LazyDeserializedDAG
    from airflow.utils.session import create_session

    with create_session() as session:
        DagBundlesManager().sync_bundles_to_db(session=session)
    with create_session() as session:
        update_dag_parsing_results_in_db(
            "dags-folder", None, [LazyDeserializedDAG.from_dag(dag)], {}, None, set(), session=session
        )


def _run_existing(dag: Any, run_id: str) -> Any:
    """``dag.test()`` on the run the scheduler created, started as the scheduler starts a queued run."""
    import airflow.models.dagrun as dagrun_module
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from airflow.utils.state import DagRunState

    def the_scheduled_run(*, dag: Any, session: Any, **kwargs: Any) -> Any:
        (run,) = DagRun.find(dag_id=dag.dag_id, run_id=run_id, session=session)
        run.dag = dag
        run.set_state(DagRunState.RUNNING)
        session.commit()
        return run

    with mock.patch.object(dagrun_module, "get_or_create_dagrun", the_scheduled_run):
        dag.test()
    with create_session() as session:
        return DagRun.find(dag_id=dag.dag_id, run_id=run_id, session=session)[0]
