"""Every state machine of the migration corpus runs on the local Glue with stand-in Lambdas, jobs and
crawlers, or is refused at CreateStateMachine naming what it uses that the local Glue does not run.

The README's "Step Functions and Lambda" table lists the same outcomes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from local_glue_support import SEED_CSV_PATH, require_spark

from glue_flow_local.testing import LocalGlue, create_python_job, create_spark_job
from test_stepfunctions.corpus import CORPUS, REGION, corpus
from test_stepfunctions.support import create_function, role, wait_for_execution

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CORPUS.is_dir(), reason="the migration corpus is not beside the checkout"),
]

#: File prefix -> what the refusal names.
REFUSED = {
    "01_": "states:startExecution",
    "02_": "ItemReader",
    "03_": "JSONata",
    "04_": "athena:startQueryExecution.sync",
    "05_": "athena:startQueryExecution.sync",
    "06_": "activity",
    "08_": "JSONata",
    "09_": "sns:publish",
    "10_": "glue:startCrawler",
    "13_": "ItemBatcher",
    "14_": "StartDataQualityRuleRecommendationRun",
    "16_": "sns:publish",
    "18_": ".waitForTaskToken",
    "19_": "states:startExecution.sync:2",
    "20_": "states:startExecution.sync:2",
}
SCALE = 0.02  # Wait states of 60 s last 1.2 s


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalGlue]:
    with LocalGlue(state_dir=tmp_path_factory.mktemp("sfn-corpus"), sfn_time_scale=SCALE) as glue:
        yield glue


@pytest.fixture(scope="module")
def c(server: LocalGlue) -> dict[str, Any]:
    names = ("glue", "s3", "iam", "lambda", "stepfunctions")
    clients = {name: server.client(name, REGION) for name in names}
    clients["s3"].create_bucket(Bucket="corpus")
    clients["s3"].put_object(Bucket="corpus", Key="in/csvlog.csv", Body=SEED_CSV_PATH.read_bytes())
    clients["glue"].create_database(DatabaseInput={"Name": "corpus"})
    return clients


def _crawler(c: dict[str, Any], name: str) -> None:
    c["glue"].create_crawler(
        Name=name,
        Role="arn:aws:iam::123456789012:role/glue",
        DatabaseName="corpus",
        TablePrefix=f"{name}_",
        Targets={"S3Targets": [{"Path": "s3://corpus/in/"}]},
    )


def _lambda(c: dict[str, Any], name: str, returns: str) -> None:
    create_function(
        c["lambda"], c["iam"], name, f"def lambda_handler(event, context):\n    return {returns}\n"
    )


def _07(c: dict[str, Any]) -> dict[str, Any]:
    _lambda(c, "ModuleLambdaARN", "{}")
    _crawler(c, "Crawler")
    return {}


def _11(c: dict[str, Any]) -> dict[str, Any]:
    create_python_job(c["glue"], c["s3"], "corpus", "etlandpipeline", b"print('etl')\n")
    _lambda(c, "lambdaModelTrain", "{'status': 'InProgress'}")
    _lambda(
        c, "lambdaModelAwait", "{'status': 'InService' if event.get('phase') == 'deploy' else 'Completed'}"
    )
    _lambda(c, "lambdaModelDeploy", "{'phase': 'deploy', 'status': 'Creating'}")
    _lambda(c, "lambdaModelPredict", "{'predicted': True}")
    return {}


def _12(c: dict[str, Any]) -> dict[str, Any]:
    require_spark()
    create_spark_job(
        c["glue"], c["s3"], "corpus", "stage_b", b"from pyspark.context import SparkContext\nSparkContext()\n"
    )
    _crawler(c, "stage_b_crawler")
    glue = {
        "job_name": "stage_b",
        "WorkerType": "G.1X",
        "NumberOfWorkers": 2,
        "arguments": {"--team": "t"},
        "crawler_name": "stage_b_crawler",
        "wait_time": 5,
    }
    _lambda(c, "lStep1", f"{{'body': {{'glue': {glue!r}}}}}")
    _lambda(c, "lStep3", "'done'")
    _lambda(c, "lError", "'error'")
    return {}


def _15(c: dict[str, Any]) -> dict[str, Any]:
    script = b"import sys\nassert sys.argv[sys.argv.index('--message') + 1] == 'var_glue_message'\n"
    create_python_job(c["glue"], c["s3"], "corpus", "var_glue_job_name", script)
    return {}


def _17(c: dict[str, Any]) -> dict[str, Any]:
    _crawler(c, "busy_crawler")
    c["glue"].start_crawler(Name="busy_crawler")  # the execution meets Glue.CrawlerRunningException first
    return {"crawler_name": "busy_crawler"}


RUNS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "07_": _07,
    "11_": _11,
    "12_": _12,
    "15_": _15,
    "17_": _17,
}


def test_every_file_is_listed() -> None:
    assert sorted(name[:3] for name in corpus()) == sorted([*REFUSED, *RUNS])


@pytest.mark.parametrize("prefix", sorted(REFUSED))
def test_refused_at_create_state_machine(c: dict[str, Any], prefix: str) -> None:
    name, definition = next((n, d) for n, d in corpus().items() if n.startswith(prefix))
    sfn = c["stepfunctions"]
    with pytest.raises(sfn.exceptions.InvalidDefinition) as refused:
        sfn.create_state_machine(name=f"m{prefix}", definition=definition, roleArn=role(c["iam"], "sfn"))
    assert REFUSED[prefix] in str(refused.value), name


@pytest.mark.parametrize("prefix", sorted(RUNS))
def test_runs_to_succeeded_with_stand_ins(c: dict[str, Any], prefix: str) -> None:
    name, definition = next((n, d) for n, d in corpus().items() if n.startswith(prefix))
    execution_input = RUNS[prefix](c)
    sfn = c["stepfunctions"]
    arn = sfn.create_state_machine(name=f"m{prefix}", definition=definition, roleArn=role(c["iam"], "sfn"))[
        "stateMachineArn"
    ]
    started = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))
    ended = wait_for_execution(sfn, started["executionArn"])
    assert ended["status"] == "SUCCEEDED", (name, ended)
