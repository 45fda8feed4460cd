"""The shipped CSV-to-Parquet Python-shell script: its argument parser, and a real run in the local Glue."""

from __future__ import annotations

import importlib.util
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import REPO_ROOT
from tests.local_glue import log_messages, wait_for_run

SCRIPT = REPO_ROOT / "dags" / "scripts" / "csv_to_parquet.py"
SEED_CSV = REPO_ROOT / "dags" / "data" / "csvlog.csv"


def _load_script():
    spec = importlib.util.spec_from_file_location("csv_to_parquet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_get_resolved_options_behaves_like_glue():
    script = _load_script()
    argv = [
        "script.py",
        "--JOB_NAME",
        "j",
        "--INPUT_PATH=s3://b/in/",
        "--UNKNOWN",
        "x",
        "--OUTPUT_PATH",
        "s3://b/out/",
    ]

    args = script.get_resolved_options(argv, ["JOB_NAME", "INPUT_PATH", "OUTPUT_PATH"])

    assert (args["JOB_NAME"], args["INPUT_PATH"], args["OUTPUT_PATH"]) == ("j", "s3://b/in/", "s3://b/out/")


def test_get_resolved_options_requires_every_named_key(capsys):
    script = _load_script()

    with pytest.raises(SystemExit):
        script.get_resolved_options(["script.py", "--JOB_NAME", "j"], ["JOB_NAME", "INPUT_PATH"])
    assert "--INPUT_PATH" in capsys.readouterr().err


def test_apply_mapping_rejects_values_that_are_not_numbers():
    script = _load_script()
    table = pa.table({"uuid": ["1", "x"]})

    with pytest.raises(ValueError, match="cannot convert column 'uuid'"):
        script.apply_mapping(table, [("uuid", "string", "uuid", "long")], "s3://b/k.csv")


@pytest.mark.slow
def test_job_converts_the_seed_csv_to_parquet(glue_client, s3_client, logs_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="se2/utf8/csvlog.csv", Body=SEED_CSV.read_bytes())
    s3_client.put_object(Bucket=bucket, Key="se2/script/csv_to_parquet.py", Body=SCRIPT.read_bytes())
    name = unique("se2_job0")
    glue_client.create_job(
        Name=name,
        Role="glue-role",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/se2/script/csv_to_parquet.py"},
        DefaultArguments={
            "--INPUT_PATH": f"s3://{bucket}/se2/utf8/",
            "--OUTPUT_PATH": f"s3://{bucket}/se2/out0/",
        },
    )

    run = wait_for_run(glue_client, name, glue_client.start_job_run(JobName=name)["JobRunId"])

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    body = s3_client.get_object(Bucket=bucket, Key="se2/out0/csvlog.parquet")["Body"].read()
    table = pq.read_table(io.BytesIO(body))
    assert table.num_rows == 19
    assert table.schema == pa.schema(
        [("deviceid", pa.string()), ("uuid", pa.int64()), ("appid", pa.int64()), ("country", pa.string())]
        + [(name, pa.int64()) for name in ("year", "month", "day", "hour")]
    )
    assert table.slice(3, 1).to_pylist() == [
        {
            "deviceid": "iphone",
            "uuid": 11114,
            "appid": 7,
            "country": "AUS",
            "year": 2017,
            "month": 12,
            "day": 17,
            "hour": 18,
        }
    ]
    output = log_messages(logs_client, "/aws-glue/python-jobs/output", run["Id"])
    assert output[-1] == "done: 19 rows written"


@pytest.mark.slow
def test_job_with_a_custom_mapping_and_missing_column_fails(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="in/csvlog.csv", Body=SEED_CSV.read_bytes())
    s3_client.put_object(Bucket=bucket, Key="script.py", Body=SCRIPT.read_bytes())
    name = unique("job")
    glue_client.create_job(
        Name=name, Role="r", Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/script.py"}
    )
    mapping = json.dumps([["deviceid", "string", "device", "string"], ["missing", "string", "m", "string"]])

    run_id = glue_client.start_job_run(
        JobName=name,
        Arguments={
            "--INPUT_PATH": f"s3://{bucket}/in/",
            "--OUTPUT_PATH": f"s3://{bucket}/out/",
            "--COLUMN_MAPPING": mapping,
        },
    )["JobRunId"]
    run = wait_for_run(glue_client, name, run_id)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("ValueError: column 'missing' of the mapping is missing")
