"""The Glue Workflow of log files -> UTF-8 -> data lake, as an Airflow DAG that never hides a failed job.

Glue Workflow: a SCHEDULED trigger starts the encoding job; a CONDITIONAL trigger (ALL: encoding job
SUCCEEDED) starts the data-lake load job. Here the schedule is the DAG's ``schedule``, each conditional
trigger is a :class:`GlueConditionalTriggerOperator`, and an alert branch reacts when the encoding job
ends FAILED or TIMEOUT. Unlike the Glue Workflow run, this DAG run ends ``failed`` when a job failed,
even though the alert branch ran.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import DAG, Param, task

from airflow_glue_flow.operators.conditional import GlueConditionalTriggerOperator
from airflow_glue_flow.operators.job import RUN_ID_XCOM_KEY, GlueJobRunOperator
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY

log = logging.getLogger(__name__)

with DAG(
    dag_id="glue_workflow_flow",
    schedule="0 3 * * *",
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["glue", "glue-flow", "glue-workflow"],
    params={
        "encode_job_name": Param(
            "log_encoding", type="string", minLength=1, description="Glue job that re-encodes the log files."
        ),
        "load_job_name": Param(
            "datalake_load", type="string", minLength=1, description="Glue job that loads them into the lake."
        ),
        "bucket_name": Param(
            "dp-datalake-dev", type="string", minLength=1, description="Bucket of the logs."
        ),
        # Prefixes name folders: without the trailing "/", "input" would also match "input_old/".
        "bucket_path": Param(
            "Processed_CTS_dev/input/", type="string", pattern=".+/$", description="Folder of new log files."
        ),
        "bucket_path_decode": Param(
            "Processed_CTS_dev/utf8/",
            type="string",
            pattern=".+/$",
            description="Folder of the UTF-8 copies.",
        ),
        "bucket_path_org": Param(
            "Processed_CTS_dev/shif_jis/",
            type="string",
            pattern=".+/$",
            description="Folder of the archived originals.",
        ),
        "decode_lang": Param(
            "cp932", type="string", minLength=1, description="Encoding of the source files."
        ),
    },
    doc_md="""
### Glue Workflow: encode -> (ALL: SUCCEEDED) -> load, with a FAILED/TIMEOUT alert

| Glue Workflow                                   | This DAG                                   |
|-------------------------------------------------|--------------------------------------------|
| SCHEDULED trigger                               | `schedule="0 3 * * *"`                     |
| encoding job                                    | `encode_logs` (GlueJobRunOperator)         |
| CONDITIONAL trigger, ALL: encoding SUCCEEDED    | `when_encoded` -> `load_datalake`          |
| CONDITIONAL trigger, ANY: FAILED, TIMEOUT       | `when_encoding_failed` -> `alert`          |

A failed or timed-out encoding run skips the load, runs the alert, and fails the DAG run through the
`glue_flow_failure_guard` task (mark a condition `"handled": True` to let the run succeed instead).
""",
) as dag:
    encode_logs = GlueJobRunOperator(
        task_id="encode_logs",
        job_name="{{ params.encode_job_name }}",
        script_args={
            "BUCKET_NAME": "{{ params.bucket_name }}",
            "BUCKET_PATH": "{{ params.bucket_path }}",
            "BUCKET_PATH_DECODE": "{{ params.bucket_path_decode }}",
            "BUCKET_PATH_ORG": "{{ params.bucket_path_org }}",
            "DECODE_LANG": "{{ params.decode_lang }}",
        },
    )
    when_encoded = GlueConditionalTriggerOperator(
        task_id="when_encoded",
        logical="ALL",
        conditions=[{"task_id": "encode_logs", "state": "SUCCEEDED"}],
    )
    load_datalake = GlueJobRunOperator(
        task_id="load_datalake",
        job_name="{{ params.load_job_name }}",
        script_args={
            "BUCKET_NAME": "{{ params.bucket_name }}",
            "BUCKET_PATH": "{{ params.bucket_path_decode }}",
        },
    )
    when_encoding_failed = GlueConditionalTriggerOperator(
        task_id="when_encoding_failed",
        logical="ANY",
        conditions=[
            {"task_id": "encode_logs", "state": "FAILED"},
            {"task_id": "encode_logs", "state": "TIMEOUT"},
        ],
    )

    @task
    def alert(**context) -> str:
        """Say which encoding run ended how (replace with a Slack/SNS/e-mail notifier)."""
        ti = context["ti"]
        state = ti.xcom_pull(task_ids="encode_logs", key=GLUE_STATE_XCOM_KEY)
        run_id = ti.xcom_pull(task_ids="encode_logs", key=RUN_ID_XCOM_KEY)
        message = f"Glue job {context['params']['encode_job_name']} run {run_id} ended {state}; load skipped"
        log.warning(message)
        return message

    when_encoded >> load_datalake
    when_encoding_failed >> alert()
