"""Seed 000 (a crawler, then a job, run by Step Functions) through ``glue-flow import asl``: both its shapes
become GlueCrawlerStartOperator + GlueCrawlerWaitOperator + GlueJobRunOperator with the seed's values."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.asl import AslImportError, import_asl
from tests.support.airflow_internals import parse_dags

SEED = Path(__file__).parent / "data" / "asl_seed000"
RUFF = Path(sys.executable).parent / "ruff"


def load_dag(source: str, tmp_path: Path) -> Any:
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(source)
    bag = parse_dags(dag_file)
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    checked = subprocess.run([str(RUFF), "format", "--check", "--isolated", str(dag_file)], check=False)
    assert checked.returncode == 0
    return dag


def cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "airflow_glue_flow.cli.commands", "import", "asl", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
        check=False,
    )


@pytest.mark.parametrize(
    ("definition", "lambdas"), [("state_machine.json", True), ("state_machine_sdk.json", False)]
)
def test_seed_000_becomes_crawl_start_wait_and_job(definition: str, lambdas: bool, tmp_path: Path) -> None:
    document = json.loads((SEED / definition).read_text())
    result = import_asl(document, name="GlueJob2", lambda_source=SEED / "lambda" if lambdas else None)
    dag = load_dag(result.dag_source, tmp_path)
    assert sorted(dag.task_ids) == ["run_final_glue_job", "submit_crawler_job", "wait_x_seconds"]
    start, wait, job = (
        dag.task_dict[t] for t in ("submit_crawler_job", "wait_x_seconds", "run_final_glue_job")
    )
    assert type(start).__name__ == "GlueCrawlerStartOperator" and start.crawler_name == "se2_in0"
    assert type(wait).__name__ == "GlueCrawlerWaitOperator" and wait.crawler_name == "se2_in0"
    # The Wait's SecondsPath $.wait_time is a DAG param; the counter starts at 1 and fails when > 3:
    # checks at counts 1, 2 and 3, so 3 checks.
    assert wait.wait_time == "{{ params.wait_time }}" and "wait_time" in dag.params
    assert wait.max_attempts == 3
    assert type(job).__name__ == "GlueJobRunOperator" and job.job_name == "se2_job0"
    # Retry IntervalSeconds 120, MaxAttempts 3, BackoffRate 2.0 on the crawl start.
    assert start.retries == 3 and start.retry_delay.total_seconds() == 120
    assert job.retries == 3 and job.retry_delay.total_seconds() == 1
    assert wait.upstream_task_ids == {"submit_crawler_job"}
    assert job.upstream_task_ids == {"wait_x_seconds"}
    rows = {r["state"]: r["became"] for r in result.report["states"]}
    assert rows["Get Crawler Job Status"].startswith("wait_x_seconds")
    assert rows["Job Failed Timeout"].startswith("wait_x_seconds")
    assert result.report["params"] == {"wait_time": "execution input $.wait_time (Wait SecondsPath)"}


def test_the_lambda_loop_that_reads_only_state_is_flagged() -> None:
    document = json.loads((SEED / "state_machine.json").read_text())
    lambda_shape = import_asl(document, lambda_source=SEED / "lambda")
    # glue-test1-crcheck returns Crawler.State only: READY after a FAILED crawl ran the job.
    assert any("only Crawler.State" in flag for flag in lambda_shape.report["flags"])
    sdk = import_asl(json.loads((SEED / "state_machine_sdk.json").read_text()))
    assert sdk.report["flags"] == []
    assert "preserved" in sdk.dag_source


def test_without_the_lambda_sources_the_loop_is_not_recognised() -> None:
    document = json.loads((SEED / "state_machine.json").read_text())
    with pytest.raises(AslImportError) as caught:
        import_asl(document)
    assert caught.value.state == "Wait X Seconds"
    assert "loop" in caught.value.construct


def test_the_cli_writes_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        out, report = tmp_path / f"dag{seed}.py", tmp_path / f"report{seed}.json"
        done = cli(
            str(SEED / "state_machine.json"),
            "-o",
            str(out),
            "--lambda-source",
            str(SEED / "lambda"),
            "--report",
            str(report),
            seed=seed,
        )
        assert done.returncode == 0, done.stderr
        assert "Submit Crawler Job" in done.stdout and "GlueCrawlerStartOperator" in done.stdout
        outputs.append((out.read_bytes(), report.read_bytes(), done.stdout.split("Wrote")[0]))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][1])["dag_id"] == "state_machine"


def test_the_cli_stops_naming_the_state_and_construct(tmp_path: Path) -> None:
    done = cli(str(SEED / "state_machine.json"), "-o", str(tmp_path / "dag.py"))
    assert done.returncode == 1
    assert "'Wait X Seconds'" in done.stderr and "loop" in done.stderr
    assert not (tmp_path / "dag.py").exists()


def test_the_counter_note_names_the_state_that_sets_the_counter() -> None:
    # The SDK shape sets the counter in the Pass state 'Init Count' (Result 1), the Lambda shape in the
    # start Lambda's return value.
    sdk = import_asl(json.loads((SEED / "state_machine_sdk.json").read_text()))
    assert "starts at 1 ('Init Count')" in sdk.dag_source.replace("\n    # ", " ")
    lambdas = import_asl(json.loads((SEED / "state_machine.json").read_text()), lambda_source=SEED / "lambda")
    assert "starts at 1 ('Submit Crawler Job')" in lambdas.dag_source.replace("\n    # ", " ")
