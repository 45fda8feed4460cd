"""The Step Functions flow of the Glue crawler -> job chain, as an Airflow DAG.

Submit Crawler Job -> Wait X Seconds -> Get Crawler Job Status -> Job Complete? -> Add Count / Chk Count
-> Run Final Glue Job (startJobRun.sync), without a single Lambda.
"""

from __future__ import annotations

from datetime import timedelta

import pendulum
from airflow.sdk import DAG, Param

from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator
from airflow_glue_flow.sensors.crawler import GlueCrawlerReadySensor

with DAG(
    dag_id="glue_crawler_job_chain",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["glue", "glue-flow"],
    params={
        "crawler_name": Param("se2_in0", type="string", minLength=1, description="Glue crawler to run."),
        "job_name": Param(
            "se2_job0", type="string", minLength=1, description="Glue job to run after the crawl."
        ),
        "wait_time": Param(
            60,
            type="integer",
            minimum=0,
            description="Seconds between checks of the crawler and the job run.",
        ),
        "max_attempts": Param(
            3, type="integer", minimum=1, description="Checks before the crawl counts as timed out."
        ),
    },
    doc_md="""
### Crawler -> job chain

Starts the crawler (adopting a crawl already running), checks it every `wait_time` seconds up to
`max_attempts` times, then runs the job and waits for it. A failed crawl fails with
`GlueCrawlFailedError`, a crawl that outlives the checks with `GlueCrawlTimeoutError`, a job run that
ends FAILED/TIMEOUT/STOPPED/ERROR/EXPIRED with `GlueJobRunFailedError`.
""",
) as dag:
    start_crawler = GlueCrawlerStartOperator(
        task_id="start_crawler",
        crawler_name="{{ params.crawler_name }}",
    )
    wait_for_crawler = GlueCrawlerReadySensor(
        task_id="wait_for_crawler",
        crawler_name="{{ params.crawler_name }}",
        wait_time="{{ params.wait_time }}",
        max_attempts="{{ params.max_attempts }}",
    )
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
    # A task marked failed before the triggerer started its trigger leaves its Glue run behind (the
    # trigger's on_kill never runs); this teardown stops such runs.
    stop_left_glue_runs = GlueJobRunCleanupOperator(
        task_id="stop_left_glue_runs",
        jobs={"run_job": "{{ params.job_name }}"},
    )
    start_crawler >> wait_for_crawler >> run_job >> stop_left_glue_runs.as_teardown()
