"""The main flow: both seed flows as one DAG (``glue_etl_flow``), and its event-driven twin.

CP932 files land under ``raw/``; they are converted to UTF-8 (originals archived), crawled into the
catalog, and turned into Parquet by a Glue job (``job_type``: ``spark``, the seed's PySpark job, or
``pythonshell``, a pyarrow job for a local Glue without Java); a Glue-style conditional trigger then
publishes the result (ALL: SUCCEEDED) or raises an alert (ANY: FAILED, TIMEOUT). A failed Glue step
always fails the DAG run, even when the alert branch handled it. A run that finds no new input (nothing
converted, and the crawl changed no table) skips the job and publish instead of republishing old output.

Scheduled daily at 03:00 UTC, first at the next 03:00 after the DAG is unpaused: unpausing does not
start a run that would take the files landed for a manual run. ``glue_etl_event_flow`` (below) runs the
same tasks when S3 reports new files, like a Glue EVENT trigger.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import DAG, Asset, AssetWatcher, Param, task

from airflow_glue_flow.cli.flow_jobs import deploy_flow, flow_params, prefix_param
from airflow_glue_flow.compat import CronTriggerTimetable, ParamValidationError
from airflow_glue_flow.hooks.s3_events import DEFAULT_QUEUE_URL
from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from airflow_glue_flow.operators.crawler_wait import GlueCrawlerWaitOperator
from airflow_glue_flow.operators.deploy import GlueDeployOperator
from airflow_glue_flow.operators.encoding import S3EncodingConvertOperator
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator
from airflow_glue_flow.operators.s3_events import S3EventQueueDeployOperator
from airflow_glue_flow.s3_event_messages import landed_objects, sqs_messages
from airflow_glue_flow.sensors.conditional import GlueConditionalTriggerSensor

SCRIPTS_DIR = Path(__file__).parent / "scripts"
#: The SQS queue that receives the bucket's S3 event notifications. The queue is read by the triggerer
#: from the moment the DAG is unpaused, so it is fixed when the file is parsed (an environment variable,
#: never a connection or an AWS call), unlike the run params.
EVENT_QUEUE_URL = os.environ.get("GLUE_FLOW_EVENT_QUEUE_URL", DEFAULT_QUEUE_URL)
#: Seconds the watcher waits between two empty receives of the queue (each receive long-polls 10 s).
EVENT_POLL_SECONDS = int(os.environ.get("GLUE_FLOW_EVENT_POLL_SECONDS", "30"))
#: Other defaults for the params (a JSON object, e.g. ``{"job_type": "pythonshell"}``), for the runs no
#: form starts: scheduled and event-driven runs take the defaults. Read when the file is parsed.
PARAM_DEFAULTS = os.environ.get("GLUE_FLOW_PARAMS", "")


def etl_params() -> dict[str, Param]:
    """The flow's run params (a fresh set per DAG: both DAGs of this file take the same ones), with the
    defaults that ``GLUE_FLOW_PARAMS`` sets.

    :raises ValueError: ``GLUE_FLOW_PARAMS`` is not a JSON object of the params' names.
    :raises ParamValidationError: a default it sets breaks the param's schema.
    """
    params = _params()
    overrides = json.loads(PARAM_DEFAULTS) if PARAM_DEFAULTS else {}
    if not isinstance(overrides, dict):
        raise ValueError(f"GLUE_FLOW_PARAMS must be a JSON object of param defaults, got {PARAM_DEFAULTS!r}")
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise ValueError(f"GLUE_FLOW_PARAMS: {unknown} are not params of the flow ({', '.join(params)})")
    for name, value in overrides.items():
        params[name] = Param(value, description=params[name].description, **params[name].schema)
        try:
            params[name].resolve()  # fails when the file is parsed, naming the param, not in every run
        except ParamValidationError as error:
            raise ValueError(f"GLUE_FLOW_PARAMS: {name}={value!r} is not valid: {error}") from error
    return params


def _params() -> dict[str, Param]:
    shared = flow_params(max_attempts=10)
    return {
        "bucket": shared["bucket"],
        "raw_prefix": prefix_param("se2/raw/in0/", "Where CP932/Shift_JIS files land."),
        "input_prefix": shared["input_prefix"],
        "archive_prefix": prefix_param("se2/archive/in0/", "Where the originals are archived."),
        "output_prefix": shared["output_prefix"],
        "source_encoding": Param(
            "cp932",
            type="string",
            enum=["cp932", "shift_jis", "euc-jp", "iso2022_jp", "utf-8-sig"],
            description="Encoding of the landed files.",
        ),
        # The rest in flow_params' order: database, crawler, table prefix, job, role, checks.
        **shared,
    }


def etl_flow(landed_keys: Any = None) -> GlueDeployOperator:
    """Define the flow's tasks in the DAG being defined (shared by both DAGs of this file).

    :param landed_keys: None to convert every file under ``raw_prefix`` and load every file under
        ``input_prefix``; else the keys to convert (the output of a task that read them from S3 event
        notifications), and the job loads only what this run converted from them.
    :return: the first task, ``deploy``.
    """
    by_events = landed_keys is not None
    deploy = deploy_flow(SCRIPTS_DIR)
    # [START howto_operator_s3_encoding_convert]
    convert = S3EncodingConvertOperator(
        task_id="convert_encoding",
        bucket="{{ params.bucket }}",
        source_prefix="{{ params.raw_prefix }}",
        target_prefix="{{ params.input_prefix }}",
        archive_prefix="{{ params.archive_prefix }}",
        source_encoding="{{ params.source_encoding }}",
        keys=landed_keys,
        # The job loads the converted objects the report lists: all of them, when events name the keys.
        max_report_objects=None if by_events else 1000,
    )
    # [END howto_operator_s3_encoding_convert]
    # [START howto_operator_glue_crawler_start]
    start_crawler = GlueCrawlerStartOperator(
        task_id="start_crawler", crawler_name="{{ params.crawler_name }}"
    )
    wait_for_crawler = GlueCrawlerWaitOperator(
        task_id="wait_for_crawler",
        crawler_name="{{ params.crawler_name }}",
        wait_time="{{ params.wait_time }}",
        max_attempts="{{ params.max_attempts }}",
    )
    # [END howto_operator_glue_crawler_start]
    script_args = {
        "INPUT_PATH": "s3://{{ params.bucket }}/{{ params.input_prefix }}",
        "OUTPUT_PATH": "s3://{{ params.bucket }}/{{ params.output_prefix }}",
    }
    if by_events:
        # check_new_input returns the keys this run converted; the job reads only those.
        script_args["INPUT_KEYS"] = "{{ ti.xcom_pull(task_ids='check_new_input') | tojson }}"
    # [START howto_operator_glue_job_run]
    csv_to_parquet = GlueJobRunOperator(
        task_id="csv_to_parquet",
        # A retry heals a task failed outside Glue (a lost worker, or the scheduler failing a deferred task
        # whose trigger fired: apache/airflow issues 66374, 67287, 72716): it reattaches to the task's run,
        # or adopts it once ended, and never starts the job a second time.
        retries=1,
        retry_delay=timedelta(seconds=10),
        rerun_failed_on_retry=False,
        job_name="{{ params.job_name }}",
        script_args=script_args,
        poll_interval="{{ params.wait_time }}",
        verbose=True,
    )
    # [END howto_operator_glue_job_run]

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def check_new_input(converted: dict, crawl: dict, params=None) -> bool | list[str]:
        """Skip the job (and so publish) when nothing new arrived, instead of republishing old output.

        New input lands under raw_prefix, so "nothing converted" is the signal; a crawl that still created
        or deleted a table (files put straight under input_prefix) runs the job anyway. TablesUpdated is
        not a signal: a re-crawl of the same files can count the table as updated. A run started by S3
        events loads only what it converted: it returns those keys, or skips when there are none.
        """
        log = logging.getLogger("airflow.task")
        if by_events:
            loaded = [obj["target_key"] for obj in converted["converted"]]
            if loaded:
                log.info("Loading the %d object(s) this run converted: %s", len(loaded), loaded)
                return loaded
            log.info(
                "No new input: no object the run's S3 events named was converted (%s); skipping "
                "csv_to_parquet and publish",
                "; ".join(f"{obj['key']}: {obj['reason']}" for obj in converted["skipped"]) or "none named",
            )
            return False
        added = [crawl.get("tables_created"), crawl.get("tables_deleted")]
        if converted["objects_converted"] or any(added) or None in added:
            return True
        log.info(
            "No new input: convert_encoding converted no object under s3://%s/%s and the crawl of %s "
            "created or deleted no table; skipping csv_to_parquet and publish (the output of an earlier "
            "run stays as it is)",
            params["bucket"],
            params["raw_prefix"],
            params["crawler_name"],
        )
        return False

    # [START howto_operator_glue_conditional_trigger]
    on_success = GlueConditionalTriggerSensor(
        task_id="on_success",
        logical="ALL",
        conditions=[{"task_id": "csv_to_parquet", "state": "SUCCEEDED"}],
        poke_interval=10,
    )
    on_failure = GlueConditionalTriggerSensor(
        task_id="on_failure",
        logical="ANY",
        conditions=[
            {"task_id": "csv_to_parquet", "state": "FAILED"},
            {"task_id": "csv_to_parquet", "state": "TIMEOUT"},
        ],
        poke_interval=10,
    )
    # [END howto_operator_glue_conditional_trigger]

    @task
    def publish(bucket: str, output_prefix: str, run_id: str | None = None) -> str:
        """Write a manifest beside the Parquet output so consumers know a complete load landed."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        s3 = S3Hook(aws_conn_id="aws_default")
        keys = sorted(k for k in s3.list_keys(bucket, prefix=output_prefix) if k.endswith(".parquet"))
        key = f"{output_prefix}_MANIFEST.json"
        s3.load_string(json.dumps({"run_id": run_id, "files": keys}), key, bucket, replace=True)
        return f"s3://{bucket}/{key}"

    @task
    def alert(job_name: str, ti=None) -> None:
        """Say loudly which job run failed and why (replace with Slack, SNS or e-mail)."""
        state = ti.xcom_pull(task_ids="csv_to_parquet", key="glue_state")
        logging.getLogger("airflow.task").error(
            "ALERT: Glue job %s ended %s; see the csv_to_parquet task log.", job_name, state
        )

    # A task marked failed before the triggerer started its trigger leaves its Glue run behind (the
    # trigger's on_kill never runs); this teardown stops such runs.
    # [START howto_operator_glue_job_run_cleanup]
    stop_left_glue_runs = GlueJobRunCleanupOperator(
        task_id="stop_left_glue_runs",
        jobs={"csv_to_parquet": "{{ params.job_name }}"},
    )

    deploy >> convert >> start_crawler >> wait_for_crawler
    check_new_input(convert.output, wait_for_crawler.output) >> csv_to_parquet
    csv_to_parquet >> [on_success, on_failure]
    on_success >> publish("{{ params.bucket }}", "{{ params.output_prefix }}")
    on_failure >> alert("{{ params.job_name }}")
    csv_to_parquet >> stop_left_glue_runs.as_teardown()
    # [END howto_operator_glue_job_run_cleanup]
    return deploy


