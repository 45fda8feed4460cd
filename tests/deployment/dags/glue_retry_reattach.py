"""A Glue job task whose first try gives up while its run goes on: its retry must reattach to that run.

Used by the deployment test only: the first try stops waiting after two checks
(GlueJobRunTimeoutError, which leaves the Glue run running), the retry waits long enough.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param

from airflow_glue_flow.operators.job import GlueJobRunOperator

with DAG(
    dag_id="glue_retry_reattach",
    schedule=None,
    tags=["glue-flow-test"],
    params={"job_name": Param("", type="string", description="An existing job that runs ~10 s.")},
    doc_md=__doc__,
):
    GlueJobRunOperator(
        task_id="run_job",
        job_name="{{ params.job_name }}",
        poll_interval=1,
        max_attempts="{{ 2 if ti.try_number == 1 else 60 }}",
        retries=1,
        retry_delay=timedelta(seconds=1),
    )
