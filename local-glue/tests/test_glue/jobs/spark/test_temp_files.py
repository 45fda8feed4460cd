"""A Spark run leaves nothing outside its own folder: the JVM's and Python's temporary files (Spark's
``spark-<uuid>`` folders, the lz4 and snappy native libraries they unpack, ``hsperfdata``) go into the
run's folder, which is removed when the run ends, even though the run's processes are killed then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from local_glue_support import create_spark_job, require_spark, wait_for_run

from glue_flow_local.testing import LocalGlue

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# A shuffle (lz4, Spark's default spark.io.compression.codec) and a snappy Parquet write load both native
# libraries; the script then reports where this run's processes keep temporary files.
SCRIPT = b"""
import json, os, tempfile
import boto3
from pyspark.context import SparkContext
from pyspark.sql import SparkSession

sc = SparkContext()
spark = SparkSession(sc)
df = spark.createDataFrame([(i % 3, i) for i in range(100)], ["k", "v"]).groupBy("k").count()
df.write.mode("overwrite").parquet("s3://BUCKET/out/")
runtime = sc._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
pid = int(runtime.getPid())
with open(f"/proc/{pid}/maps") as maps:
    native = sorted({line.split(None, 5)[5].replace(" (deleted)", "").strip()
                     for line in maps if len(line.split(None, 5)) == 6
                     and ("lz4" in line or "snappy" in line) and ".so" in line})
report = {
    "home": os.environ["HOME"],
    "python_tmp": tempfile.gettempdir(),
    "java_tmp": sc._jvm.java.lang.System.getProperty("java.io.tmpdir"),
    "jvm_args": list(runtime.getInputArguments()),
    "jvm_pid": pid,
    "native": native,
}
boto3.client("s3").put_object(Bucket="BUCKET", Key="report.json", Body=json.dumps(report).encode())
"""


def test_a_spark_run_leaves_no_file_in_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require_spark()
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(system_tmp))  # the server's, and all it starts, temp folder
    with LocalGlue(state_dir=tmp_path / "state") as glue:
        glue_client, s3 = glue.client("glue"), glue.client("s3")
        s3.create_bucket(Bucket="temp-files")
        create_spark_job(
            glue_client, s3, "temp-files", "temp_files", SCRIPT.replace(b"BUCKET", b"temp-files")
        )
        run_id = glue_client.start_job_run(JobName="temp_files")["JobRunId"]
        run = wait_for_run(glue_client, "temp_files", run_id, 600.0)
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        report = json.loads(s3.get_object(Bucket="temp-files", Key="report.json")["Body"].read())
        assert sorted(system_tmp.iterdir()) == []
    home = Path(report["home"])
    # Java's temp folder is /tmp whatever TMPDIR says (on Linux): the run sets java.io.tmpdir to its folder.
    assert Path(report["java_tmp"]).is_relative_to(home), report
    assert Path(report["python_tmp"]).is_relative_to(home), report
    assert report["native"], "the job loaded neither the lz4 nor the snappy native library"
    assert all(Path(path).is_relative_to(home) for path in report["native"]), report["native"]
    # hsperfdata lives in /tmp/hsperfdata_<user>/<pid> whatever the temp folder; the run's JVM writes none.
    assert "-XX:-UsePerfData" in report["jvm_args"], report["jvm_args"]
    assert not list(Path("/tmp").glob(f"hsperfdata_*/{report['jvm_pid']}"))
    assert not home.exists()  # the run's folder, and with it every temporary file, is gone
