"""Loops that are not Glue poll loops: a ``startCrawler`` whose Catch of ``Glue.CrawlerRunningException``
waits and starts again (corpus 17) becomes a sensor that starts the crawl once the crawler is idle.
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
https://docs.aws.amazon.com/glue/latest/webapi/API_StartCrawler.html
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.exceptions import GlueCrawlerNotFoundError
from airflow_glue_flow.importers.asl import AslImportError, import_asl
from airflow_glue_flow.importers.asl.runtime import crawler_is_ready, start_crawler_when_idle
from tests.importers.test_asl_corpus import CORPUS_DIR
from tests.importers.test_asl_map import dag_of

START = "arn:aws:states:::aws-sdk:glue:startCrawler"


def start_retry(errors: list[str]) -> dict[str, Any]:
    return {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": START,
                "Parameters": {"Name.$": "$.crawler_name"},
                "Catch": [
                    {"ErrorEquals": errors, "Next": "Pause"},
                    {"ErrorEquals": ["States.ALL"], "Next": "Boom"},
                ],
                "Next": "Done",
            },
            "Pause": {"Type": "Wait", "Seconds": 10, "Next": "Start"},
            "Done": {"Type": "Succeed"},
            "Boom": {"Type": "Fail", "Error": "CrawlFailed"},
        },
    }


def test_a_start_retried_while_the_crawler_runs_becomes_a_sensor(tmp_path: Path) -> None:
    result = import_asl(start_retry(["Glue.CrawlerRunningException"]), name="m")
    dag = dag_of(result.dag_source, tmp_path)
    sensor = dag.task_dict["start"]
    assert type(sensor).__name__ == "PythonSensor" and sensor.python_callable is start_crawler_when_idle
    assert sensor.poke_interval == 10 and sensor.op_kwargs == {"crawler_name": "{{ params.crawler_name }}"}
    assert dag.task_dict["done"].upstream_task_ids == {"start"}
    assert dag.task_dict["boom"].trigger_rule == "one_failed"
    # The original retries for ever; the sensor's day is a declared difference.
    assert any("with no limit" in flag for flag in result.report["flags"])
    rows = {r["state"]: r["became"] for r in result.report["states"]}
    assert rows["Pause"].startswith("start (PythonSensor")


def test_a_wait_loop_on_any_other_error_is_still_named() -> None:
    with pytest.raises(AslImportError) as caught:
        import_asl(start_retry(["Glue.ThrottlingException"]))
    assert caught.value.state == "Start" and "loop" in caught.value.construct


def moto_crawler(name: str) -> Any:
    """A Glue client of moto's AWS (the ``moto_s3`` fixture's) and a crawler ``name`` there."""
    import boto3

    glue = boto3.client("glue", region_name="us-east-1")
    glue.create_crawler(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        Targets={"S3Targets": [{"Path": f"s3://b/{name}/"}]},
    )
    return glue


def test_start_crawler_when_idle_pokes_again_while_it_runs(moto_s3: Any) -> None:
    glue = moto_crawler("raw")
    assert start_crawler_when_idle("raw") is True
    # moto keeps the crawl RUNNING: the next start meets CrawlerRunningException, the sensor pokes again.
    assert glue.get_crawler(Name="raw")["Crawler"]["State"] == "RUNNING"
    assert start_crawler_when_idle("raw") is False
    with pytest.raises(GlueCrawlerNotFoundError):
        start_crawler_when_idle("missing")


COUNTER = """
def lambda_handler(event, context):
    n = event.get("n", 0) + 1
    return {"n": n, "status": "Completed" if n >= 3 else "InProgress" if n > 0 else "Weird"}
"""
RULES = [
    {"Variable": "$.status", "StringEquals": "Completed", "Next": "exit"},
    {"Or": [{"Variable": "$.status", "StringEquals": "InProgress"}], "Next": "poll"},
]


def counter_sensor(conn_id: str, function: str, payload: str) -> Any:
    from airflow_glue_flow.importers.asl.sensors import LambdaPollSensor

    return LambdaPollSensor(
        task_id="check",
        state="Check",
        function_name=function,
        payload=payload,
        choices=RULES,
        default=None,
        aws_conn_id=conn_id,
    )


def test_corpus_11_lambda_status_loops_become_lambda_poll_sensors(tmp_path: Path) -> None:
    document = json.loads(next(CORPUS_DIR.glob("11_*.json")).read_text())
    result = import_asl(document, name="sagemaker")
    dag = dag_of(result.dag_source, tmp_path)
    training, deployment = dag.task_dict["checkstatustraining"], dag.task_dict["checkstatusdeployment"]
    assert type(training).__name__ == "LambdaPollSensor" and training.poke_interval == 60
    assert [rule["Next"] for rule in training.choices] == ["exit", "poll"] and training.default is None
    assert deployment.upstream_task_ids == {"startdeployment"}
    # The loop's input is the output of the Lambda before it (no ResultPath there), through XCom.
    assert deployment.payload == "{{ ti.xcom_pull(task_ids='startdeployment') }}"
    # StartTrainingJob has a ResultPath: the first loop's input is not the original's, and the header says so.
    assert any(
        "'CheckStatusTraining': the Lambda poll loop's first input" in f for f in result.report["flags"]
    )


@pytest.mark.slow
def test_the_lambda_poll_sensor_passes_each_output_to_the_next_poke(
    local_glue: Any, aws_conn_id: str, unique: Any
) -> None:
    from airflow.sdk import PokeReturnValue

    from airflow_glue_flow.importers.asl.runtime import StateMachineError

    lam, iam = local_glue.client("lambda"), local_glue.client("iam")
    function = unique("status")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "local-glue" / "tests"))
    from test_stepfunctions.support import create_function

    create_function(lam, iam, function, COUNTER)
    sensor = counter_sensor(aws_conn_id, function, '{"n": 0}')
    # As the loop passes the Lambda's output round: n = 1, 2 (InProgress: poll again), 3 (Completed).
    assert sensor.poke({}) is False and sensor.poke({}) is False
    done = sensor.poke({})
    assert isinstance(done, PokeReturnValue) and done.is_done and json.loads(done.xcom_value)["n"] == 3
    # No rule holds and the Choice has no Default: States.NoChoiceMatched, as in ASL.
    with pytest.raises(StateMachineError, match="NoChoiceMatched"):
        counter_sensor(aws_conn_id, function, '{"n": -5}').poke({})


def test_corpus_07_waits_for_the_crawler_to_be_ready_before_starting_it(tmp_path: Path) -> None:
    document = json.loads(next(CORPUS_DIR.glob("07_*.json")).read_text())
    result = import_asl(document, name="standalone")
    dag = dag_of(result.dag_source, tmp_path)
    idle = dag.task_dict["getcrawler1"]
    assert idle.python_callable is crawler_is_ready and idle.poke_interval == 60
    assert idle.op_kwargs == {"crawler_name": "{{ params.crawler }}"}
    assert dag.task_dict["startcrawler"].upstream_task_ids == {"getcrawler1"}
    assert dag.task_dict["wait_for_crawler_execution"].upstream_task_ids == {"startcrawler"}
    assert any("until the crawler is READY" in flag for flag in result.report["flags"])


def test_crawler_is_ready_reads_the_crawler_state(moto_s3: Any) -> None:
    glue = moto_crawler("raw")
    assert crawler_is_ready("raw") is True
    glue.start_crawler(Name="raw")
    assert crawler_is_ready("raw") is False
