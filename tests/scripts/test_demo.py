"""The demo reads the finished DAG run through Airflow's CLI (public API), not Airflow's database models."""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

_report_spec = importlib.util.spec_from_file_location("demo_report", REPO_ROOT / "scripts" / "demo_report.py")
sys.modules.setdefault("demo_report", importlib.util.module_from_spec(_report_spec))
if not hasattr(sys.modules["demo_report"], "render"):
    _report_spec.loader.exec_module(sys.modules["demo_report"])
_spec = importlib.util.spec_from_file_location("demo", REPO_ROOT / "scripts" / "demo.py")
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)

DAG_ID = "demo_cli_read"
#: A DAG whose tasks end in three states, defined in an order that differs from the order they run in.
DAG_FILE = textwrap.dedent(
    f"""
    from airflow.providers.standard.operators.empty import EmptyOperator
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    def fail():
        raise ValueError("this task fails")

    with DAG({DAG_ID!r}, schedule=None) as dag:
        last = EmptyOperator(task_id="last", trigger_rule="all_done")
        broken = PythonOperator(task_id="broken", python_callable=fail)
        skipped = EmptyOperator(task_id="after_broken")
        first = EmptyOperator(task_id="first")
        first >> broken >> skipped >> last
    """
)


@pytest.mark.slow
def test_task_states_reads_the_newest_run_with_the_cli_in_dag_order(run_dag, tmp_path: Path):
    dag_file = tmp_path / f"{DAG_ID}.py"
    dag_file.write_text(DAG_FILE)
    spec = importlib.util.spec_from_file_location(DAG_ID, dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    dag_run = run_dag(module.dag)

    summary = demo.task_states(dict(os.environ), dag_file, DAG_ID)

    assert (summary.dag_id, summary.state) == (DAG_ID, str(dag_run.state)) == (DAG_ID, "success")
    assert [(row.task_id, row.state) for row in summary.tasks] == [
        ("first", "success"),
        ("broken", "failed"),
        ("after_broken", "upstream_failed"),
        ("last", "success"),
    ]
    assert all(
        row.duration is not None and row.duration >= 0
        for row in summary.tasks
        if row.state != "upstream_failed"
    )
    assert summary.duration is not None and summary.duration > 0
