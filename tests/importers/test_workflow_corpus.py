"""Every Glue workflow of the migration corpus imports, and its DAG file is what the issue asks for:
it parses (``ast`` and Airflow's DAG parser), is ruff-format clean, and is byte-identical run to run."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_glue_flow.importers import import_workflow
from tests.support.airflow_internals import parse_dags

DATA = Path(__file__).parent / "data"
CORPUS = sorted(DATA.glob("*.json"))
RUFF = Path(sys.executable).parent / "ruff"


def cli(*args: str, seed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    return subprocess.run(
        [sys.executable, "-m", "airflow_glue_flow.cli.commands", "import", "workflow", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_the_corpus_is_here() -> None:
    assert len(CORPUS) == 10


@pytest.mark.parametrize("graph", CORPUS, ids=lambda p: p.name[:2])
def test_corpus_workflow_imports_to_a_dag_that_parses(graph: Path, tmp_path: Path) -> None:
    result = import_workflow(json.loads(graph.read_text()))
    ast.parse(result.dag_source)
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(result.dag_source)
    bag = parse_dags(dag_file)
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    wired = [row for row in result.report["nodes"] if isinstance(row["became"], list)]
    assert len(dag.tasks) >= sum(len(row["became"]) for row in wired)
    # Every wired job or crawler is there under the task ids the report names.
    assert {t for row in wired for t in row["became"]} <= set(dag.task_ids)
    checked = subprocess.run([str(RUFF), "format", "--check", "--isolated", str(dag_file)], check=False)
    assert checked.returncode == 0


def test_the_cli_writes_the_same_bytes_whatever_the_hash_seed(tmp_path: Path) -> None:
    graph = DATA / "01_provision-codepipeline-glue-workflows_covid19_cfn.json"
    outputs = []
    for seed in ("1", "2"):
        out, report = tmp_path / f"dag{seed}.py", tmp_path / f"report{seed}.json"
        done = cli(str(graph), "-o", str(out), "--report", str(report), "--dag-id", "covid", seed=seed)
        assert done.returncode == 0, done.stderr
        assert "t_Month (CONDITIONAL, ACTIVATED): GlueConditionalTriggerSensor 'when_t_month'" in done.stdout
        outputs.append((out.read_bytes(), report.read_bytes()))
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0][1])["schedule"] == "0 8 * * *"
    assert b'dag_id="covid"' in outputs[0][0]


def test_the_cli_refuses_naming_the_trigger(tmp_path: Path) -> None:
    document = json.loads((DATA / "06_local-aws-glue-workflows_simple_etl_tf.json").read_text())
    start = document["Workflow"]["Graph"]["Nodes"][0]["TriggerDetails"]["Trigger"]
    start.update(Type="SCHEDULED", State="ACTIVATED", Schedule="cron(0 1 ? * 2#1 *)")
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(document))
    done = cli(str(graph), "-o", str(tmp_path / "dag.py"))
    assert done.returncode == 1
    assert "trigger 'start-extract'" in done.stderr and "# (nth weekday of the month)" in done.stderr
    assert not (tmp_path / "dag.py").exists()
