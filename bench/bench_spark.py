"""Overhead of a local Glue Spark (glueetl) job run against ``spark-submit`` of the same script on the
same data, measured side by side in one run.

Both sides run the seed's ``se2_job0.py`` unchanged (catalog table -> ApplyMapping -> ResolveChoice ->
DropNullFields -> Parquet) with the same pyspark, the same ``awsglue`` library and the same Spark
settings. The local Glue run is timed from ``StartJobRun`` to ``SUCCEEDED`` as a client sees it (job
environment check, bucket copy in and out, log shipping included); ``spark-submit`` is timed from
launch to exit, reading a folder copy of the same objects. Peak RSS is the sum over each run's process
tree (Python driver, JVM, Python workers; for the local Glue, every process it started for the run, not
the server itself), sampled every 50 ms. The job environment is built once
before the first measured run, as the local Glue keeps it for later runs.

Run: ``python bench/bench_spark.py`` (defaults) or ``python bench/bench_spark.py --rows 500000 --rounds 3``.
Generated data goes to bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil

from glue_flow_local import LocalGlueProcess
from glue_flow_local.glue.jobs.args import GLUE_LIB
from glue_flow_local.glue.jobs.spark.prepare import spark_environment
from glue_flow_local.glue.jobs.spark.runtime import pyspark_version, spark_defaults, write_conf_dir
from glue_flow_local.s3.mirror import BucketMirror
from glue_flow_local.settings import ServerOptions
from glue_flow_local.testing import crawl_csv, create_spark_job

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data" / "spark"
#: The seed's Spark job script, word for word (the local Glue's tests run it too).
SCRIPT = REPO / "local-glue" / "tests" / "data" / "se2_job0.py"


BUCKET, JOB = "test-glue00", "se2_job0"


def make_csv(path: Path, rows: int) -> None:
    """The seed's CSV layout with ``rows`` random rows."""
    rng = random.Random(7)
    devices, countries = ["iphone", "android", "pc", "other"], ["JP", "FR", "AUS", "US"]
    with path.open("w") as handle:
        handle.write("deviceid,uuid,appid,country,year,month,day,hour\n")
        for i in range(rows):
            handle.write(
                f"{rng.choice(devices)},{11110 + i},{rng.randint(1, 9):03d},{rng.choice(countries)},2017,"
                f"{rng.randint(11, 12)},{rng.randint(1, 28):02d},{rng.randint(0, 23):02d}\n"
            )


def input_csv(rows: int) -> Path:
    """The bench's input CSV of ``rows`` rows under bench/data/ (made once)."""
    DATA.mkdir(parents=True, exist_ok=True)
    csv = DATA / f"cvlog-{rows}.csv"
    if not csv.exists():
        make_csv(csv, rows)
    return csv


def create_job(local: LocalGlueProcess, csv: Path) -> tuple[Any, Any]:
    """Crawl the CSV into the seed's table and create the seed's job; return the S3 and Glue clients."""
    s3, glue = local.client("s3"), local.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    body = csv.read_bytes()
    crawl_csv(
        glue, s3, BUCKET, database="se2", crawler="se2_in0", body=body, key="se2/in0/cvlog.csv", timeout=600
    )
    create_spark_job(glue, s3, BUCKET, JOB, SCRIPT.read_bytes(), key="se2/script/se2_job0.py")
    return s3, glue


def kind(proc: psutil.Process) -> str:
    """What a process of a run is: the JVM, the job supervisor, or a Python (driver or worker)."""
    cmdline = " ".join(proc.cmdline())
    if "job_supervisor" in cmdline:
        return "supervisor"
    return "java" if proc.name() == "java" else proc.name()


class PeakRss:
    """Peak summed RSS of a process tree, sampled on a thread, and the RSS per process kind at that peak."""

    def __init__(self, roots: Callable[[], list[psutil.Process]]) -> None:
        self._roots, self.peak, self._stop = roots, 0, threading.Event()
        self.parts: dict[str, int] = {}
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            parts: dict[str, int] = {}
            for root in self._roots():
                try:
                    procs = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for proc in procs:
                    try:
                        name = kind(proc)
                        parts[name] = parts.get(name, 0) + proc.memory_info().rss
                    except psutil.Error:
                        pass
            if sum(parts.values()) > self.peak:
                self.peak, self.parts = sum(parts.values()), parts
            time.sleep(0.05)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def clear_output(s3) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="se2/out0/"):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=obj["Key"])


