"""glue_workflow_flow, loaded from its file and run with dag.test() on the local Glue, from nothing.

The DAG deploys its own jobs and scripts: the run starts with only a bucket holding landed files (and
job names no earlier test used), as on a fresh local Glue or a fresh AWS account.
"""

from __future__ import annotations

import copy
import io
from typing import Any

import pytest

from airflow_glue_flow.cli.sample import sample_text
from tests.conftest import REPO_ROOT, task_states
from tests.support.airflow_internals import parse_dags

DAG_FILE = REPO_ROOT / "dags" / "glue_workflow_flow.py"
GUARD = "glue_flow_failure_guard"


@pytest.fixture(scope="module")
def dag(airflow_db) -> Any:
    dagbag = parse_dags(DAG_FILE)
    assert dagbag.import_errors == {}
    dag = dagbag.get_dag("glue_workflow_flow")
    for task_id in ("when_encoded", "when_encoding_failed", GUARD):
        dag.get_task(task_id).poke_interval = 0.5
    for task_id in ("encode_logs", "load_datalake"):
        dag.get_task(task_id).poll_interval = 1
    return dag


@pytest.mark.parametrize(
    ("param", "value"),
    [
        # S3's bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
        ("bucket_name", "Logs_Bucket"),
        ("bucket_name", "ab"),
        ("bucket_name", "-logs"),
        ("glue_role", "arn:aws:iam::123:role/glue"),
        ("glue_role", "role with spaces"),
        # A leading "/" gives keys whose first path segment is empty (s3://bucket//...).
        ("bucket_path", "/Processed_CTS_dev/input/"),
        ("bucket_path_decode", "/Processed_CTS_dev/utf8/"),
        ("bucket_path_org", "/shif_jis/"),
        ("bucket_path_lake", "/"),
        ("bucket_path_lake", "Processed_CTS_dev/lake"),
        # Glue's NameString: 1-255 characters, single line (the CreateJob API reference).
        ("encode_job_name", "two\nlines"),
        ("load_job_name", "j" * 256),
    ],
)
def test_bad_params_are_refused_naming_the_param(dag, param, value):
    # The trigger form, the REST API and dag.test() check a run's conf against these params the same way.
    from airflow_glue_flow.compat import ParamValidationError

    params = copy.deepcopy(dag.params)
    with pytest.raises(ParamValidationError, match=f"^Invalid input for param {param}: "):
        params.update({param: value})


@pytest.mark.parametrize(
    "conf",
    [
        {},
        {"glue_role": "glue-role", "bucket_name": "my.logs-1"},
        {"glue_role": "arn:aws:iam::123456789012:role/service-role/AWSGlueServiceRole-x"},
    ],
    ids=["defaults", "role-name", "role-arn-with-path"],
)
def test_good_params_pass_the_same_checks(dag, conf):
    params = copy.deepcopy(dag.params)
    params.update(conf)

    assert params.validate() | conf == params.validate()


@pytest.mark.slow
@pytest.mark.usefixtures("local_aws_default")
def test_workflow_deploys_its_jobs_encodes_and_loads_on_a_fresh_glue(
    dag, run_dag, task_errors, local_glue, s3_client, glue_client, unique
):
    import pyarrow.parquet as pq

    bucket = unique("wf").replace("_", "-")
    conf = {
        "bucket_name": bucket,
        "encode_job_name": unique("log_encoding"),
        "load_job_name": unique("datalake_load"),
    }
    s3_client.create_bucket(Bucket=bucket)
    original = sample_text().encode("cp932")
    s3_client.put_object(Bucket=bucket, Key="Processed_CTS_dev/input/csvlog.csv", Body=original)

    dag_run = run_dag(dag, conf=conf)

    assert task_errors == {}
    assert task_states(dag_run) == {
        "deploy": "success",
        "check_new_files": "success",
        "encode_logs": "success",
        "when_encoded": "success",
        "load_datalake": "success",
        "when_encoding_failed": "skipped",
        "alert": "skipped",
        GUARD: "success",
        "stop_left_glue_runs": "success",
    }
    for job in (conf["encode_job_name"], conf["load_job_name"]):
        [run] = glue_client.get_job_runs(JobName=job)["JobRuns"]
        assert run["JobRunState"] == "SUCCEEDED"

    def body(key: str) -> bytes:
        return s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()

    assert body("Processed_CTS_dev/utf8/csvlog.csv") == sample_text().encode("utf-8")
    assert body("Processed_CTS_dev/shif_jis/csvlog.csv") == original
    lake = pq.read_table(io.BytesIO(body("Processed_CTS_dev/lake/csvlog.parquet")))
    assert lake.num_rows == 19
    assert lake.slice(0, 1).to_pylist()[0]["country"] == "日本"


@pytest.mark.slow
@pytest.mark.usefixtures("local_aws_default")
def test_day_without_new_files_skips_both_jobs_and_succeeds(
    dag, run_dag, task_errors, local_glue, s3_client, glue_client, unique, caplog
):
    # The defect: the encoding job converted nothing, then the load job failed on the empty UTF-8 prefix
    # ("no CSV objects under s3://.../utf8/"), failing the run and raising the alert, on every day
    # without files. Like glue_etl_flow's check_new_input, the run now skips the jobs and succeeds.
    bucket = unique("wf-empty").replace("_", "-")
    conf = {
        "bucket_name": bucket,
        "encode_job_name": unique("log_encoding"),
        "load_job_name": unique("datalake_load"),
    }
    s3_client.create_bucket(Bucket=bucket)
    # The S3 console's "Create folder" leaves a zero-byte marker: a folder, not a new file.
    s3_client.put_object(Bucket=bucket, Key="Processed_CTS_dev/input/", Body=b"")

    dag_run = run_dag(dag, conf=conf)

    assert task_errors == {}
    assert task_states(dag_run) == {
        "deploy": "success",
        "check_new_files": "success",
        "encode_logs": "skipped",
        # A skipped job reaches no Glue state: neither conditional trigger fires, and nothing failed.
        "when_encoded": "skipped",
        "load_datalake": "skipped",
        "when_encoding_failed": "skipped",
        "alert": "skipped",
        GUARD: "success",
        "stop_left_glue_runs": "success",
    }
    assert str(dag_run.state) == "success"
    for job in (conf["encode_job_name"], conf["load_job_name"]):
        assert glue_client.get_job_runs(JobName=job)["JobRuns"] == []
    assert any(
        f"No new input: no file under s3://{bucket}/Processed_CTS_dev/input/; skipping "
        f"{conf['encode_job_name']} and {conf['load_job_name']}" in record.message
        for record in caplog.records
    )