with DAG(
    dag_id="glue_etl_flow",
    description="CP932 -> UTF-8, crawl, CSV -> Parquet job, then publish or alert",
    # Like a Glue SCHEDULED trigger: once a day, a missed day is not back-filled, and the first run is at
    # the next 03:00 after unpausing (no start_date, run_immediately=False). With a start_date in the past
    # Airflow would start a run for the last 03:00 at once, taking the files a user just landed for a
    # manual run; pass run_immediately=True (or a timedelta) to want that run.
    schedule=CronTriggerTimetable("0 3 * * *", timezone="UTC", run_immediately=False),
    catchup=False,
    max_active_runs=1,
    tags=["glue", "glue-flow", "etl"],
    params=etl_params(),
    doc_md=__doc__,
) as dag:
    etl_flow()


EVENT_DOC = """Event-driven ``glue_etl_flow``: a run starts when S3 reports new files, like a Glue EVENT trigger.

The bucket sends its ``s3:ObjectCreated:*`` notifications for ``raw_prefix`` to an SQS queue
(``GLUE_FLOW_EVENT_QUEUE_URL``); an ``AssetWatcher`` in the triggerer receives them and updates the asset
``glue_flow_landing_events``, which schedules this DAG. A run processes exactly the objects its
triggering asset events name: ``landed_keys`` reads their keys (URL-decoded, once each, only
``ObjectCreated`` events for ``bucket`` under ``raw_prefix``), ``convert_encoding`` converts only those (a
key that no longer exists is logged and skipped), and the job loads only what this run converted (its
``--INPUT_KEYS``); the crawl still catalogues all of ``input_prefix``. A run whose events name nothing new
skips the rest with a log line. Events that arrive while a run is busy start one more run afterwards,
which takes all of them. ``deploy_notifications`` keeps the queue, its
policy and the bucket's notification configuration in place (once, before unpausing:
``glue-flow events setup``).
"""

