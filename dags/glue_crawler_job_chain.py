"""The Step Functions flow of the Glue crawler -> job chain, as an Airflow DAG.

Submit Crawler Job -> Wait X Seconds -> Get Crawler Job Status -> Job Complete? -> Add Count / Chk Count
-> Run Final Glue Job (startJobRun.sync), without a single Lambda. By default the flow first deploys its
bucket, database, crawler, job and scripts (idempotently), so it runs on a fresh local Glue or AWS
account; with ``deploy=false`` it runs a crawler and job that already exist, as the seed does.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import DAG, Param, TriggerRule

from airflow_glue_flow.cli.flow_jobs import deploy_flow, flow_params
from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from airflow_glue_flow.operators.crawler_wait import GlueCrawlerWaitOperator
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator

SCRIPTS_DIR = Path(__file__).parent / "scripts"

with DAG(
    dag_id="glue_crawler_job_chain",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["glue", "glue-flow"],
    params={
        "deploy": Param(
            True,
            type="boolean",
            description="Deploy the crawler, the job of job_type and its scripts first. Off: run the "
            "existing crawler_name and job_name as they are (the other params are then unused).",
        ),
        # The seed's loop: a crawl still running after its third check is a timeout.
        **flow_params(max_attempts=3),
    },
    doc_md="""
### Crawler -> job chain

`deploy` (default on) creates or updates, only where they differ, the bucket, the database, the crawler
over `input_prefix` and the job of `job_type` (`spark`: the seed's PySpark job, Glue 5.0; `pythonshell`:
the same in pyarrow, for a local Glue without Java) with its scripts; the job's own arguments say where
it reads and writes. With `deploy` off, nothing is deployed and the existing `crawler_name` and
`job_name` run as they are.

Then it starts the crawler (adopting a crawl already running), checks it every `wait_time` seconds up
to `max_attempts` times, and runs the job by name, as the seed's `startJobRun.sync` does, and waits for
it. A failed crawl fails with `GlueCrawlFailedError`, a crawl that outlives the checks with
`GlueCrawlTimeoutError`, a job run that ends FAILED/TIMEOUT/STOPPED/ERROR/EXPIRED with
`GlueJobRunFailedError`.
""",
) as dag:
    deploy = deploy_flow(SCRIPTS_DIR, switch="deploy")
    start_crawler = GlueCrawlerStartOperator(
        task_id="start_crawler",
        crawler_name="{{ params.crawler_name }}",
        # Runs after a deploy that succeeded or was skipped (deploy=false), never after a failed one.
        trigger_rule=TriggerRule.NONE_FAILED,
    )
    wait_for_crawler = GlueCrawlerWaitOperator(
        task_id="wait_for_crawler",
        crawler_name="{{ params.crawler_name }}",
        wait_time="{{ params.wait_time }}",
        max_attempts="{{ params.max_attempts }}",
    )
    # [START howto_operator_glue_job_run_by_name]
    run_job = GlueJobRunOperator(
        task_id="run_job",
        # A retry heals a task failed outside Glue (a lost worker, or the scheduler failing a deferred task
        # whose trigger fired: apache/airflow issues 66374, 67287, 72716): it reattaches to the task's run,
        # or adopts it once ended, and never starts the job a second time.
        retries=1,
        retry_delay=timedelta(seconds=10),
        rerun_failed_on_retry=False,
        job_name="{{ params.job_name }}",
        poll_interval="{{ params.wait_time }}",
    )
    # [END howto_operator_glue_job_run_by_name]
    # A task marked failed before the triggerer started its trigger leaves its Glue run behind (the
    # trigger's on_kill never runs); this teardown stops such runs.
    stop_left_glue_runs = GlueJobRunCleanupOperator(
        task_id="stop_left_glue_runs",
        jobs={"run_job": "{{ params.job_name }}"},
    )
    deploy >> start_crawler >> wait_for_crawler >> run_job >> stop_left_glue_runs.as_teardown()
