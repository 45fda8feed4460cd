"""A warm Spark: after a Spark run, the next run of the same Glue version takes a driver whose JVM and
SparkContext were started ahead, and sees exactly what a cold run sees."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from local_glue_support import create_spark_job, require_spark, wait_for_run

from glue_flow_local.testing import LocalGlue, log_messages, process_gone

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

BUCKET, JOB = "warm-spark", "warm_job"
# Reports what it sees of earlier runs (module globals, environment, temp files, Spark tables and views,
# modules), then leaves each behind for the next run, prints the same lines on every run and sleeps SLEEP s.
SCRIPT = b"""
import json, os, sys, tempfile, time, types
import boto3
from awsglue.utils import getResolvedOptions
from pyspark.context import SparkContext
from pyspark.sql import SparkSession

args = getResolvedOptions(sys.argv, ["JOB_NAME", "SLEEP"])
print("script starts", args["JOB_NAME"], args["SLEEP"])
sys.stderr.write("a line of the script on stderr\\n")
sc = SparkContext.getOrCreate()
spark = SparkSession(sc)
jvm = sc._jvm
report = {
    "run": args["JOB_RUN_ID"],
    "jvm_started": int(sc._jsc.sc().startTime()),
    "jvm_pid": int(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getPid()),
    "cwd": os.getcwd(),
    "home": os.environ["HOME"],
    "tmp": tempfile.gettempdir(),
    "java_tmp": jvm.java.lang.System.getProperty("java.io.tmpdir"),
    "global": globals().get("LEFT_BEHIND"),
    "env": os.environ.get("LEFT_BEHIND"),
    "module": "left_behind" in sys.modules,
    "tmp_files": sorted(os.listdir(tempfile.gettempdir())),
    "tables": sorted(t.name for t in spark.catalog.listTables()),
    "global_views": sorted(t.name for t in spark.catalog.listTables("global_temp")),
    "catalog": spark.conf.get("spark.sql.catalogImplementation"),
    "partitions": spark.conf.get("spark.sql.shuffle.partitions"),
}
LEFT_BEHIND = 1
os.environ["LEFT_BEHIND"] = "1"
sys.modules["left_behind"] = types.ModuleType("left_behind")
with open(os.path.join(tempfile.gettempdir(), "left-behind.txt"), "w") as handle:
    handle.write("x")
spark.range(3).createOrReplaceTempView("left_behind_view")
spark.range(3).createOrReplaceGlobalTempView("left_behind_global")
spark.range(3).write.saveAsTable("left_behind_table")
rows = spark.read.csv("s3://BUCKET/in/", header=True).groupBy("k").count().orderBy("k").collect()
print("rows", [(r["k"], r["count"]) for r in rows])
boto3.client("s3").put_object(Bucket="BUCKET", Key="reports/" + args["JOB_RUN_ID"], Body=json.dumps(report))
time.sleep(float(args["SLEEP"]))
print("script ends")
""".replace(b"BUCKET", BUCKET.encode())
# Spark's own log lines start with a timestamp ("25/12/07 20:01:02 WARN ...").
_STAMP = re.compile(r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d ")


def _report(s3: Any, run_id: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=f"reports/{run_id}")["Body"].read())


def _run(glue: Any, run_id: str, timeout: float = 600.0) -> dict[str, Any]:
    run = wait_for_run(glue, JOB, run_id, timeout)
    if run["JobRunState"] == "FAILED":  # the driver log says why
        logs = boto3.client("logs", endpoint_url=glue.meta.endpoint_url, region_name=glue.meta.region_name)
        run["ErrorMessage"] += "\n" + "\n".join(log_messages(logs, "/aws-glue/jobs/error", run_id)[-40:])
    return run


def _start(glue: Any, sleep: float = 0, **extra: Any) -> str:
    return str(glue.start_job_run(JobName=JOB, Arguments={"--SLEEP": str(sleep)}, **extra)["JobRunId"])


def _was_warm(report: dict[str, Any], run: dict[str, Any]) -> bool:
    """Whether the run's SparkContext started before the run did."""
    return bool(report["jvm_started"] / 1000 < run["StartedOn"].timestamp())


def _wait_until_warm(local: LocalGlue, timeout: float = 600.0) -> None:
    """Wait for the warm Spark started after the last run to be ready (a user's next run comes later)."""
    ready = Path(local.state_dir) / "warm-spark" / f"5.0-{local.region}.ready"
    deadline = time.monotonic() + timeout
    while not ready.exists():
        assert time.monotonic() < deadline, f"no warm Spark became ready in {timeout} s"
        time.sleep(0.1)


def _setup(glue: Any, s3: Any, **arguments: str) -> None:
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="in/data.csv", Body=b"k,v\na,1\nb,2\na,3\n")
    create_spark_job(glue, s3, BUCKET, JOB, SCRIPT, **arguments)


