"""A small Spark (glueetl) job on the local Glue, cold and warm, next to ``spark-submit`` of the same
script, measured side by side in one run.

All three run the seed's ``se2_job0.py`` unchanged (catalog table -> ApplyMapping -> ResolveChoice ->
DropNullFields -> Parquet) on a small CSV. "cold" is a local Glue with the warm Spark off
(``GLUE_FLOW_LOCAL_WARM_SPARK=false``): each run starts its JVM and SparkContext. "warm" is a local Glue
with it on: before each measured run the bench waits until the warm Spark started after the previous run
is ready, as a user's next run comes later. Both are timed from ``StartJobRun`` to ``SUCCEEDED`` as a
client sees it (bucket copy in and out and log shipping included); ``spark-submit`` from launch to exit.
Each server's first run (it builds or checks the job environment) is not measured.

Run: ``python bench/bench_spark_warm.py`` (defaults) or ``python bench/bench_spark_warm.py --rounds 5``.
Generated data goes to bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import time
from pathlib import Path

import psutil
from bench_spark import DATA, create_job, input_csv, run_local, run_submit

from glue_flow_local import LocalGlueProcess
from glue_flow_local.glue.jobs.spark.prepare import spark_environment
from glue_flow_local.glue.jobs.spark.runtime import pyspark_version, spark_defaults, write_conf_dir
from glue_flow_local.s3.mirror import BucketMirror
from glue_flow_local.settings import ServerOptions


def wait_until_warm(local: LocalGlueProcess, timeout: float = 600.0) -> None:
    """Wait until the local Glue's warm Spark for the job's Glue version is ready."""
    ready = Path(local.state_dir) / "warm-spark" / f"5.0-{local.region}.ready"
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"no warm Spark became ready in {timeout:.0f} s")
        time.sleep(0.1)


def measure(csv: Path, warm: bool, rounds: int, submit_rounds: int) -> tuple[list[float], list[float]]:
    """Wall times of ``rounds`` local Glue runs (and of ``submit_rounds`` spark-submit runs after each)."""
    name = "warm" if warm else "cold"
    state = DATA / f"state-{name}"
    shutil.rmtree(state, ignore_errors=True)
    options = ServerOptions(min_crawl_seconds=0, warm_spark=warm)
    local_times: list[float] = []
    submit_times: list[float] = []
    with LocalGlueProcess.start(state_dir=state, options=options) as local:
        s3, glue = create_job(local, csv)
        server = psutil.Process(local.process.pid)
        run_local(glue, s3, server)  # the first run of a server: not measured
        workdir = DATA / "submit"
        if submit_rounds:
            shutil.rmtree(workdir, ignore_errors=True)
            workdir.mkdir()
            mirror = BucketMirror(s3, workdir / "s3")
            buckets = mirror.pull()
            write_conf_dir(workdir / "spark-conf", spark_defaults(workdir, mirror.root, buckets, {}, []))
        python = str(spark_environment("5.0", pyspark_version() or ""))
        for _ in range(rounds):
            if warm:
                wait_until_warm(local)
            local_times.append(run_local(glue, s3, server)[0])
            print(f"  {name} run: {local_times[-1]:.2f} s", flush=True)
            if submit_rounds:
                if warm:
                    wait_until_warm(local)  # the warm Spark starting does not slow spark-submit down
                submit_times.append(run_submit(local, python, mirror.root, workdir)[0])
                print(f"  spark-submit: {submit_times[-1]:.2f} s", flush=True)
    return local_times, submit_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000, help="rows in the input CSV (a small job)")
    parser.add_argument("--rounds", type=int, default=3, help="measured runs of each side")
    args = parser.parse_args()
    csv = input_csv(args.rows)
    print(f"{args.rows} rows ({csv.stat().st_size / 1e3:.0f} kB), {args.rounds} rounds", flush=True)
    cold, _ = measure(csv, warm=False, rounds=args.rounds, submit_rounds=0)
    warm, submit = measure(csv, warm=True, rounds=args.rounds, submit_rounds=1)
    medians = {
        name: statistics.median(times)
        for name, times in (("cold", cold), ("warm", warm), ("spark-submit", submit))
    }
    print(f"{'wall time, median (s)':24}{'cold':>10}{'warm':>10}{'spark-submit':>14}")
    print(f"{'':24}{medians['cold']:>10.2f}{medians['warm']:>10.2f}{medians['spark-submit']:>14.2f}")
    print(
        f"warm / cold = {medians['warm'] / medians['cold']:.2f}, "
        f"warm / spark-submit = {medians['warm'] / medians['spark-submit']:.2f}, "
        f"cold / spark-submit = {medians['cold'] / medians['spark-submit']:.2f}"
    )


if __name__ == "__main__":
    main()