def run_local(glue, s3, server: psutil.Process) -> tuple[float, int, dict[str, int]]:
    clear_output(s3)
    with PeakRss(lambda: server.children()) as rss:
        start = time.perf_counter()
        run_id = glue.start_job_run(JobName=JOB)["JobRunId"]
        while True:
            run = glue.get_job_run(JobName=JOB, RunId=run_id)["JobRun"]
            if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING", "WAITING"):
                break
            time.sleep(0.05)
        wall = time.perf_counter() - start
    if run["JobRunState"] != "SUCCEEDED":
        raise SystemExit(f"local Glue run {run['JobRunState']}: {run.get('ErrorMessage')}")
    return wall, rss.peak, rss.parts


def run_submit(
    local: LocalGlueProcess, python: str, mirror_root: Path, workdir: Path
) -> tuple[float, int, dict[str, int]]:
    shutil.rmtree(mirror_root / BUCKET / "se2" / "out0", ignore_errors=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(workdir),
        "SPARK_CONF_DIR": str(workdir / "spark-conf"),
        "SPARK_LOCAL_DIRS": str(workdir / "spark-tmp"),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": python,
        "PYSPARK_DRIVER_PYTHON": python,
        "PYTHONPATH": str(GLUE_LIB),
        "AWS_ENDPOINT_URL": local.endpoint_url,
        "AWS_ACCESS_KEY_ID": local.credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": local.credentials.secret_access_key,
        "AWS_DEFAULT_REGION": local.region,
    }
    submit = str(Path(python).parent / "spark-submit")
    start = time.perf_counter()
    process = subprocess.Popen(
        [submit, str(SCRIPT), "--JOB_NAME", JOB],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    with PeakRss(lambda: [psutil.Process(process.pid)]) as rss:
        _, err = process.communicate()
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"spark-submit failed:\n{err[-3000:]}")
    return wall, rss.peak, rss.parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the input CSV")
    parser.add_argument("--rounds", type=int, default=2, help="measured runs of each side")
    args = parser.parse_args()
    csv = input_csv(args.rows)
    with LocalGlueProcess.start(
        state_dir=DATA / "state", options=ServerOptions(min_crawl_seconds=0)
    ) as local:
        s3, glue = create_job(local, csv)
        server = psutil.Process(local.process.pid)
        print(
            f"{args.rows} rows ({csv.stat().st_size / 1e6:.1f} MB); warming the job environment ...",
            flush=True,
        )
        run_local(glue, s3, server)
        env_python = str(spark_environment("5.0", pyspark_version() or ""))  # built by the warm-up run
        workdir = DATA / "submit"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir()
        mirror = BucketMirror(s3, workdir / "s3")
        buckets = mirror.pull()
        write_conf_dir(workdir / "spark-conf", spark_defaults(workdir, mirror.root, buckets, {}, []))
        local_runs, submit_runs = [], []
        for _ in range(args.rounds):
            local_runs.append(run_local(glue, s3, server))
            submit_runs.append(run_submit(local, env_python, mirror.root, workdir))
    wall_l, wall_s = (statistics.median(r[0] for r in runs) for runs in (local_runs, submit_runs))
    rss_l, rss_s = (statistics.median(r[1] for r in runs) for runs in (local_runs, submit_runs))
    print(f"{'':24}{'local Glue':>14}{'spark-submit':>14}{'ratio':>8}")
    print(f"{'wall time (median, s)':24}{wall_l:>14.2f}{wall_s:>14.2f}{wall_l / wall_s:>8.2f}")
    print(f"{'peak RSS (median, MB)':24}{rss_l / 1e6:>14.0f}{rss_s / 1e6:>14.0f}{rss_l / rss_s:>8.2f}")
    for side, runs in (("local Glue", local_runs), ("spark-submit", submit_runs)):
        parts = ", ".join(f"{name} {size / 1e6:.0f} MB" for name, size in sorted(runs[-1][2].items()))
        print(f"  {side} at its last peak: {parts}")


if __name__ == "__main__":
    main()
