"""The demo: run ``glue_etl_flow`` end to end on the local Glue and show what it did.

``python3 scripts/dev.py demo`` (which runs this developer tool with the project's venv) starts the local
Glue, uploads the 19-row sample CSV (Japanese text) encoded in CP932, runs ``airflow dags test glue_etl_flow`` against
it and prints the UTF-8 file, the archived original, the catalog table, the Parquet output, the job's
log lines and the final state of every task. Airflow's home lives in ``.glue-flow/`` of the working
folder, so running it again reuses the migrated database.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from demo_report import RunSummary, TaskRow, dag_order, render, upstream_of  # beside this script

from airflow_glue_flow.cli.sample import sample_text, upload
from airflow_glue_flow.hooks.s3_events import ensure_bucket
from glue_flow_local.process import LocalGlueProcess
from glue_flow_local.settings import Credentials

DAG_ID = "glue_etl_flow"
PARAMS = {
    "bucket": "glue-flow-demo",
    "raw_prefix": "se2/raw/in0/",
    "input_prefix": "se2/in0/",
    "archive_prefix": "se2/archive/in0/",
    "output_prefix": "se2/out0/",
    "database": "se2",
    "crawler_name": "se2_in0",
    "table_prefix": "se2_",
    "job_name": "se2_job0",
    "wait_time": 1,
    "max_attempts": 60,
}


def _repo_dags() -> Path:
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        if (base / "dags" / f"{DAG_ID}.py").exists():
            return base / "dags"
    raise SystemExit("Cannot find dags/glue_etl_flow.py: run the demo from the project folder.")


def airflow_env(home: Path, dags: Path, endpoint_url: str, credentials: Credentials) -> dict[str, str]:
    """Environment for Airflow commands that use ``home`` and talk to the local Glue.

    :param home: AIRFLOW_HOME.
    :param dags: the DAGs folder.
    :param endpoint_url: the local Glue's URL, set on the ``aws_default`` connection.
    :param credentials: the local Glue's credentials.
    """
    connection = {"conn_type": "aws", "extra": {"endpoint_url": endpoint_url, "region_name": "us-east-1"}}
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


def upload_seed(glue: LocalGlueProcess, params: dict[str, Any]) -> bytes:
    """Land the sample (the seed's rows, Japanese country names) in CP932, as ``glue-flow sample upload``
    does; returns its bytes."""
    s3 = glue.client("s3")
    body = sample_text().encode("cp932")
    ensure_bucket(s3, params["bucket"])
    upload(s3, params["bucket"], params["raw_prefix"], body)
    return body


def run_flow(env: dict[str, str], params: dict[str, Any], log_path: Path) -> int:
    """Migrate Airflow's database and run ``airflow dags test``; the full output goes to ``log_path``."""
    with log_path.open("w") as log:
        subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], env=env, stdout=log, stderr=log, check=True
        )
        test = [sys.executable, "-m", "airflow", "dags", "test", DAG_ID, "-c", json.dumps(params)]
        return subprocess.run(test, env=env, stdout=log, stderr=log).returncode


