"""One fast Glue job run per DAG run, waited for in the triggerer, one DAG run at a time.

Used by the deployment test only: a job that ends within seconds, checked every second, is where the
scheduler's race with a worker's stale "success" after ``defer()`` (apache/airflow issues 66374, 67287,
72716) failed job tasks whose Glue run had SUCCEEDED. The task is set up as the ready DAGs' job tasks
are: deferrable, ended from the triggerer, and a retry that reattaches to (or adopts) the first try's run.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG, Param

from airflow_glue_flow.operators.job import GlueJobRunOperator

with DAG(
    dag_id="glue_fast_job_runs",
    schedule=None,
    # "In a row": each run starts when the one before has ended.
    max_active_runs=1,
    tags=["glue-flow-test"],
    params={"job_name": Param("", type="string", description="An existing job that ends within seconds.")},
    doc_md=__doc__,
):
    GlueJobRunOperator(
        task_id="run_job",
        job_name="{{ params.job_name }}",
        deferrable=True,
        poll_interval=1,
        retries=1,
        retry_delay=timedelta(seconds=10),
        rerun_failed_on_retry=False,
    )
