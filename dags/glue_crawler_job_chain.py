"""The Step Functions flow of the Glue crawler -> job chain, as an Airflow DAG.

Submit Crawler Job -> Wait X Seconds -> Get Crawler Job Status -> Job Complete? -> Add Count / Chk Count
-> Run Final Glue Job (startJobRun.sync), without a single Lambda. The flow first deploys its crawler,
its job and the job's script (idempotently), so it runs on a fresh account or local Glue as it is.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pendulum
from airflow.sdk import DAG, Param

from airflow_glue_flow.flow_jobs import SCRIPTS, deploy_flow
from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from airflow_glue_flow.operators.job import GlueJobRunOperator
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator
from airflow_glue_flow.sensors.crawler import GlueCrawlerReadySensor

SCRIPTS_DIR = Path(__file__).parent / "scripts"

with DAG(
    dag_id="glue_crawler_job_chain",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["glue", "glue-flow"],
    params={
        "bucket": Param("glue-flow-demo", type="string", minLength=3, description="S3 bucket of the flow."),
        "input_prefix": Param(
            "se2/in0/", type="string", pattern=".+/$", description="UTF-8 CSV files; the crawler's target."
        ),
        "output_prefix": Param(
            "se2/out0/", type="string", pattern=".+/$", description="Parquet output of the job."
        ),
        "database": Param("se2", type="string", minLength=1, description="Catalog database of the crawler."),
        "table_prefix": Param(
            "se2_", type="string", description="Crawler TablePrefix (table = prefix + folder)."
        ),
        "crawler_name": Param("se2_in0", type="string", minLength=1, description="Glue crawler to run."),
        "job_name": Param(
            "se2_job0", type="string", minLength=1, description="Glue job to run after the crawl."
        ),
        "job_type": Param(
            "spark",
            type="string",
            enum=list(SCRIPTS),
            description="spark: the seed's PySpark job (Glue 5.0; a local Glue needs Java and the [spark] "
            "extra); pythonshell: a pyarrow Python-shell job doing the same.",
        ),
        "job_timeout": Param(60, type="integer", minimum=1, description="The job's Timeout in minutes."),
        "glue_role": Param(
            "arn:aws:iam::123456789012:role/AWSGlueServiceRole-glue-flow",
            type="string",
            minLength=1,
            description="IAM role the crawler and the job run as.",
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

Deploys the crawler, the job (`job_type` spark: the seed's PySpark job; pythonshell: the same in
pyarrow) and its script, starts the crawler (adopting a crawl already running), checks it every `wait_time` seconds up to
`max_attempts` times, then runs the job and waits for it. A failed crawl fails with
`GlueCrawlFailedError`, a crawl that outlives the checks with `GlueCrawlTimeoutError`, a job run that
ends FAILED/TIMEOUT/STOPPED/ERROR/EXPIRED with `GlueJobRunFailedError`.
""",
) as dag:
    deploy = deploy_flow(SCRIPTS_DIR)
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
        script_args={
            "INPUT_PATH": "s3://{{ params.bucket }}/{{ params.input_prefix }}",
            "OUTPUT_PATH": "s3://{{ params.bucket }}/{{ params.output_prefix }}",
        },
        poll_interval="{{ params.wait_time }}",
    )
    # A task marked failed before the triggerer started its trigger leaves its Glue run behind (the
    # trigger's on_kill never runs); this teardown stops such runs.
    stop_left_glue_runs = GlueJobRunCleanupOperator(
        task_id="stop_left_glue_runs",
        jobs={"run_job": "{{ params.job_name }}"},
    )
    deploy >> start_crawler >> wait_for_crawler >> run_job >> stop_left_glue_runs.as_teardown()
