"""The shipped CSV-to-Parquet Python-shell script: its column mapping, and real runs in the local Glue."""

from __future__ import annotations

import importlib.util
import json
import sys

import pyarrow as pa
import pytest

from glue_flow_local.glue.jobs.args import GLUE_LIB
from tests.conftest import REPO_ROOT
from tests.local_glue import wait_for_run

SCRIPT = REPO_ROOT / "dags" / "scripts" / "csv_to_parquet.py"
SEED_CSV = REPO_ROOT / "dags" / "data" / "csvlog.csv"


@pytest.fixture
def script(monkeypatch):
    """The script as a module; ``awsglue`` is importable while it loads, and forgotten afterwards."""
    monkeypatch.syspath_prepend(str(GLUE_LIB))
    spec = importlib.util.spec_from_file_location("csv_to_parquet", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    for name in [name for name in sys.modules if name.split(".")[0] == "awsglue"]:
        del sys.modules[name]


def _create_job(glue, name: str, script_location: str) -> None:
    """The job as glue_etl_flow deploys it: Python shell 3.9 with the analytics library set (pyarrow)."""
    glue.create_job(
        Name=name,
        Role="glue-role",
        Command={"Name": "pythonshell", "PythonVersion": "3.9", "ScriptLocation": script_location},
        DefaultArguments={"library-set": "analytics"},
        MaxCapacity=0.0625,
    )


def test_apply_mapping_rejects_values_that_are_not_numbers(script):
    table = pa.table({"uuid": ["1", "x"]})

    with pytest.raises(ValueError, match="cannot convert column 'uuid'"):
        script.apply_mapping(table, [("uuid", "string", "uuid", "long")], "s3://b/k.csv")


def test_input_keys_are_a_list_of_keys_under_the_input_path_once_each(script):
    keys = json.dumps(["in/b.csv", "in/日本 a.csv", "in/b.csv"])

    assert script.parse_keys(keys, "s3://bucket/in/") == ["in/b.csv", "in/日本 a.csv"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('["other/a.csv"]', "not under s3://bucket/in/"),
        ('["in/"]', "not under s3://bucket/in/"),
        ("[]", "non-empty JSON list"),
        ('"in/a.csv"', "non-empty JSON list"),
        ("[1]", "non-empty JSON list"),
    ],
)
def test_input_keys_outside_the_input_path_or_not_keys_are_refused(script, text, problem):
    with pytest.raises(ValueError, match=problem):
        script.parse_keys(text, "s3://bucket/in/")


# The successful run of this script is proven in test_job_scripts.py with the shipped scripts; with
# --INPUT_KEYS in tests/dags/test_glue_etl_event_flow.py.
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_job_with_a_custom_mapping_and_missing_column_fails(glue_client, s3_client, bucket, unique):
    s3_client.put_object(Bucket=bucket, Key="in/csvlog.csv", Body=SEED_CSV.read_bytes())
    s3_client.put_object(Bucket=bucket, Key="script.py", Body=SCRIPT.read_bytes())
    name = unique("job")
    _create_job(glue_client, name, f"s3://{bucket}/script.py")
    mapping = json.dumps([["deviceid", "string", "device", "string"], ["missing", "string", "m", "string"]])

    run_id = glue_client.start_job_run(
        JobName=name,
        Arguments={
            "--INPUT_PATH": f"s3://{bucket}/in/",
            "--OUTPUT_PATH": f"s3://{bucket}/out/",
            "--COLUMN_MAPPING": mapping,
        },
    )["JobRunId"]
    run = wait_for_run(glue_client, name, run_id, timeout=900)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("ValueError: column 'missing' of the mapping is missing")
