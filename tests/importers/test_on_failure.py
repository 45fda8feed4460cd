"""``--on-failure``: a run in which a job run or crawl failed. A Glue workflow run is COMPLETED then
(https://docs.aws.amazon.com/glue/latest/webapi/API_WorkflowRun.html: Status has no FAILED; only
Statistics.FailedActions shows it); the DAG fails it (strict, the default) or succeeds (completed), and its
header says which."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from airflow_glue_flow.importers import import_workflow
from airflow_glue_flow.importers.check.compare import declared_on_failure
from tests.support.airflow_internals import parse_dags

SIMPLE_ETL = Path(__file__).parent / "data" / "06_local-aws-glue-workflows_simple_etl_tf.json"


def leaves(source: str, tmp_path: Path) -> list[str]:
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(source)
    bag = parse_dags(dag_file)
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    return sorted(t.task_id for t in dag.tasks if not t.downstream_list)


def test_strict_is_the_default_and_the_failure_guard_stays_a_leaf(tmp_path: Path) -> None:
    result = import_workflow(json.loads(SIMPLE_ETL.read_text()))
    doc = ast.get_docstring(ast.parse(result.dag_source)) or ""
    assert "On failure: strict: a run in which a job run or crawl fails fails" in doc
    assert declared_on_failure(result.dag_source) == "strict"
    assert result.report["on_failure"] == "strict"
    assert leaves(result.dag_source, tmp_path) == ["glue_flow_failure_guard", "load_job"]


def test_completed_ends_the_dag_with_one_all_done_leaf(tmp_path: Path) -> None:
    result = import_workflow(json.loads(SIMPLE_ETL.read_text()), on_failure="completed")
    assert declared_on_failure(result.dag_source) == "completed"
    # The run's state is its leaves' (Airflow's DagRun.update_state): one task that runs once all ended.
    assert leaves(result.dag_source, tmp_path) == ["glue_workflow_completed"]
    assert 'trigger_rule="all_done",' in result.dag_source


def test_a_job_named_like_the_completed_task_gets_another_name() -> None:
    document = {
        "Workflow": {
            "Name": "wf",
            "Graph": {
                "Nodes": [
                    {
                        "Type": "TRIGGER",
                        "Name": "go",
                        "TriggerDetails": {
                            "Trigger": {
                                "Name": "go",
                                "Type": "ON_DEMAND",
                                "Actions": [{"JobName": "glue_workflow_completed"}],
                            }
                        },
                    }
                ]
            },
        }
    }
    source = import_workflow(document, on_failure="completed").dag_source
    assert 'task_id="glue_workflow_completed_2",' in source
    assert source.count('task_id="glue_workflow_completed",') == 1


def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="on_failure 'lenient' is not one of strict, completed"):
        import_workflow(json.loads(SIMPLE_ETL.read_text()), on_failure="lenient")
