"""ASL constructs through ``import_asl``: Retry, Catch, Choice, Parallel, Fail, identifier safety and
``allow_partial``; and the Choice rules the generated DAG evaluates at run time.
https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.asl import AslImportError, import_asl
from airflow_glue_flow.importers.asl.runtime import (
    StateMachineError,
    athena_query_results,
    choose,
    rule_matches,
)
from tests.importers.test_asl_corpus import CORPUS_DIR
from tests.support.airflow_internals import parse_dags
from tests.support.amazon_provider import ATHENA_NEEDS_DATABASE

JOB = "arn:aws:states:::glue:startJobRun.sync"


def dag_of(document: dict[str, Any], tmp_path: Path, **kwargs: Any) -> Any:
    result = import_asl(document, **kwargs)
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(result.dag_source)
    bag = parse_dags(dag_file)
    assert bag.import_errors == {}
    (dag,) = bag.dags.values()
    return dag


def machine() -> dict[str, Any]:
    return {
        "StartAt": "1st job (raw)",
        "States": {
            "1st job (raw)": {
                "Type": "Task",
                "Resource": JOB,
                "Parameters": {"JobName": "${glue_job_name}", "Arguments": {"--day": "1"}},
                "Retry": [
                    {"ErrorEquals": ["Glue.ThrottlingException"], "MaxAttempts": 5, "IntervalSeconds": 3},
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "BackoffRate": 1.5},
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "class"}],
                "Next": "Is it big?",
            },
            "Is it big?": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.size", "NumericGreaterThan": 10},
                            {"Not": {"Variable": "$.mode", "StringEquals": "dry"}},
                        ],
                        "Next": "Both",
                    }
                ],
                "Default": "Done",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "A",
                        "States": {
                            "A": {
                                "Type": "Task",
                                "Resource": JOB,
                                "Parameters": {"JobName": "a"},
                                "End": True,
                            }
                        },
                    },
                    {"StartAt": "B", "States": {"B": {"Type": "Wait", "Seconds": 5, "End": True}}},
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
            "class": {"Type": "Fail", "Error": "JobFailed", "Cause": "the raw job failed"},
        },
    }


def test_retry_catch_choice_and_parallel_become_task_settings_and_edges(tmp_path: Path) -> None:
    dag = dag_of(machine(), tmp_path, name="m")
    job = dag.task_dict["t_1st_job_raw"]
    # The retrier with the most attempts sets the one budget Airflow has.
    assert job.retries == 5 and job.retry_delay.total_seconds() == 3
    assert job.job_name == "{{ params.glue_job_name }}" and "glue_job_name" in dag.params
    assert job.script_args == {"--day": "1"}
    # A Catch target runs when the task failed; "class" (a keyword) is a safe identifier.
    caught = dag.task_dict["t_class"]
    assert caught.trigger_rule == "one_failed" and caught.upstream_task_ids == {"t_1st_job_raw"}
    branch = dag.task_dict["is_it_big"]
    assert type(branch).__name__ == "BranchPythonOperator"
    assert branch.op_kwargs["default"] == "done" and branch.op_kwargs["choices"][0]["Next"] == "both"
    assert {"both.a", "both.b", "done"} <= set(dag.task_ids)
    # Done is reached from the Choice and from the group: it runs when one ran and none failed.
    assert dag.task_dict["done"].trigger_rule == "none_failed_min_one_success"


def test_a_choice_evaluates_the_asl_rules_on_the_execution_input() -> None:
    rules = machine()["States"]["Is it big?"]["Choices"]
    rules = [{**rules[0], "Next": "both"}]

    class Run:
        conf = {"size": 11}

    assert choose("Is it big?", rules, "done", dag_run=Run(), params={"mode": "live"}) == "both"
    assert choose("Is it big?", rules, "done", dag_run=Run(), params={"mode": "dry"}) == "done"
    with pytest.raises(StateMachineError, match="NoChoiceMatched"):
        choose("Is it big?", rules, None, dag_run=Run(), params={"mode": "dry"})
    assert rule_matches({"Variable": "$.a", "StringMatches": "log-*.txt"}, {"a": "log-1.txt"})
    assert not rule_matches({"Variable": "$.a", "NumericEquals": 1}, {"a": "1"})
    assert rule_matches(
        {"Variable": "$.a[1]", "TimestampLessThanPath": "$.b"},
        {"a": [0, "2024-01-01T00:00:00Z"], "b": "2025-01-01T00:00:00Z"},
    )
    assert rule_matches({"Variable": "$.missing", "IsPresent": False}, {})


def test_untranslatable_stops_or_fails_the_task_with_allow_partial(tmp_path: Path) -> None:
    document = {
        "StartAt": "Notify",
        "States": {
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {"FunctionName": "f"},
                "Next": "Job",
            },
            "Job": {"Type": "Task", "Resource": JOB, "Parameters": {"JobName": "j"}, "End": True},
        },
    }
    with pytest.raises(AslImportError) as caught:
        import_asl(document)
    assert caught.value.state == "Notify" and "waitForTaskToken" in caught.value.construct
    dag = dag_of(document, tmp_path, allow_partial=True)
    notify = dag.task_dict["notify"]
    with pytest.raises(StateMachineError, match="'Notify' was not translated"):
        notify.python_callable(**notify.op_kwargs)
    assert dag.task_dict["job"].upstream_task_ids == {"notify"}


def test_a_fail_state_fails_with_its_error_and_cause(tmp_path: Path) -> None:
    dag = dag_of(machine(), tmp_path)
    fail = dag.task_dict["t_class"]
    with pytest.raises(StateMachineError, match="JobFailed: the raw job failed"):
        fail.python_callable(**fail.op_kwargs)


def test_a_nested_sync_execution_waits_deferred_and_declares_its_limit(tmp_path: Path) -> None:
    document = {
        "StartAt": "Child",
        "States": {
            "Child": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": "${child_arn}", "Input": {"day": "1"}},
                "End": True,
            }
        },
    }
    result = import_asl(document, name="parent")
    child = dag_of(document, tmp_path).task_dict["child"]
    # .sync: the task waits for the child execution (deferred) and fails unless it SUCCEEDED.
    # https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html
    assert type(child).__name__ == "StepFunctionStartExecutionOperator" and child.deferrable
    # The amazon provider keeps the input as ``input`` before 9.3x, as ``state_machine_input`` after.
    given = getattr(child, "state_machine_input", getattr(child, "input", None))
    assert given == {"day": "1"} and child.waiter_delay == 60
    assert child.waiter_max_attempts == 1440
    assert result.report["flags"] == [
        "state 'Child': the .sync wait ends after a day (1440 checks a minute apart)"
    ]


@pytest.mark.skipif(ATHENA_NEEDS_DATABASE, reason="this amazon provider's AthenaOperator requires a database")
def test_athena_query_results_read_the_query_of_the_athena_task_before(tmp_path: Path) -> None:
    document = json.loads(next(CORPUS_DIR.glob("04_*.json")).read_text())
    result = import_asl(document, name="athena")
    results = dag_of(document, tmp_path).task_dict["get_query_results"]
    assert results.python_callable is athena_query_results
    assert results.op_kwargs["query_execution_id"] == "{{ ti.xcom_pull(task_ids='start_an_athena_query') }}"
    # The SNS message is a path into the results: the fixed message the DAG sends is declared.
    assert any("'Send query results': publishes" in flag for flag in result.report["flags"])
    with pytest.raises(StateMachineError, match="'Get query results': no Athena task"):
        athena_query_results("Get query results", "")


def test_athena_query_results_returns_the_result_set(moto_s3: Any) -> None:
    import boto3

    athena = boto3.client("athena", region_name="us-east-1")
    started = athena.start_query_execution(
        QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://results/"}
    )
    answer = athena_query_results("Get query results", started["QueryExecutionId"])
    assert "Rows" in answer["ResultSet"]


def test_an_athena_task_without_a_database_names_the_amazon_release_it_needs(tmp_path: Path) -> None:
    # Corpus 04's query gives no QueryExecutionContext.Database; AthenaOperator requires one before
    # amazon 9.33.0, so the DAG then fails to import naming the argument, and the report says which release.
    document = json.loads(next(CORPUS_DIR.glob("04_*.json")).read_text())
    result = import_asl(document, name="athena")
    assert any(
        "needs apache-airflow-providers-amazon 9.33.0 or later" in flag for flag in result.report["flags"]
    )
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(result.dag_source)
    errors = parse_dags(dag_file).import_errors
    if ATHENA_NEEDS_DATABASE:
        assert "database" in next(iter(errors.values()))
    else:
        assert errors == {}
