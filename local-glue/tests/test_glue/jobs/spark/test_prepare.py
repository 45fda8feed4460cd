"""Spark (glueetl) job runs in the local Glue: the seed's script unchanged after a crawl, bookmarks over
runs, errors that name what failed, and the logs AWS writes for Spark jobs."""

from __future__ import annotations

import io
from typing import Any

import pytest
from local_glue_support import (
    SEED_COLUMNS,
    SEED_CSV_PATH,
    SEED_SPARK_SCRIPT,
    crawl_csv,
    create_spark_job,
    log_messages,
    require_spark,
    wait_for_run,
)

from glue_flow_local import LocalGlueProcess

# Each test runs up to three Spark jobs; a loaded machine needs far more than the default 300 s.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

#: The seed's se2_job0.py, word for word (its bucket, database and table are fixed in the script).
SEED_SCRIPT = SEED_SPARK_SCRIPT
SPARK_RUN_SECONDS = 600.0


@pytest.fixture
def spark() -> None:
    require_spark()


def test_seed_script_runs_unchanged_after_a_crawl(spark, glue_client, s3_client, logs_client) -> None:
    # The seed's fixed names: bucket test-glue00, database se2, crawler/table se2_in0, job se2_job0.
    s3_client.create_bucket(Bucket="test-glue00")
    s3_client.put_object(Bucket="test-glue00", Key="se2/in0/", Body=b"")
    crawl_csv(
        glue_client, s3_client, "test-glue00", database="se2", crawler="se2_in0", key="se2/in0/cvlog.csv"
    )
    create_spark_job(
        glue_client,
        s3_client,
        "test-glue00",
        "se2_job0",
        SEED_SCRIPT.read_bytes(),
        key="se2/script/se2_job0.py",
        **{"--TempDir": "s3://test-glue00/se2/tmp"},
    )

    run_id = glue_client.start_job_run(JobName="se2_job0")["JobRunId"]
    run = wait_for_run(glue_client, "se2_job0", run_id, SPARK_RUN_SECONDS)

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert run["LogGroupName"] == "/aws-glue/jobs"
    import pyarrow.parquet as pq

    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket="test-glue00", Prefix="se2/out0/")["Contents"]]
    assert keys and all(k.endswith(".snappy.parquet") for k in keys), keys  # no _SUCCESS, no .crc
    tables = [
        pq.read_table(io.BytesIO(s3_client.get_object(Bucket="test-glue00", Key=k)["Body"].read()))
        for k in keys
    ]
    rows = [row for table in tables for row in table.to_pylist()]
    assert [(f.name, str(f.type)) for f in tables[0].schema] == [
        (name, "string" if kind == "string" else "int64") for name, kind in SEED_COLUMNS
    ]
    assert len(rows) == 19
    assert {
        "deviceid": "iphone",
        "uuid": 11114,
        "appid": 7,
        "country": "AUS",
        "year": 2017,
        "month": 12,
        "day": 17,
        "hour": 18,
    } in rows
    assert sorted(r["uuid"] for r in rows) == sorted(
        int(line.split(",")[1]) for line in SEED_CSV_PATH.read_text().splitlines()[1:]
    )
    # The driver's log (Spark's own lines) goes to the error group, as on AWS.
    assert logs_client.describe_log_streams(logGroupName="/aws-glue/jobs/error", logStreamNamePrefix=run_id)[
        "logStreams"
    ]


BOOKMARK_SCRIPT = b"""
import sys
from awsglue.context import GlueContext
from awsglue.job import Job
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "SOURCE"])
glue_context = GlueContext(SparkContext.getOrCreate())
job = Job(glue_context)
job.init(args["JOB_NAME"], args)
frame = glue_context.create_dynamic_frame.from_options(
    "s3", {"paths": [args["SOURCE"]]}, "csv", {"withHeader": True}, transformation_ctx="source"
)
print("ROWS", frame.count())
job.commit()
"""


def _rows_printed(logs_client: Any, run_id: str) -> int:
    lines = [m for m in log_messages(logs_client, "/aws-glue/jobs/output", run_id) if m.startswith("ROWS ")]
    return int(lines[-1].split()[1])


def _bookmarked_job_over_one_file(
    glue_client: Any, s3_client: Any, bucket: str, job: str, script: bytes
) -> None:
    """A Spark job with bookmarks on, reading s3://<bucket>/in/ (``--SOURCE``), which holds a.csv (2 rows)."""
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"id\n1\n2\n")
    create_spark_job(
        glue_client,
        s3_client,
        bucket,
        job,
        script,
        **{"--job-bookmark-option": "job-bookmark-enable", "--SOURCE": f"s3://{bucket}/in/"},
    )