def test_a_warm_run_sees_what_a_cold_run_sees_and_nothing_of_the_run_before(tmp_path: Path) -> None:
    require_spark()
    with LocalGlue(state_dir=tmp_path / "state") as local:
        glue, s3, logs = local.client("glue"), local.client("s3"), local.client("logs")
        _setup(glue, s3)
        ids, runs, seconds = [], [], []
        for number in range(3):
            if number:
                _wait_until_warm(local)
            start = time.monotonic()
            ids.append(_start(glue))
            runs.append(_run(glue, ids[-1]))
            seconds.append(time.monotonic() - start)
            assert runs[-1]["JobRunState"] == "SUCCEEDED", runs[-1].get("ErrorMessage")
        reports = [_report(s3, run_id) for run_id in ids]
        print("seconds per run", seconds)
        outputs = [log_messages(logs, "/aws-glue/jobs/output", run_id) for run_id in ids]
        errors = [
            [_STAMP.sub("", line) for line in log_messages(logs, "/aws-glue/jobs/error", run_id)]
            for run_id in ids
        ]
        assert not _was_warm(reports[0], runs[0])
        assert _was_warm(reports[1], runs[1]) and _was_warm(reports[2], runs[2]), reports
        assert len({report["jvm_pid"] for report in reports}) == 3
        # The same script prints the same lines, cold or warm; Spark's start-up lines are in the warm
        # runs' error logs too.
        assert outputs[0] == outputs[1] == outputs[2], outputs
        assert "rows [('a', 2), ('b', 1)]" in outputs[0]
        assert sorted(errors[0]) == sorted(errors[1]) == sorted(errors[2]), errors
        for report in reports:
            # Nothing of the run before: globals, environment, modules, temp files, tables and views.
            assert report["global"] is None and report["env"] is None and not report["module"], report
            assert "left-behind.txt" not in report["tmp_files"] and report["tables"] == [], report
            assert "left_behind_global" not in report["global_views"], report
            assert report["catalog"] == "in-memory", report
            home = Path(report["home"])
            assert report["cwd"] == str(home)
            for key in ("tmp", "java_tmp"):
                assert Path(report[key]).is_relative_to(home), report
            assert not home.exists()  # the run's folder went with the run
        assert {r["run"] for r in reports} == set(ids)


def test_stop_and_timeout_end_a_warm_run_and_all_its_processes(tmp_path: Path) -> None:
    require_spark()
    with LocalGlue(state_dir=tmp_path / "state", timeout_unit_seconds=20) as local:
        glue, s3 = local.client("glue"), local.client("s3")
        _setup(glue, s3)
        first = _start(glue)
        assert _run(glue, first)["JobRunState"] == "SUCCEEDED"
        for ending in ("STOPPED", "TIMEOUT"):
            _wait_until_warm(local)
            run_id = _start(glue, sleep=600, Timeout=1)  # one "minute" = 20 s here
            deadline = time.monotonic() + 120
            while True:  # the script has reported (its Spark is up) and sleeps
                try:
                    report = _report(s3, run_id)
                    break
                except s3.exceptions.NoSuchKey:
                    assert time.monotonic() < deadline, f"run {run_id} never reported"
                    time.sleep(0.2)
            run = glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"]
            assert _was_warm(report, run), report
            if ending == "STOPPED":
                glue.batch_stop_job_run(JobName=JOB, JobRunIds=[run_id])
            run = _run(glue, run_id, timeout=120)
            assert run["JobRunState"] == ending, run
            assert process_gone(report["jvm_pid"])
            assert not Path(report["home"]).exists()
        output = log_messages(local.client("logs"), "/aws-glue/jobs/output", run_id)
        assert "script ends" not in output


def test_a_run_whose_options_need_a_cold_spark_says_so(tmp_path: Path) -> None:
    require_spark()
    with LocalGlue(state_dir=tmp_path / "state") as local:
        glue, s3, logs = local.client("glue"), local.client("s3"), local.client("logs")
        _setup(glue, s3)
        assert _run(glue, _start(glue))["JobRunState"] == "SUCCEEDED"
        _wait_until_warm(local)
        run_id = str(
            glue.start_job_run(
                JobName=JOB, Arguments={"--SLEEP": "0", "--conf": "spark.sql.shuffle.partitions=7"}
            )["JobRunId"]
        )
        run = _run(glue, run_id)
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        report = _report(s3, run_id)
        assert not _was_warm(report, run) and report["partitions"] == "7", report
        errors = log_messages(logs, "/aws-glue/jobs/error", run_id)
        assert (
            "INFO local Glue: this run starts a Spark of its own, not the warm Spark: "
            "--conf sets Spark properties that a JVM reads when it starts"
        ) in errors
        # The warm Spark waits for the next run that can take it: one with Hive support can, which it gets
        # when it takes the warm Spark (https://docs.aws.amazon.com/glue/latest/dg/aws-glue-programming-etl-glue-data-catalog-hive.html).
        _wait_until_warm(local)
        run_id = str(
            glue.start_job_run(JobName=JOB, Arguments={"--SLEEP": "0", "--enable-glue-datacatalog": "true"})[
                "JobRunId"
            ]
        )
        run = _run(glue, run_id)
        assert run["JobRunState"] == "SUCCEEDED", run.get("ErrorMessage")
        report = _report(s3, run_id)
        assert _was_warm(report, run) and report["catalog"] == "hive", report
        assert not any(
            "not the warm Spark" in line for line in log_messages(logs, "/aws-glue/jobs/error", run_id)
        )
