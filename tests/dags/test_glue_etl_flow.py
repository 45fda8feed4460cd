"""The glue_etl_flow DAG, loaded from its file and run with dag.test() against the local Glue.

Nothing is scripted: the encoding conversion, the crawl and the Python-shell job really run in the
local Glue server. Covered: the whole flow (byte-exact UTF-8 copy and archive, catalog schema, Parquet
output, manifest, job log), a job run that fails and one that outlives its Timeout (the alert branch
runs, the DAG run fails), a crawl over bad data (GlueCrawlFailedError), and the flow with the crawler
sensor and the job operator waiting in the triggerer.
"""

from __future__ import annotations

import io
import json
from unittest import mock

import pytest

from tests.conftest import task_states
from tests.local_glue import SEED_COLUMNS, log_messages, require_spark
from tests.support.etl_flow import (
    FIRST_ROW,
    GUARD,
    OUTPUT,
    RAW,
    SEED_TEXT,
    TEARDOWN,
    assert_published,
    body,
    keys,
    land,
    xcom,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("local_aws_default")]


def test_flow_converts_crawls_converts_to_parquet_and_publishes(
    dag,
    run_dag,
    task_errors,
    flow,
    aws,
):
    original = land(aws.s3, flow, SEED_TEXT)
    dag_run = run_dag(dag, conf=flow)

    assert task_errors == {}
    assert_published(dag_run, aws, flow, original)


def test_default_spark_job_turns_the_crawled_table_into_parquet(dag, run_dag, task_errors, flow, aws):
    # The default job_type: the seed's PySpark job (dags/scripts/csv_to_parquet_spark.py, Glue 5.0).
    import pyarrow.parquet as pq

    require_spark()
    conf = {k: v for k, v in flow.items() if k != "job_type"}
    # Minutes on AWS, seconds in the tests' local Glue: room for a Spark run on a loaded machine.
    conf["job_timeout"] = 900
    land(aws.s3, conf, SEED_TEXT)

    dag_run = run_dag(dag, conf=conf)

    assert task_errors == {}
    assert str(dag_run.state) == "success"
    job = aws.glue.get_job(JobName=conf["job_name"])["Job"]
    assert (job["Command"]["Name"], job["GlueVersion"]) == ("glueetl", "5.0")
    parts = [k for k in keys(aws.s3, conf["bucket"], OUTPUT) if k.endswith(".parquet")]
    assert parts and all(k.rsplit("/", 1)[-1].startswith("part-") for k in parts), parts
    tables = [pq.read_table(io.BytesIO(body(aws.s3, conf["bucket"], k))) for k in parts]
    rows = [row for table in tables for row in table.to_pylist()]
    assert len(rows) == 19
    assert [(f.name, str(f.type)) for f in tables[0].schema] == [
        (name, "string" if kind == "string" else "int64") for name, kind in SEED_COLUMNS
    ]
    assert FIRST_ROW in rows
    run_id = xcom(dag_run, "csv_to_parquet")
    output = log_messages(aws.logs, "/aws-glue/jobs/output", run_id)
    assert f"Writing 19 rows to s3://{conf['bucket']}/{OUTPUT}" in output
    manifest = json.loads(body(aws.s3, conf["bucket"], f"{OUTPUT}_MANIFEST.json"))
    assert manifest == {"run_id": dag_run.run_id, "files": sorted(parts)}


def test_run_without_new_input_skips_the_job_and_keeps_the_published_output(
    dag,
    run_dag,
    task_errors,
    flow,
    aws,
    caplog,
):
    original = land(aws.s3, flow, SEED_TEXT)
    first = run_dag(dag, conf=flow)
    assert_published(first, aws, flow, original)
    manifest = body(aws.s3, flow["bucket"], f"{OUTPUT}_MANIFEST.json")

    second = run_dag(dag, conf=flow)

    assert task_errors == {}
    assert task_states(second) == {
        **dict.fromkeys(
            ("job_definition", "deploy", "convert_encoding", "start_crawler", "wait_for_crawler"), "success"
        ),
        "check_new_input": "success",
        "csv_to_parquet": "skipped",
        # A skipped job reaches no Glue state: neither trigger fires, and nothing failed.
        "on_success": "skipped",
        "publish": "skipped",
        "on_failure": "skipped",
        "alert": "skipped",
        GUARD: "success",
        TEARDOWN: "success",
    }
    assert str(second.state) == "success"
    assert xcom(second, "convert_encoding")["objects_converted"] == 0
    crawl = xcom(second, "wait_for_crawler")
    assert (crawl["tables_created"], crawl["tables_deleted"]) == (0, 0)
    # One job run (the first run's), and the first run's manifest untouched.
    assert len(aws.glue.get_job_runs(JobName=flow["job_name"])["JobRuns"]) == 1
    assert body(aws.s3, flow["bucket"], f"{OUTPUT}_MANIFEST.json") == manifest
    assert any(
        f"No new input: convert_encoding converted no object under s3://{flow['bucket']}/{RAW}"
        in record.message
        for record in caplog.records
    )


def test_flow_waiting_in_the_triggerer_reaches_the_same_outcome(
    dag,
    run_dag,
    task_errors,
    flow,
    aws,
    monkeypatch,
):
    # ``deferrable`` defaults from [operators] default_deferrable when the operator modules are imported,
    # so the mode is set on the loaded tasks, as that setting would have.
    from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
    from airflow_glue_flow.hooks.job import GlueJobFlowHook

    for task_id in ("wait_for_crawler", "csv_to_parquet"):
        monkeypatch.setattr(dag.get_task(task_id), "deferrable", True)
    original = land(aws.s3, flow, SEED_TEXT)
    crawler_async = mock.patch.object(
        GlueCrawlerFlowHook, "get_async_conn", autospec=True, side_effect=GlueCrawlerFlowHook.get_async_conn
    )
    job_async = mock.patch.object(
        GlueJobFlowHook, "get_async_conn", autospec=True, side_effect=GlueJobFlowHook.get_async_conn
    )
    with crawler_async as crawler_waited, job_async as job_waited:
        dag_run = run_dag(dag, conf=flow)
        # The waits ran in the (inline) triggerer, on the async clients.
        assert crawler_waited.called and job_waited.called

    assert task_errors == {}
    assert_published(dag_run, aws, flow, original)
