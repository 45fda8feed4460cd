"""glue_etl_flow on the local Glue when a step fails: a failing job, a job past its Timeout, a crawl over bad data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.exceptions import (
    GlueCrawlFailedError,
    GlueFlowFailedStepsError,
    GlueJobRunFailedError,
)
from airflow_glue_flow.operators.job import RUN_ID_XCOM_KEY
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from tests.conftest import task_states
from tests.local_glue import SLEEPING_SCRIPT, log_messages
from tests.support.etl_flow import (
    CSV_KEY,
    GLUE_TASKS,
    GUARD,
    INPUT,
    OUTPUT,
    SEED_TEXT,
    TEARDOWN,
    catalog_columns,
    keys,
    land,
    xcom,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("local_aws_default")]


def failed_job_flow(dag_run: Any, task_errors: dict[str, BaseException], state: str) -> GlueJobRunFailedError:
    """The alert branch ran, publish did not, and the DAG run failed; returns the job task's error."""
    assert task_states(dag_run) == {
        **dict.fromkeys(GLUE_TASKS, "success"),
        "csv_to_parquet": "failed",
        "on_success": "skipped",
        "publish": "skipped",
        "on_failure": "success",
        "alert": "success",
        GUARD: "failed",
        TEARDOWN: "success",
    }
    assert str(dag_run.state) == "failed"
    assert set(task_errors) == {"csv_to_parquet", GUARD}
    error = task_errors["csv_to_parquet"]
    assert type(error) is GlueJobRunFailedError
    assert error.fields["state"] == state
    assert xcom(dag_run, "csv_to_parquet", GLUE_STATE_XCOM_KEY) == state
    met = xcom(dag_run, "on_failure")
    assert met["logical"] == "ANY" and met["outcomes"]["csv_to_parquet"] == state
    # The alert handled it, yet the failed job still fails the run.
    guard = task_errors[GUARD]
    assert type(guard) is GlueFlowFailedStepsError
    assert guard.fields["failed"] == [f"csv_to_parquet ended {state}"]
    return error


def test_job_that_fails_runs_the_alert_and_fails_the_dag_run(
    dag,
    run_dag,
    task_errors,
    flow,
    aws,
):
    # Text in a number column: the crawler widens uuid to string, the job's cast to long fails.
    land(aws.s3, flow, SEED_TEXT.replace("iphone,11113,", "iphone,unknown,", 1))
    dag_run = run_dag(dag, conf=flow)

    error = failed_job_flow(dag_run, task_errors, "FAILED")
    assert ("uuid", "string") in catalog_columns(aws.glue, flow)
    run_id = xcom(dag_run, "csv_to_parquet", RUN_ID_XCOM_KEY)
    source = f"s3://{flow['bucket']}/{INPUT}{CSV_KEY}"
    assert error.fields["run_id"] == run_id
    assert error.fields["error_message"].startswith(
        f"ValueError: cannot convert column 'uuid' of {source} to long:"
    )
    assert "'unknown'" in error.fields["error_message"]
    assert str(error) == (
        f"Glue job {flow['job_name']!r} run {run_id} ended FAILED: {error.fields['error_message']}"
    )
    assert any("ValueError" in line for line in log_messages(aws.logs, "/aws-glue/python-jobs/error", run_id))
    assert keys(aws.s3, flow["bucket"], OUTPUT) == []


def test_job_that_outlives_its_timeout_ends_timeout_and_runs_the_alert(
    dag,
    run_dag,
    task_errors,
    flow,
    aws,
    monkeypatch,
    tmp_path: Path,
):
    # The flow deploys the job itself, so what it deploys changes: a script that takes longer than a
    # job_timeout of one minute (one second in the tests' server).
    deploy = dag.get_task("deploy")
    script = tmp_path / "slow_job.py"
    script.write_bytes(SLEEPING_SCRIPT)
    scripts = {
        str(script) if path.endswith("/csv_to_parquet.py") else path: uri
        for path, uri in deploy.scripts.items()
    }
    monkeypatch.setattr(deploy, "scripts", scripts)
    flow["job_timeout"] = 1
    land(aws.s3, flow, SEED_TEXT)
    dag_run = run_dag(dag, conf=flow)

    error = failed_job_flow(dag_run, task_errors, "TIMEOUT")
    run_id = xcom(dag_run, "csv_to_parquet", RUN_ID_XCOM_KEY)
    assert aws.glue.get_job(JobName=flow["job_name"])["Job"]["Timeout"] == 1
    run = aws.glue.get_job_run(JobName=flow["job_name"], RunId=run_id)["JobRun"]
    assert run["JobRunState"] == "TIMEOUT"
    assert str(error) == f"Glue job {flow['job_name']!r} run {run_id} ended TIMEOUT: {run['ErrorMessage']}"
    assert "timed out after 1 minutes" in run["ErrorMessage"]


def test_crawl_over_bad_data_fails_the_wait_and_never_runs_the_job(
    dag,
    run_dag,
    task_errors,
    flow,
    aws,
):
    # XML: the local Glue does not run Glue's built-in XML classifier, so the crawl ends FAILED naming it.
    land(aws.s3, flow, "<rows><row deviceid='a'/></rows>\n")
    dag_run = run_dag(dag, conf=flow)

    assert task_states(dag_run) == {
        "job_definition": "success",
        "deploy": "success",
        "convert_encoding": "success",
        "start_crawler": "success",
        "wait_for_crawler": "failed",
        "check_new_input": "upstream_failed",
        "csv_to_parquet": "upstream_failed",
        # The conditional triggers see that the job never ran: neither can fire.
        "on_success": "skipped",
        "publish": "skipped",
        "on_failure": "skipped",
        "alert": "skipped",
        GUARD: "failed",
        TEARDOWN: "success",
    }
    assert str(dag_run.state) == "failed"

    crawler = flow["crawler_name"]
    error = task_errors["wait_for_crawler"]
    assert type(error) is GlueCrawlFailedError
    aws_message = aws.glue.get_crawler(Name=crawler)["Crawler"]["LastCrawl"]["ErrorMessage"]
    assert aws_message == (
        f"s3://{flow['bucket']}/{INPUT}{CSV_KEY} looks like XML: "
        "Glue's built-in XML classifier does not run in the local Glue"
    )
    assert str(error) == (
        f"Glue crawler {crawler!r} crawl FAILED: {aws_message} (logs: /aws-glue/crawlers / {crawler})"
    )
    assert xcom(dag_run, "wait_for_crawler", GLUE_STATE_XCOM_KEY) == "FAILED"
    assert aws.glue.get_job_runs(JobName=flow["job_name"])["JobRuns"] == []
    assert set(task_errors) == {"wait_for_crawler", GUARD}
    guard = task_errors[GUARD]
    assert type(guard) is GlueFlowFailedStepsError
    assert sorted(guard.fields["failed"]) == [
        "csv_to_parquet did not run (upstream_failed)",
        "wait_for_crawler ended FAILED",
    ]