def test_bookmarks_read_only_new_files_until_reset(
    spark, glue_client, s3_client, logs_client, bucket, unique
) -> None:
    # https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html
    job = unique("bookmarked")
    _bookmarked_job_over_one_file(glue_client, s3_client, bucket, job, BOOKMARK_SCRIPT)
    with pytest.raises(glue_client.exceptions.EntityNotFoundException):
        glue_client.get_job_bookmark(JobName=job)

    first = glue_client.start_job_run(JobName=job)["JobRunId"]
    assert wait_for_run(glue_client, job, first, SPARK_RUN_SECONDS)["JobRunState"] == "SUCCEEDED"
    assert _rows_printed(logs_client, first) == 2
    entry = glue_client.get_job_bookmark(JobName=job)["JobBookmarkEntry"]
    assert entry["RunId"] == first and entry["Run"] == 1 and "a.csv" in entry["JobBookmark"]

    s3_client.put_object(Bucket=bucket, Key="in/b.csv", Body=b"id\n3\n4\n5\n")
    second = glue_client.start_job_run(JobName=job)["JobRunId"]
    assert wait_for_run(glue_client, job, second, SPARK_RUN_SECONDS)["JobRunState"] == "SUCCEEDED"
    assert _rows_printed(logs_client, second) == 3  # only b.csv
    assert glue_client.get_job_bookmark(JobName=job)["JobBookmarkEntry"]["PreviousRunId"] == first

    assert glue_client.reset_job_bookmark(JobName=job)["JobBookmarkEntry"]["RunId"] == second
    third = glue_client.start_job_run(JobName=job)["JobRunId"]
    assert wait_for_run(glue_client, job, third, SPARK_RUN_SECONDS)["JobRunState"] == "SUCCEEDED"
    assert _rows_printed(logs_client, third) == 5


EMPTY_RERUN_SCRIPT = BOOKMARK_SCRIPT.replace(
    b'print("ROWS", frame.count())',
    b'glue_context.write_dynamic_frame.from_options(frame, "s3", {"path": args["SOURCE"] + "../out/"}, "parquet")',
)


def test_a_bookmarked_rerun_without_new_files_succeeds_and_writes_nothing(
    spark, glue_client, s3_client, bucket, unique
) -> None:
    # With job bookmarks a run processes only data added since the last run
    # (https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html): with none, the frame has no
    # fields and the sink writes nothing. Spark's own Parquet writer refused it, so the run ended FAILED.
    job = unique("rerun")
    _bookmarked_job_over_one_file(glue_client, s3_client, bucket, job, EMPTY_RERUN_SCRIPT)

    def output() -> list[str]:
        listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="out/").get("Contents", [])
        return sorted(o["Key"] for o in listed)

    def run() -> dict[str, Any]:
        return wait_for_run(
            glue_client, job, glue_client.start_job_run(JobName=job)["JobRunId"], SPARK_RUN_SECONDS
        )

    first = run()
    written = output()
    rerun = run()

    assert (first["JobRunState"], rerun["JobRunState"]) == ("SUCCEEDED", "SUCCEEDED"), rerun.get(
        "ErrorMessage"
    )
    assert written and output() == written


UNSUPPORTED_SCRIPT = b"""
from awsglue.context import GlueContext
from pyspark.context import SparkContext

glue_context = GlueContext(SparkContext.getOrCreate())
print("before the unsupported call")
glue_context.purge_s3_path("s3://somewhere/old/", {"retentionPeriod": 1})
"""


def test_an_unimplemented_api_fails_the_run_with_its_name_and_the_traceback_is_in_the_error_log(
    spark, glue_client, s3_client, logs_client, bucket, unique
) -> None:
    job = unique("unsupported")
    create_spark_job(glue_client, s3_client, bucket, job, UNSUPPORTED_SCRIPT)
    run_id = glue_client.start_job_run(JobName=job)["JobRunId"]
    run = wait_for_run(glue_client, job, run_id, SPARK_RUN_SECONDS)

    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == (
        "awsglue._unsupported.NotSupportedLocally: GlueContext.purge_s3_path is not implemented by the local "
        "Glue's awsglue library; run this job on AWS Glue"
    )
    assert "before the unsupported call" in log_messages(logs_client, "/aws-glue/jobs/output", run_id)
    error = "\n".join(log_messages(logs_client, "/aws-glue/jobs/error", run_id))
    assert "Traceback (most recent call last):" in error
    assert 'glue_context.purge_s3_path("s3://somewhere/old/", {"retentionPeriod": 1})' in error


MISSING_RUNTIME = {
    "java": "the local Glue found no Java to run Spark: install a Java 17 runtime (Debian/Ubuntu: apt-get "
    "install openjdk-17-jre-headless) or set JAVA_HOME",
    "pyspark": "the local Glue has no pyspark: install it with pip install 'glue-flow-local[spark]'",
}


