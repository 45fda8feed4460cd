"""The Glue Workflow of log files -> UTF-8 -> data lake, as an Airflow DAG that never hides a failed job.

Glue Workflow: a SCHEDULED trigger starts the encoding job; a CONDITIONAL trigger (ALL: encoding job
SUCCEEDED) starts the data-lake load job. Here the schedule is the DAG's ``schedule``, each conditional
trigger is a :class:`GlueConditionalTriggerSensor`, and an alert branch reacts when the encoding job
ends FAILED or TIMEOUT. Unlike the Glue Workflow run, this DAG run ends ``failed`` when a job failed,
even though the alert branch ran. Its first task deploys both jobs and their scripts, so it runs on a
fresh local Glue or a fresh AWS account with only the bucket and the Glue role. A run on a day with no
new log files skips both jobs and succeeds (the Glue Workflow's run would convert nothing, then fail the
load on an empty prefix), as ``glue_etl_flow`` skips its job when nothing new arrived.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

from airflow.sdk import DAG, Param, task

from airflow_glue_flow.cli.flow_jobs import (
    DEFAULT_GLUE_ROLE,
    bucket_param,
    name_param,
    prefix_param,
    role_param,
)
from airflow_glue_flow.compat import CronTriggerTimetable
from airflow_glue_flow.encoding.bundle import JOB_PACKAGE, JOB_ZIP_NAME
from airflow_glue_flow.encoding.keys import folder_marker
from airflow_glue_flow.operators.deploy import GlueDeployOperator
from airflow_glue_flow.operators.job import RUN_ID_XCOM_KEY, GlueJobRunOperator
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator
from airflow_glue_flow.sensors.conditional import GlueConditionalTriggerSensor
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY

log = logging.getLogger(__name__)

SCRIPTS = Path(__file__).parent / "scripts"
#: The encoding job's script: a Glue script (getResolvedOptions) that imports the converter package from
#: the --extra-py-files zip the deploy task uploads.
ENCODING_SCRIPT = SCRIPTS / "convert_encoding.py"
#: The load job's script: CSV -> Parquet with the seed's column mapping.
LOAD_SCRIPT = SCRIPTS / "csv_to_parquet.py"
SCRIPTS_PREFIX = "s3://{{ params.bucket_name }}/glue-flow/scripts/"

with DAG(
    dag_id="glue_workflow_flow",
    # The Workflow's SCHEDULED trigger; first run at the next 03:00 UTC after unpausing (see glue_etl_flow).
    schedule=CronTriggerTimetable("0 3 * * *", timezone="UTC", run_immediately=False),
    catchup=False,
    tags=["glue", "glue-flow", "glue-workflow"],
    # The shared param builders: the form checks names, bucket, prefixes and role as the other flow DAGs'.
    params={
        "encode_job_name": name_param("log_encoding", "Glue job that re-encodes the log files."),
        "load_job_name": name_param("datalake_load", "Glue job that loads them into the lake."),
        "bucket_name": bucket_param(
            "dp-datalake-dev", "Bucket of the logs (3-63 characters: a-z, 0-9, '.', '-')."
        ),
        "bucket_path": prefix_param("Processed_CTS_dev/input/", "Prefix of new log files (ending in /)."),
        "bucket_path_decode": prefix_param("Processed_CTS_dev/utf8/", "UTF-8 copies (ending in /)."),
        "bucket_path_org": prefix_param("Processed_CTS_dev/shif_jis/", "Archived originals (ending in /)."),
        "bucket_path_lake": prefix_param(
            "Processed_CTS_dev/lake/", "Parquet in the data lake (ending in /)."
        ),
        "glue_role": role_param(DEFAULT_GLUE_ROLE, "IAM role the jobs run as (name or ARN)."),
        "decode_lang": Param(
            "cp932", type="string", minLength=1, description="Encoding of the source files."
        ),
    },
    doc_md="""
### Glue Workflow: encode -> (ALL: SUCCEEDED) -> load, with a FAILED/TIMEOUT alert

| Glue Workflow                                   | This DAG                                   |
|-------------------------------------------------|--------------------------------------------|
| jobs and scripts set up in the console          | `deploy` (GlueDeployOperator)              |
| SCHEDULED trigger                               | `schedule`: 03:00 UTC daily                |
| (a day with no new files fails the load)        | `check_new_files`: skips both jobs         |
| encoding job                                    | `encode_logs` (GlueJobRunOperator)         |
| CONDITIONAL trigger, ALL: encoding SUCCEEDED    | `when_encoded` -> `load_datalake`          |
| CONDITIONAL trigger, ANY: FAILED, TIMEOUT       | `when_encoding_failed` -> `alert`          |

