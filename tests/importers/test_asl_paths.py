"""JsonPath fields (``Name.$``, ``SecondsPath``, ``ItemsPath``, Choice ``Variable``) read from the execution
input, and the flags where earlier states had changed the data they read.
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.asl import AslImportError, import_asl
from airflow_glue_flow.importers.asl.dataflow import Written, written
from tests.importers.test_asl_corpus import CORPUS_DIR
from tests.importers.test_asl_map import dag_of

START = "arn:aws:states:::aws-sdk:glue:startCrawler"
GET = "arn:aws:states:::aws-sdk:glue:getCrawler"


def crawl(first: dict[str, Any], get_name: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Note",
        "States": {
            "Note": {**first, "Next": "Start"},
            "Start": {
                "Type": "Task",
                "Resource": START,
                "Parameters": {"Name.$": "$.crawl.name"},
                "ResultPath": None,
                "Next": "Wait",
            },
            "Wait": {"Type": "Wait", "SecondsPath": "$.crawl.wait", "Next": "Get"},
            "Get": {
                "Type": "Task",
                "Resource": GET,
                "Parameters": get_name,
                "ResultPath": "$.got",
                "Next": "Ready?",
            },
            "Ready?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.got.Crawler.State", "StringEquals": "READY", "Next": "Done"}],
                "Default": "Wait",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def test_a_crawler_named_by_a_path_is_a_template_of_the_execution_input(tmp_path: Path) -> None:
    # 'Note' writes only $.note: $.crawl.* still hold the execution input's values, nothing is flagged.
    note = {"Type": "Pass", "Result": "x", "ResultPath": "$.note"}
    result = import_asl(crawl(note, {"Name.$": "$.crawl.name"}), name="m")
    dag = dag_of(result.dag_source, tmp_path)
    assert dag.task_dict["start"].crawler_name == "{{ params.crawl['name'] }}"
    wait = dag.task_dict["wait"]
    assert (
        wait.crawler_name == "{{ params.crawl['name'] }}" and wait.wait_time == "{{ params.crawl['wait'] }}"
    )
    assert dag.params.get_param("crawl").schema["type"] == "object" and dag.render_template_as_native_obj
    assert not [f for f in result.report["flags"] if "reads a field" in f]
    # A Pass replacing the data (Result, no ResultPath): the reads are approximations, flagged.
    replaced = import_asl(crawl({"Type": "Pass", "Result": {"a": 1}}, {"Name.$": "$.crawl.name"}))
    assert any("'Start' reads a field at $.crawl.name" in f for f in replaced.report["flags"])
    assert any("'Wait' reads a field at $.crawl.wait" in f for f in replaced.report["flags"])


def test_a_loop_whose_crawler_is_not_named_never_says_none() -> None:
    with pytest.raises(AslImportError) as caught:
        import_asl(crawl({"Type": "Pass"}, {"Name": "other"}))
    assert caught.value.state == "Wait" and "starts crawler 'other'" in caught.value.construct
    document = crawl({"Type": "Pass"}, {})
    document["States"]["Start"]["Parameters"] = {}
    with pytest.raises(AslImportError) as caught:
        import_asl(document)
    assert "None" not in str(caught.value) and "whose name it does not give" in str(caught.value)


def test_corpus_12_names_its_crawler_from_the_input_and_flags_the_lambda_output(tmp_path: Path) -> None:
    path = next(CORPUS_DIR.glob("12_*.json"))
    result = import_asl(json.loads(path.read_text()), name="stageb")
    dag = dag_of(result.dag_source, tmp_path)
    assert dag.task_dict["t_try.wait_x_seconds"].crawler_name == "{{ params.body['glue']['crawler_name'] }}"
    assert "None" not in result.report_text()
    # 'Pre-update Catalog' (OutputPath $.Payload) replaced the data the crawl and the job read.
    assert any(
        "'Run Glue Crawler' reads a field at $.body.glue.crawler_name" in f for f in result.report["flags"]
    )


def test_what_each_state_does_to_the_data() -> None:
    states = {
        "A": {"Type": "Task", "ResultPath": "$.a", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"keep.$": "$.keep", "a.$": "$.a", "n": 1}, "Next": "C"},
        "C": {
            "Type": "Task",
            "ResultPath": None,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "D"}],
            "Next": "E",
        },
        "D": {"Type": "Fail"},
        "E": {"Type": "Succeed"},
    }
    found = written(states, "A", Written())
    assert found["B"].reads_input("$.keep") and not found["B"].reads_input("$.a.x")
    # B replaced the data with copies: $.keep still holds the input's value, $.a was written by A.
    assert found["C"].reads_input("$.keep") and not found["C"].reads_input("$.a")
    assert not found["C"].reads_input("$.other")
    # A Catch without ResultPath replaces the data with the error output.
    assert not found["D"].reads_input("$.keep") and found["E"].reads_input("$.keep")