@pytest.mark.parametrize("missing", sorted(MISSING_RUNTIME))
def test_without_java_or_pyspark_a_spark_run_fails_saying_what_to_install(
    missing, tmp_path, monkeypatch
) -> None:
    if missing == "java":
        monkeypatch.delenv("JAVA_HOME", raising=False)
        monkeypatch.setenv("PATH", "/nonexistent")
    else:
        # The server's Python cannot import pyspark, as without the [spark] extra.
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "sitecustomize.py").write_text("import sys\nsys.modules['pyspark'] = None\n")
        monkeypatch.setenv("PYTHONPATH", str(tmp_path / "site"))
    with LocalGlueProcess.start(state_dir=tmp_path / "glue") as glue:
        s3, client = glue.client("s3"), glue.client("glue")
        s3.create_bucket(Bucket="scripts")
        create_spark_job(client, s3, "scripts", "no_runtime", b"print('never runs')\n")
        run = wait_for_run(client, "no_runtime", client.start_job_run(JobName="no_runtime")["JobRunId"])
        assert not log_messages(glue.client("logs"), "/aws-glue/jobs/output", run["Id"])
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"] == f"Job no_runtime is a Spark job, and {MISSING_RUNTIME[missing]}"


CATALOG_SQL_SCRIPT = b"""
from awsglue.context import GlueContext
from pyspark.context import SparkContext

glue_context = GlueContext(SparkContext.getOrCreate())
row = glue_context.spark_session.sql("SELECT count(*) AS n, max(uuid) AS top FROM sqldb.se2_in0").first()
print("SQL", row["n"], row["top"])
print("CATALOG", glue_context.spark_session.conf.get("spark.sql.catalogImplementation"))
"""


def test_enable_glue_datacatalog_makes_catalog_tables_visible_to_spark_sql(
    spark, glue_client, s3_client, logs_client, bucket, unique
) -> None:
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-arguments.html
    crawler, job = unique("sqlcrawl"), unique("sql")
    crawl_csv(glue_client, s3_client, bucket, database="sqldb", crawler=crawler, key="se2/in0/cvlog.csv")
    create_spark_job(
        glue_client, s3_client, bucket, job, CATALOG_SQL_SCRIPT, **{"--enable-glue-datacatalog": "true"}
    )

    run = wait_for_run(
        glue_client, job, glue_client.start_job_run(JobName=job)["JobRunId"], SPARK_RUN_SECONDS
    )

    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    output = log_messages(logs_client, "/aws-glue/jobs/output", run["Id"])
    assert "SQL 19 11129" in output
    # Hive support, as AWS enables it in the job's SparkSession with the Data Catalog (it read in-memory):
    # https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-data-catalog-hive.html
    assert "CATALOG hive" in output


GLUE4_SCRIPT = b"""
import sys
from awsglue.context import GlueContext
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext

args = getResolvedOptions(sys.argv, ["JOB_NAME", "SOURCE"])
glue_context = GlueContext(SparkContext.getOrCreate())
frame = glue_context.create_dynamic_frame.from_options("s3", {"paths": [args["SOURCE"]]}, "json")
print("ROWS", frame.count())
"""


def test_a_glue_4_spark_job_runs_and_its_log_names_the_spark_and_python_it_ran_on(
    spark, glue_client, s3_client, logs_client
) -> None:
    # Glue 4.0 declares Spark 3.3 and Python 3.10 (https://docs.aws.amazon.com/glue/latest/dg/release-notes.html);
    # the local Glue runs it on its own Spark and closest Python, and says so first in the driver log.
    import pyspark

    bucket = "glue4-jobs"
    s3_client.create_bucket(Bucket=bucket)
    s3_client.put_object(Bucket=bucket, Key="in/a.json", Body=b'{"id": 1}\n{"id": 2}\n')
    s3_client.put_object(Bucket=bucket, Key="scripts/glue4.py", Body=GLUE4_SCRIPT)
    glue_client.create_job(
        Name="glue4",
        Role="arn:aws:iam::123456789012:role/glue",
        Command={
            "Name": "glueetl",
            "ScriptLocation": f"s3://{bucket}/scripts/glue4.py",
            "PythonVersion": "3",
        },
        GlueVersion="4.0",
        WorkerType="G.1X",
        NumberOfWorkers=2,
        DefaultArguments={"--SOURCE": f"s3://{bucket}/in/"},
    )
    run_id = glue_client.start_job_run(JobName="glue4")["JobRunId"]
    run = wait_for_run(glue_client, "glue4", run_id, SPARK_RUN_SECONDS)
    assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
    assert _rows_printed(logs_client, run_id) == 2
    notes = [
        m
        for m in log_messages(logs_client, "/aws-glue/jobs/error", run_id)
        if m.startswith("GlueVersion 4.0")
    ]
    assert len(notes) == 1
    assert notes[0].startswith(
        f"GlueVersion 4.0 declares Spark 3.3 and Python 3.10; this local run uses Spark {pyspark.__version__} "
        "and Python 3."
    )
