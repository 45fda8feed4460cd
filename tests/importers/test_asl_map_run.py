"""A Map state run twice against the same local Glue: by its Step Functions and as the DAG ``import_asl``
writes (``dag.test()``). Each item invokes a Lambda that writes one S3 object; both runs write the same
objects with the same content.
https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.asl import import_asl
from tests.importers.test_asl_map import inline_map
from tests.support.airflow_internals import parse_dags
from tests.support.fakes import set_aws_connection

pytestmark = pytest.mark.slow

WRITER = """
import json, boto3
def lambda_handler(event, context):
    key = f"{event['prefix']}/{event['index']}-{event['name']}.json"
    boto3.client("s3").put_object(Bucket=event["bucket"], Key=key, Body=json.dumps(event, sort_keys=True))
    return {"written": key}
"""


def machine(function: str) -> dict[str, Any]:
    processor = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": function, "Payload.$": "$"},
    }
    selector = {
        "name.$": "$$.Map.Item.Value",
        "index.$": "$$.Map.Item.Index",
        "bucket.$": "$.bucket",
        "prefix.$": "$.prefix",
    }
    return inline_map(processor, ItemSelector=selector)


def written(s3: Any, bucket: str, prefix: str) -> dict[str, dict[str, Any]]:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix + "/").get("Contents", [])
    return {
        o["Key"][len(prefix) + 1 :]: {
            k: v
            for k, v in json.loads(s3.get_object(Bucket=bucket, Key=o["Key"])["Body"].read()).items()
            if k != "prefix"
        }
        for o in listed
    }


def test_a_map_writes_what_the_state_machine_writes(
    local_glue: Any, unique: Any, run_dag: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "local-glue" / "tests"))
    from test_stepfunctions.support import create_function, role, wait_for_execution

    lam, iam, sfn, s3 = (local_glue.client(s) for s in ("lambda", "iam", "stepfunctions", "s3"))
    function, bucket = unique("writer"), unique("map-out").replace("_", "-")
    create_function(lam, iam, function, WRITER)
    s3.create_bucket(Bucket=bucket)
    definition = machine(function)
    tables = ["orders", "customers", "items"]
    arn = sfn.create_state_machine(
        name=unique("map"), definition=json.dumps(definition), roleArn=role(iam, "map-role")
    )["stateMachineArn"]
    run = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"tables": tables, "bucket": bucket, "prefix": "sfn"})
    )
    assert wait_for_execution(sfn, run["executionArn"])["status"] == "SUCCEEDED"

    set_aws_connection(
        monkeypatch,
        "aws_default",
        login="testing",
        region_name=local_glue.region,
        endpoint_url=local_glue.endpoint_url,
    )
    dag_file = tmp_path / "imported.py"
    dag_file.write_text(import_asl(definition, name="map_equivalence").dag_source)
    (dag,) = parse_dags(dag_file).dags.values()
    finished = run_dag(dag, conf={"tables": tables, "bucket": bucket, "prefix": "dag"})
    assert finished.state == "success"

    expected = written(s3, bucket, "sfn")
    assert sorted(expected) == ["0-orders.json", "1-customers.json", "2-items.json"]
    assert written(s3, bucket, "dag") == expected
