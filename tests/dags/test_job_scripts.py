"""Proof: the job scripts this project ships, and the seed's encoding script verbatim, run in the local Glue.

Each script is uploaded to S3, defined as a Python-shell job the way it is deployed, started with its
arguments as Glue passes them, and judged by what it wrote to S3 and its logs.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.encoding.bundle import package_zip
from tests.conftest import REPO_ROOT
from tests.local_glue import (
    SEED_CSV_PATH,
    crawl_csv,
    create_python_job,
    create_spark_job,
    log_messages,
    require_spark,
    wait_for_run,
)

SCRIPTS = sorted((REPO_ROOT / "dags" / "scripts").glob("*.py"))
#: The Glue Workflow seed (the flow this project reproduces), stored verbatim.
SEED = Path(__file__).parent / "data" / "glue_workflow_seed.md"
#: SHA-256 of the seed as published; the copy above must keep these exact bytes.
SEED_SHA256 = "e8ca0bfe351b2a12ec5bb1c1b5f3e1cddf804fa13b230d4dfdda2d4bba194528"
SEED_SCRIPT_MARKER = "from awsglue.utils import getResolvedOptions"
#: Long enough for a first run that builds its environment.
RUN_TIMEOUT = 600


def seed_encoding_arguments(bucket: str) -> dict[str, str]:
    """The encoding job's arguments for a run on ``bucket``, with its prefixes under ``se1/``."""
    return {
        "--BUCKET_NAME": bucket,
        "--BUCKET_PATH": "se1/input/",
        "--BUCKET_PATH_DECODE": "se1/utf8/",
        "--BUCKET_PATH_ORG": "se1/shift_jis/",
        "--DECODE_LANG": "cp932",
    }


def seed_encoding_script(seed: Path = SEED) -> str:
    """The seed's Glue Python-shell script: its fenced code block that imports awsglue, verbatim."""
    blocks = re.findall(r"^```[^\n]*\n(.*?)^```", seed.read_text(encoding="utf-8"), flags=re.S | re.M)
    return next(block for block in blocks if SEED_SCRIPT_MARKER in block)


def _run(glue: Any, name: str, arguments: dict[str, str]) -> dict[str, Any]:
    run_id = glue.start_job_run(JobName=name, Arguments=arguments)["JobRunId"]
    return wait_for_run(glue, name, run_id, timeout=RUN_TIMEOUT)


def prove_csv_to_parquet(glue: Any, s3: Any, logs: Any, bucket: str, name: str, script: bytes) -> None:
    """glue_etl_flow's job: Python shell 3.9 with the analytics library set (for pyarrow)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    s3.put_object(Bucket=bucket, Key="se2/in0/csvlog.csv", Body=SEED_CSV_PATH.read_bytes())
    create_python_job(glue, s3, bucket, name, script, DefaultArguments={"library-set": "analytics"})

    run = _run(
        glue, name, {"--INPUT_PATH": f"s3://{bucket}/se2/in0/", "--OUTPUT_PATH": f"s3://{bucket}/se2/out0/"}
    )

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    body = s3.get_object(Bucket=bucket, Key="se2/out0/csvlog.parquet")["Body"].read()
    table = pq.read_table(io.BytesIO(body))
    assert table.num_rows == 19
    assert table.schema == pa.schema(
        [("deviceid", pa.string()), ("uuid", pa.int64()), ("appid", pa.int64()), ("country", pa.string())]
        + [(column, pa.int64()) for column in ("year", "month", "day", "hour")]
    )
    assert table.slice(3, 1).to_pylist() == [
        {"deviceid": "iphone", "uuid": 11114, "appid": 7, "country": "AUS"}
        | {"year": 2017, "month": 12, "day": 17, "hour": 18}
    ]
    output = log_messages(logs, "/aws-glue/python-jobs/output", run["Id"])
    assert output[0] == f"job {name} run {run['Id']}: s3://{bucket}/se2/in0/ -> s3://{bucket}/se2/out0/"
    assert output[-1] == "done: 19 rows written"


def prove_convert_encoding(glue: Any, s3: Any, logs: Any, bucket: str, name: str, script: bytes) -> None:
    """The encoding job: the package from --extra-py-files, the seed job's arguments."""
    text = {"a.csv": "deviceid,country\niphone,日本\n", "b.csv": "deviceid,country\nandroid,東京\n"}
    for key, value in text.items():
        s3.put_object(Bucket=bucket, Key=f"se1/input/{key}", Body=value.encode("cp932"))
    s3.put_object(Bucket=bucket, Key="lib/encoding.zip", Body=package_zip("airflow_glue_flow.encoding"))
    create_python_job(
        glue,
        s3,
        bucket,
        name,
        script,
        DefaultArguments={"--extra-py-files": f"s3://{bucket}/lib/encoding.zip"},
    )
    arguments = {**seed_encoding_arguments(bucket), "--MAX_WORKERS": "2"}  # MAX_WORKERS: optional

    run = _run(glue, name, arguments)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    for key, value in text.items():
        assert s3.get_object(Bucket=bucket, Key=f"se1/utf8/{key}")["Body"].read() == value.encode("utf-8")
    assert s3.list_objects_v2(Bucket=bucket, Prefix="se1/input/").get("Contents", []) == []
    archived = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="se1/shift_jis/")["Contents"]]
    originals = sorted(s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in archived)
    assert originals == sorted(value.encode("cp932") for value in text.values())
    output = log_messages(logs, "/aws-glue/python-jobs/output", run["Id"])
    assert any(line.startswith("[INFO] converted") for line in output), output


