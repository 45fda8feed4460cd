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
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow.exceptions import (
    GlueCrawlFailedError,
    GlueFlowFailedStepsError,
    GlueJobRunFailedError,
)
from airflow_glue_flow.operators.job import RUN_ID_XCOM_KEY
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from tests.conftest import REPO_ROOT, task_states
from tests.local_glue import SEED_COLUMNS, SEED_CSV_PATH, SLEEPING_SCRIPT, log_messages, require_spark
from tests.support.airflow_internals import parse_dags

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("local_aws_default")]

DAG_FILE = REPO_ROOT / "dags" / "glue_etl_flow.py"
DAG_ID = "glue_etl_flow"
RAW, INPUT, ARCHIVE, OUTPUT = "se2/raw/in0/", "se2/in0/", "se2/archive/in0/", "se2/out0/"
CSV_KEY = "csvlog.csv"
#: The seed with its first country in Japanese: CP932 text that must survive the trip byte for byte.
SEED_TEXT = SEED_CSV_PATH.read_text(encoding="utf-8").replace("iphone,11111,1,JP,", "iphone,11111,1,日本,", 1)
GLUE_TASKS = (
    "job_definition",
    "deploy",
    "convert_encoding",
    "start_crawler",
    "wait_for_crawler",
    "check_new_input",
)
#: The first row of SEED_TEXT as the jobs write it to Parquet.
FIRST_ROW = {
    "deviceid": "iphone",
    "uuid": 11111,
    "appid": 1,
    "country": "日本",
    "year": 2017,
    "month": 12,
    "day": 14,
    "hour": 12,
}
GUARD = "glue_flow_failure_guard"
#: Teardown that stops Glue runs a killed job task left behind (nothing to stop in these runs).
TEARDOWN = "stop_left_glue_runs"


@pytest.fixture
def dag(airflow_db) -> Any:
    """The DAG as the DAG processor loads it from its file, loaded again for each test.

    ``dag.test()`` runs the tasks in this process on the DAG's own task objects: a DAG object shared
    between tests carried one run's ``job_type`` (from its conf) into the next test's run, whose job
    was then deployed with that type instead of the default.
    """
    dagbag = parse_dags(DAG_FILE)
    assert dagbag.import_errors == {}
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None
    assert GUARD in dag.task_ids
    # The conditional triggers start with the run and re-check every 30 s until the job has ended.
    for task_id in ("on_success", "on_failure", GUARD):
        dag.get_task(task_id).poke_interval = 0.5
    # A failed job's retry (which adopts the failed run) waits 10 s; dag.test() would sleep through it.
    dag.get_task("csv_to_parquet").retry_delay = timedelta(0)
    return dag


@pytest.fixture
def aws(request) -> SimpleNamespace:
    """boto3 clients of the local Glue: ``aws.s3``, ``aws.glue``, ``aws.logs``."""
    return SimpleNamespace(
        **{name: request.getfixturevalue(f"{name}_client") for name in ("s3", "glue", "logs")}
    )


@pytest.fixture
def flow(request) -> dict[str, Any]:
    """Run conf with names of this test only (the local Glue is shared by the session).

    The flow's logic is tested with the Python-shell job, which starts in a second; the Spark job, the
    default, has its own end-to-end test.
    """
    named: Callable[[str], str] = request.getfixturevalue("unique")
    return {
        "bucket": request.getfixturevalue("bucket"),
        "database": named("db"),
        "crawler_name": named("crawler"),
        "job_name": named("job"),
        "job_type": "pythonshell",
        "wait_time": 1,
        "max_attempts": 30,
    }


def land(s3: Any, conf: dict[str, Any], text: str, key: str = CSV_KEY) -> bytes:
    """Put ``text`` encoded in CP932 where the flow expects landed files; returns the bytes."""
    body = text.encode("cp932")
    s3.put_object(Bucket=conf["bucket"], Key=RAW + key, Body=body)
    return body


def body(s3: Any, where: str, key: str) -> bytes:
    return s3.get_object(Bucket=where, Key=key)["Body"].read()


def keys(s3: Any, where: str, prefix: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=where, Prefix=prefix).get("Contents", [])]


def xcom(dag_run: Any, task_id: str, key: str = "return_value") -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id, key=key)


def catalog_columns(glue: Any, conf: dict[str, Any]) -> list[tuple[str, str]]:
    table = glue.get_table(DatabaseName=conf["database"], Name="se2_in0")["Table"]
    return [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]]


def assert_published(dag_run: Any, aws: SimpleNamespace, conf: dict[str, Any], original: bytes) -> None:
    """Everything the flow produced, read back from the local Glue."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    s3, where = aws.s3, conf["bucket"]
    assert task_states(dag_run) == {
        **dict.fromkeys(GLUE_TASKS, "success"),
        "csv_to_parquet": "success",
        "on_success": "success",
        "publish": "success",
        "on_failure": "skipped",
        "alert": "skipped",
        GUARD: "success",
        TEARDOWN: "success",
    }
    assert str(dag_run.state) == "success"

    # Encoding: the UTF-8 copy is the text, the archive is the upload, nothing is left to convert.
    assert body(s3, where, INPUT + CSV_KEY) == SEED_TEXT.encode("utf-8")
    assert body(s3, where, ARCHIVE + CSV_KEY) == original
    assert keys(s3, where, RAW) == []

    assert catalog_columns(aws.glue, conf) == SEED_COLUMNS
    assert xcom(dag_run, "wait_for_crawler", GLUE_STATE_XCOM_KEY) == "SUCCEEDED"

    parquet = pq.read_table(io.BytesIO(body(s3, where, OUTPUT + "csvlog.parquet")))
    assert parquet.num_rows == 19
    assert parquet.schema == pa.schema(
        [(name, pa.string() if kind == "string" else pa.int64()) for name, kind in SEED_COLUMNS]
    )
    assert parquet.slice(0, 1).to_pylist()[0] == FIRST_ROW
    assert parquet["appid"][3].as_py() == 7  # "007" in the CSV

    run_id = xcom(dag_run, "csv_to_parquet")
    assert run_id == xcom(dag_run, "csv_to_parquet", RUN_ID_XCOM_KEY)
    assert xcom(dag_run, "csv_to_parquet", GLUE_STATE_XCOM_KEY) == "SUCCEEDED"
    lines = log_messages(aws.logs, "/aws-glue/python-jobs/output", run_id)
    assert any(
        f"s3://{where}/{INPUT}{CSV_KEY} -> s3://{where}/{OUTPUT}csvlog.parquet: 19 rows" in line
        for line in lines
    )
    assert any("done: 19 rows written" in line for line in lines)

    manifest_uri = xcom(dag_run, "publish")
    assert manifest_uri == f"s3://{where}/{OUTPUT}_MANIFEST.json"
    manifest = json.loads(body(s3, where, f"{OUTPUT}_MANIFEST.json"))
    assert manifest == {"run_id": dag_run.run_id, "files": [f"{OUTPUT}csvlog.parquet"]}


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
