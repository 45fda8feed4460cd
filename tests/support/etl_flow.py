"""Names and readers shared by the glue_etl_flow DAG tests (the DAG run on the local Glue)."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

from airflow_glue_flow.operators.job import RUN_ID_XCOM_KEY
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from tests.conftest import REPO_ROOT, task_states
from tests.local_glue import SEED_COLUMNS, SEED_CSV_PATH, log_messages

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