#: Updated by every batch of S3 event notifications the watcher receives from the queue.
LANDING_EVENTS = Asset(
    name="glue_flow_landing_events",
    watchers=[
        AssetWatcher(
            name="s3_object_created",
            # common-messaging's trigger, as Airflow documents for event-driven scheduling; scheme "sqs"
            # runs the amazon provider's SqsSensorTrigger, which deletes what it received.
            trigger=MessageQueueTrigger(
                scheme="sqs",
                sqs_queue=EVENT_QUEUE_URL,
                aws_conn_id="aws_default",
                max_messages=10,
                wait_time_seconds=10,
                waiter_delay=EVENT_POLL_SECONDS,
            ),
        )
    ],
)

with DAG(
    dag_id="glue_etl_event_flow",
    description="glue_etl_flow, run when S3 reports new files (S3 event notifications via SQS)",
    schedule=[LANDING_EVENTS],
    catchup=False,
    max_active_runs=1,
    tags=["glue", "glue-flow", "etl", "event"],
    params=etl_params(),
    doc_md=EVENT_DOC,
) as event_dag:

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def landed_keys(params=None, triggering_asset_events=None) -> list[str]:
        """The keys under ``raw_prefix`` that the run's S3 event notifications report as created.

        None (only the test event S3 sends when the configuration is written, or keys elsewhere): the
        rest of the flow is skipped, as ``check_new_input`` skips it when nothing new was converted.
        """
        log = logging.getLogger("airflow.task")
        # The run's triggering asset events, from the task context ("Fetching information from a
        # triggering asset event": https://airflow.apache.org/docs/apache-airflow/stable/authoring-and-scheduling/assets.html).
        events = triggering_asset_events[LANDING_EVENTS] if triggering_asset_events else []
        landed = landed_objects(sqs_messages(events), params["bucket"], params["raw_prefix"])
        for what, why in landed.ignored:
            log.info("Ignored %s: %s", what, why)
        log.info(
            "%d new object(s) reported under s3://%s/%s: %s",
            len(landed.keys),
            params["bucket"],
            params["raw_prefix"],
            landed.keys,
        )
        if not landed.keys:
            log.info("No new input: nothing to convert, crawl or load; skipping the rest of the flow")
        return landed.keys

    # [START howto_operator_s3_event_queue_deploy]
    notifications = S3EventQueueDeployOperator(
        task_id="deploy_notifications",
        bucket="{{ params.bucket }}",
        queue_url=EVENT_QUEUE_URL,
        prefix="{{ params.raw_prefix }}",
    )
    # [END howto_operator_s3_event_queue_deploy]
    # The bucket exists once deploy has run; then its notification configuration can name the queue.
    etl_flow(landed_keys()) >> notifications