#: A row of the seed as the Spark job writes it.
AUS_ROW = {"deviceid": "iphone", "uuid": 11114, "appid": 7, "country": "AUS"} | {
    "year": 2017,
    "month": 12,
    "day": 17,
    "hour": 18,
}


def _parquet_rows(s3: Any, bucket: str, prefix: str) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]]
    return [
        row
        for key in keys
        for row in pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read())).to_pylist()
    ]


def prove_csv_to_parquet_spark(glue: Any, s3: Any, logs: Any, bucket: str, name: str, script: bytes) -> None:
    """The DAGs' Spark job (the seed's se2_job0 with arguments): Glue 5.0 glueetl, after a crawl."""
    require_spark()
    crawl_csv(glue, s3, bucket, database=name, crawler=name)
    create_spark_job(glue, s3, bucket, name, script)

    run = _run(
        glue,
        name,
        {"--DATABASE": name, "--TABLE_NAME": "se2_in0", "--OUTPUT_PATH": f"s3://{bucket}/se2/out0/"},
    )

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    rows = _parquet_rows(s3, bucket, "se2/out0/")
    assert len(rows) == 19
    assert AUS_ROW in rows
    output = log_messages(logs, "/aws-glue/jobs/output", run["Id"])
    assert f"Writing 19 rows to s3://{bucket}/se2/out0/" in output


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT + 60)
def test_spark_job_with_input_keys_reads_only_those_objects(glue_client, s3_client, bucket, unique):
    """glue_etl_event_flow's load: --INPUT_KEYS names the objects to read instead of the crawled table,
    with the job defined as the DAGs deploy it (job bookmarks on): each run reads the keys it is given."""
    from airflow_glue_flow.flow_jobs import csv_to_parquet_job

    require_spark()
    name = unique("job")
    first, second = "se2/in0/landed 日本 one.csv", "se2/in0/landed two.csv"
    s3_client.put_object(Bucket=bucket, Key="se2/in0/never named.csv", Body=SEED_CSV_PATH.read_bytes())
    script = REPO_ROOT / "dags" / "scripts" / "csv_to_parquet_spark.py"
    s3_client.put_object(Bucket=bucket, Key=f"scripts/{script.name}", Body=script.read_bytes())
    # The table is not read when --INPUT_KEYS is given (it need not exist).
    definition = csv_to_parquet_job(
        "spark",
        name=name,
        role="r",
        script_prefix=f"s3://{bucket}/scripts/",
        database="db",
        table="t",
        input_path=f"s3://{bucket}/se2/in0/",
        output_path=f"s3://{bucket}/se2/out/",
    )
    glue_client.create_job(**definition)

    for run_number, key in enumerate((first, second)):
        # As in the flow, the second object is converted (written) after the first run.
        s3_client.put_object(Bucket=bucket, Key=key, Body=SEED_CSV_PATH.read_bytes())
        output = f"se2/out{run_number}/"
        run = _run(
            glue_client,
            name,
            {
                "--INPUT_PATH": f"s3://{bucket}/se2/in0/",
                "--INPUT_KEYS": json.dumps([key, key]),
                "--OUTPUT_PATH": f"s3://{bucket}/{output}",
            },
        )

        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        rows = _parquet_rows(s3_client, bucket, output)
        assert len(rows) == 19, key
        assert AUS_ROW in rows