def airflow_json(env: dict[str, str], *command: str) -> list[dict[str, str]]:
    """What an ``airflow`` CLI command prints with ``--output json``.

    :param env: the environment of the Airflow commands (:func:`airflow_env`).
    :param command: the command and its arguments, e.g. ``("dags", "list-runs", "glue_etl_flow")``.
    """
    out = subprocess.run(
        [sys.executable, "-m", "airflow", *command, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # The JSON list is the last line; Airflow may print warnings before it.
    return json.loads(out.strip().splitlines()[-1])


def _seconds_between(start: str, end: str) -> float | None:
    if not start or not end:
        return None
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def task_states(env: dict[str, str], dag_file: Path, dag_id: str = DAG_ID) -> RunSummary:
    """The newest run's state and duration and its tasks' states and durations in DAG order, read with
    Airflow's CLI (``dags list-runs``, ``tasks states-for-dag-run``).

    :param env: the environment of the Airflow commands (:func:`airflow_env`).
    :param dag_file: the file that defines the DAG, for its task order.
    :param dag_id: the DAG.
    """
    order = dag_order(upstream_of(dag_file, dag_id))
    run = airflow_json(env, "dags", "list-runs", dag_id)[0]  # the newest first
    instances = {
        ti["task_id"]: ti for ti in airflow_json(env, "tasks", "states-for-dag-run", dag_id, run["run_id"])
    }
    rows = [
        TaskRow(
            task_id,
            instances[task_id]["state"] or "None",
            _seconds_between(instances[task_id]["start_date"], instances[task_id]["end_date"]),
        )
        for task_id in [*order, *sorted(instances.keys() - set(order))]
        if task_id in instances
    ]
    return RunSummary(dag_id, run["state"], _seconds_between(run["start_date"], run["end_date"]), rows)


def report(glue: LocalGlueProcess, params: dict[str, Any], original: bytes) -> dict[str, Any]:
    """Collect what the flow produced from the local Glue."""
    import pyarrow.parquet as pq

    s3, glue_client, logs = glue.client("s3"), glue.client("glue"), glue.client("logs")
    bucket = params["bucket"]

    def body(key: str) -> bytes | None:
        try:
            return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    out: dict[str, Any] = {
        "utf8": body(params["input_prefix"] + "csvlog.csv"),
        "archive": body(params["archive_prefix"] + "csvlog.csv"),
        "raw_left": s3.list_objects_v2(Bucket=bucket, Prefix=params["raw_prefix"]).get("KeyCount", 0),
        "original": original,
    }
    table_name = params["table_prefix"] + params["input_prefix"].rstrip("/").rsplit("/", 1)[-1]
    try:
        out["table"] = glue_client.get_table(DatabaseName=params["database"], Name=table_name)["Table"]
    except glue_client.exceptions.EntityNotFoundException:
        out["table"] = None
    parquet_keys = [
        o["Key"]
        for o in s3.list_objects_v2(Bucket=bucket, Prefix=params["output_prefix"]).get("Contents", [])
        if o["Key"].endswith(".parquet")
    ]
    out["parquet"] = [(key, pq.read_table(io.BytesIO(body(key) or b""))) for key in parquet_keys]
    runs = glue_client.get_job_runs(JobName=params["job_name"]).get("JobRuns", [])
    out["job_run"] = max(runs, key=lambda r: r["StartedOn"]) if runs else None
    out["job_log"] = []
    if out["job_run"]:
        # /aws-glue/jobs for the Spark job, /aws-glue/python-jobs for the Python-shell one.
        prefix = out["job_run"].get("LogGroupName") or "/aws-glue/python-jobs"
        for group in (f"{prefix}/output", f"{prefix}/error"):
            try:
                events = logs.get_log_events(logGroupName=group, logStreamName=out["job_run"]["Id"])["events"]
            except logs.exceptions.ResourceNotFoundException:
                continue
            out["job_log"] += [
                (e["timestamp"], group.rsplit("/", 1)[-1], e["message"].rstrip()) for e in events
            ]
    # Both streams in the order the job wrote them (the sort is stable for equal timestamps).
    out["job_log"] = [(stream, message) for _, stream, message in sorted(out["job_log"], key=lambda e: e[0])]
    return out


def job_type() -> tuple[str, str]:
    """The flow's job variant on this machine and why: the seed's Spark job where the local Glue can run
    Spark (Java and pyspark), else the Python-shell job, with what is missing."""
    from glue_flow_local.glue.jobs.spark.runtime import SparkRunError, check_runtime

    try:
        check_runtime(PARAMS["job_name"], "5.0")
    except SparkRunError as err:
        return "pythonshell", f"ran the Python-shell variant of the job: {err}"
    return "spark", "ran the Spark variant of the job (the seed's PySpark script, Glue 5.0)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", default=".glue-flow", help="where Airflow's home and logs go")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir).resolve()
    home = workdir / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    dags = _repo_dags()
    variant, why = job_type()
    params = {**PARAMS, "job_type": variant}
    print("Starting the local Glue ...", flush=True)
    with LocalGlueProcess.start(state_dir=workdir / "local-glue") as glue:
        print(f"Local Glue at {glue.endpoint_url}\nRunning `airflow dags test {DAG_ID}` ...", flush=True)
        original = upload_seed(glue, params)
        env = airflow_env(home, dags, glue.endpoint_url, glue.credentials)
        code = run_flow(env, params, workdir / "dags-test.log")
        result = report(glue, params, original)
    run = task_states(env, dags / f"{DAG_ID}.py")
    from rich.console import Console

    console = Console()
    render(console, result, run)
    console.print(f"The demo {why}", markup=False, highlight=False)
    console.print(f"Full Airflow output: {workdir / 'dags-test.log'}", markup=False, highlight=False)
    return 0 if code == 0 and run.state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
