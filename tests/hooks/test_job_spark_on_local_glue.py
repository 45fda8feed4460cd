"""The provider's job hook against a Spark run of the local Glue: a failed run's output and traceback reach
the task log."""

from __future__ import annotations

import pytest

from tests.local_glue import create_spark_job, require_spark, wait_for_run

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

UNSUPPORTED_SCRIPT = b"""
from awsglue.context import GlueContext
from pyspark.context import SparkContext

glue_context = GlueContext(SparkContext.getOrCreate())
print("before the unsupported call")
glue_context.purge_s3_path("s3://somewhere/old/", {"retentionPeriod": 1})
"""


def test_an_unimplemented_api_fails_the_run_with_its_name_and_the_traceback_reaches_the_task_log(
    glue_client, s3_client, bucket, unique, aws_conn_id, capsys
) -> None:
    from airflow_glue_flow.hooks.job import GlueJobFlowHook

    require_spark()
    job = unique("unsupported")
    create_spark_job(glue_client, s3_client, bucket, job, UNSUPPORTED_SCRIPT)
    run_id = glue_client.start_job_run(JobName=job)["JobRunId"]
    run = wait_for_run(glue_client, job, run_id, 600.0)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == (
        "awsglue._unsupported.NotSupportedLocally: GlueContext.purge_s3_path is not implemented by the local "
        "Glue's awsglue library; run this job on AWS Glue"
    )
    # The run has ended: one check reads its state and forwards its output and error lines, as a task does.
    capsys.readouterr()
    GlueJobFlowHook(aws_conn_id=aws_conn_id).wait_for_job_run(
        job, run_id, poll_interval=0, max_attempts=1, verbose=True, sleep=lambda _: None
    )
    text = capsys.readouterr().out
    assert "before the unsupported call" in text
    assert "Traceback (most recent call last):" in text
    assert 'glue_context.purge_s3_path("s3://somewhere/old/", {"retentionPeriod": 1})' in text