#: How each shipped script is deployed, run and checked; a new script needs its entry here.
PROOFS = {
    "convert_encoding.py": prove_convert_encoding,
    "csv_to_parquet.py": prove_csv_to_parquet,
    "csv_to_parquet_spark.py": prove_csv_to_parquet_spark,
}


def test_every_shipped_script_reads_its_arguments_with_awsglue():
    assert SCRIPTS, "no job scripts found under dags/scripts"
    for script in SCRIPTS:
        source = script.read_text(encoding="utf-8")
        assert "from awsglue.utils import getResolvedOptions" in source, script.name
        assert not re.search(r"def \w*resol\w*options", source, flags=re.I), (
            f"{script.name} parses its own args"
        )


def test_every_shipped_script_has_a_proof():
    assert sorted(PROOFS) == [script.name for script in SCRIPTS]


def test_the_stored_seed_is_the_seed_byte_for_byte():
    # The acceptance checks run the seed's own script verbatim: the stored copy must not be reformatted.
    assert hashlib.sha256(SEED.read_bytes()).hexdigest() == SEED_SHA256


def test_the_seed_script_is_the_seeds_code_block():
    script = seed_encoding_script()

    assert script.startswith(
        "import sys\nimport re\nimport boto3\nfrom awsglue.utils import getResolvedOptions\n"
    )
    assert "args = getResolvedOptions(sys.argv, ['BUCKET_NAME','BUCKET_PATH','BUCKET_PATH_DECODE'" in script


@pytest.mark.slow
@pytest.mark.timeout(RUN_TIMEOUT + 60)
@pytest.mark.parametrize("script", SCRIPTS, ids=[script.name for script in SCRIPTS])
def test_shipped_script_runs_in_the_local_glue(script, glue_client, s3_client, logs_client, bucket, unique):
    PROOFS[script.name](glue_client, s3_client, logs_client, bucket, unique("job"), script.read_bytes())


@pytest.mark.slow
def test_seed_encoding_script_runs_verbatim(glue_client, s3_client, logs_client, bucket, unique):
    text = {"a.csv": "deviceid,country\niphone,日本\n", "b.csv": "deviceid,country\nandroid,東京\n"}
    for key, value in text.items():
        s3_client.put_object(Bucket=bucket, Key=f"se1/input/{key}", Body=value.encode("cp932"))
    s3_client.put_object(Bucket=bucket, Key="se1/input/", Body=b"")  # the console's folder marker
    name = unique("encode")
    create_python_job(glue_client, s3_client, bucket, name, seed_encoding_script().encode("utf-8"))
    arguments = seed_encoding_arguments(bucket)

    run = _run(glue_client, name, arguments)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    for key, value in text.items():
        assert s3_client.get_object(Bucket=bucket, Key=f"se1/utf8/{key}")["Body"].read() == value.encode(
            "utf-8"
        )
        original = s3_client.get_object(Bucket=bucket, Key=f"se1/shift_jis/{key}")["Body"].read()
        assert original == value.encode("cp932")
    left = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket, Prefix="se1/input/")["Contents"]]
    assert left == ["se1/input/"]
    output = log_messages(logs_client, "/aws-glue/python-jobs/output", run["Id"])
    assert "[INFO] se1/input/a.csv" in output and "[INFO] SKIP se1/input/" in output