A failed or timed-out encoding run skips the load, runs the alert, and fails the DAG run through the
`glue_flow_failure_guard` task (mark a condition `"handled": True` to let the run succeed instead).
A run that finds no new file under `bucket_path` skips both jobs and succeeds.
""",
) as dag:
    # [START howto_operator_glue_deploy]
    deploy = GlueDeployOperator(
        task_id="deploy",
        buckets=["{{ params.bucket_name }}"],
        scripts={
            str(ENCODING_SCRIPT): SCRIPTS_PREFIX + "convert_encoding.py",
            str(LOAD_SCRIPT): SCRIPTS_PREFIX + "csv_to_parquet.py",
        },
        # The encoding job imports the package: Glue puts this zip on its path (--extra-py-files below).
        py_packages={JOB_PACKAGE: SCRIPTS_PREFIX + JOB_ZIP_NAME},
        jobs=[
            {
                "Name": "{{ params.encode_job_name }}",
                "Role": "{{ params.glue_role }}",
                "Command": {
                    "Name": "pythonshell",
                    "PythonVersion": "3.9",
                    "ScriptLocation": SCRIPTS_PREFIX + "convert_encoding.py",
                },
                "DefaultArguments": {"--extra-py-files": SCRIPTS_PREFIX + JOB_ZIP_NAME},
                "MaxCapacity": 0.0625,
                "Timeout": 60,
            },
            {
                "Name": "{{ params.load_job_name }}",
                "Role": "{{ params.glue_role }}",
                "Command": {
                    "Name": "pythonshell",
                    "PythonVersion": "3.9",
                    "ScriptLocation": SCRIPTS_PREFIX + "csv_to_parquet.py",
                },
                "DefaultArguments": {"library-set": "analytics"},
                "MaxCapacity": 0.0625,
                "Timeout": 60,
            },
        ],
    )
    # [END howto_operator_glue_deploy]

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def check_new_files(params=None) -> bool:
        """Skip both jobs (so the triggers and the alert too) when no new file landed under bucket_path.

        The encoding job would convert nothing, and the load job would then fail on an empty UTF-8
        prefix, or reload what an earlier run loaded. Folder markers are not files, as for the converter.
        """
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook

        bucket, prefix = params["bucket_name"], params["bucket_path"]
        s3 = S3Hook(aws_conn_id="aws_default").get_conn()
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if not folder_marker(obj["Key"], obj["Size"], prefix):
                    log.info(
                        "New input under s3://%s/%s, e.g. %s: running the jobs", bucket, prefix, obj["Key"]
                    )
                    return True
        log.info(
            "No new input: no file under s3://%s/%s; skipping %s and %s (the lake stays as it is)",
            bucket,
            prefix,
            params["encode_job_name"],
            params["load_job_name"],
        )
        return False

    encode_logs = GlueJobRunOperator(
        task_id="encode_logs",
        # A retry heals a task failed outside Glue (a lost worker, or the scheduler failing a deferred task
        # whose trigger fired: apache/airflow issues 66374, 67287, 72716): it reattaches to the task's run,
        # or adopts it once ended, and never starts the job a second time.
        retries=1,
        retry_delay=timedelta(seconds=10),
        rerun_failed_on_retry=False,
        job_name="{{ params.encode_job_name }}",
        script_args={
            "BUCKET_NAME": "{{ params.bucket_name }}",
            "BUCKET_PATH": "{{ params.bucket_path }}",
            "BUCKET_PATH_DECODE": "{{ params.bucket_path_decode }}",
            "BUCKET_PATH_ORG": "{{ params.bucket_path_org }}",
            "DECODE_LANG": "{{ params.decode_lang }}",
        },
    )
    # [START howto_operator_glue_conditional_trigger_all]
    when_encoded = GlueConditionalTriggerSensor(
        task_id="when_encoded",
        logical="ALL",
        conditions=[{"task_id": "encode_logs", "state": "SUCCEEDED"}],
    )
    # [END howto_operator_glue_conditional_trigger_all]
    load_datalake = GlueJobRunOperator(
        task_id="load_datalake",
        # A retry heals a task failed outside Glue (a lost worker, or the scheduler failing a deferred task
        # whose trigger fired: apache/airflow issues 66374, 67287, 72716): it reattaches to the task's run,
        # or adopts it once ended, and never starts the job a second time.
        retries=1,
        retry_delay=timedelta(seconds=10),
        rerun_failed_on_retry=False,
        job_name="{{ params.load_job_name }}",
        script_args={
            "INPUT_PATH": "s3://{{ params.bucket_name }}/{{ params.bucket_path_decode }}",
            "OUTPUT_PATH": "s3://{{ params.bucket_name }}/{{ params.bucket_path_lake }}",
        },
    )
    # [START howto_operator_glue_conditional_trigger_any]
    when_encoding_failed = GlueConditionalTriggerSensor(
        task_id="when_encoding_failed",
        logical="ANY",
        conditions=[
            {"task_id": "encode_logs", "state": "FAILED"},
            {"task_id": "encode_logs", "state": "TIMEOUT"},
        ],
    )
    # [END howto_operator_glue_conditional_trigger_any]

    # [START howto_glue_state_xcom]
    @task
    def alert(**context) -> str:
        """Say which encoding run ended how (replace with a Slack/SNS/e-mail notifier)."""
        ti = context["ti"]
        state = ti.xcom_pull(task_ids="encode_logs", key=GLUE_STATE_XCOM_KEY)
        run_id = ti.xcom_pull(task_ids="encode_logs", key=RUN_ID_XCOM_KEY)
        message = f"Glue job {context['params']['encode_job_name']} run {run_id} ended {state}; load skipped"
        log.warning(message)
        return message

    # [END howto_glue_state_xcom]

    # A task marked failed before the triggerer started its trigger leaves its Glue run behind (the
    # trigger's on_kill never runs); this teardown stops such runs.
    stop_left_glue_runs = GlueJobRunCleanupOperator(
        task_id="stop_left_glue_runs",
        jobs={
            "encode_logs": "{{ params.encode_job_name }}",
            "load_datalake": "{{ params.load_job_name }}",
        },
    )

    # [START howto_conditional_trigger_actions]
    deploy >> check_new_files() >> encode_logs
    when_encoded >> load_datalake
    when_encoding_failed >> alert()
    [encode_logs, load_datalake] >> stop_left_glue_runs.as_teardown()
    # [END howto_conditional_trigger_actions]
