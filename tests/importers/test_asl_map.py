"""Map states through ``import_asl``: the items task and the processor as a mapped task
(``.partial(...).expand_kwargs(...)``), and the items ``map_items`` lists at run time.
https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.asl import AslImportError, import_asl
from airflow_glue_flow.importers.asl.runtime import StateMachineError, map_items
from tests.importers.test_asl_corpus import CORPUS_DIR
from tests.importers.test_asl_seed import load_dag

JOB = "arn:aws:states:::glue:startJobRun.sync"


#: The DAG a source defines, checked to parse and to be ruff-format clean.
dag_of = load_dag


def inline_map(processor: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A state machine of one Map over ``$.tables`` whose processor is the Task ``Load``."""
    return {
        "StartAt": "Tables",
        "States": {
            "Tables": {
                "Type": "Map",
                "ItemsPath": "$.tables",
                "MaxConcurrency": 2,
                "ItemProcessor": {"StartAt": "Load", "States": {"Load": {**processor, "End": True}}},
                "End": True,
                **extra,
            }
        },
    }


def test_distributed_map_over_s3_becomes_a_mapped_lambda(tmp_path: Path) -> None:
    path = next(CORPUS_DIR.glob("02_*.json"))
    result = import_asl(json.loads(path.read_text()), name="storm")
    dag = dag_of(result.dag_source, tmp_path)
    items, mapped = dag.task_dict["ingest_from_s3_items"], dag.task_dict["decompress_file"]
    assert type(mapped).__name__ == "MappedOperator" and mapped.operator_class.__name__ == (
        "LambdaInvokeFunctionOperator"
    )
    assert mapped.max_active_tis_per_dagrun == 1000 and mapped.upstream_task_ids == {items.task_id}
    assert items.op_kwargs["reader"]["Resource"] == "arn:aws:states:::s3:listObjectsV2"
    assert items.op_kwargs["batcher"] == {"MaxItemsPerBatch": 5}
    # Catch States.ItemReaderFailed -> Fail: the Fail task runs when the items or an instance failed.
    assert dag.task_dict["fail_2"].trigger_rule == "one_failed"
    assert dag.task_dict["ingestion_complete"].upstream_task_ids == {"decompress_file"}


def test_map_items_lists_s3_objects_in_batches(moto_s3: Any) -> None:
    moto_s3.create_bucket(Bucket="raw")
    for key in ("in/a.csv", "in/b.csv", "in/c.csv", "other/d.csv"):
        moto_s3.put_object(Bucket="raw", Key=key, Body=b"x" * len(key))
    reader = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket.$": "$.bucket", "Prefix": "in/"},
    }
    arguments = {"payload": {"key": "Payload", "parameters": {"Payload.$": "$"}, "json": True}}
    calls = map_items(
        "Ingest", None, reader, None, None, {"MaxItemsPerBatch": 2}, arguments, params={"bucket": "raw"}
    )
    batches = [json.loads(call["payload"]) for call in calls]
    assert [[item["Key"] for item in batch["Items"]] for batch in batches] == [
        ["in/a.csv", "in/b.csv"],
        ["in/c.csv"],
    ]
    first = batches[0]["Items"][0]
    assert first["Size"] == 8 and first["Etag"].startswith('"') and first["StorageClass"] == "STANDARD"


def test_map_items_reads_the_execution_input_through_the_selector() -> None:
    selector = {"name.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index", "day.$": "$.day"}
    arguments = {
        "job_name": {"key": "JobName", "parameters": {"JobName.$": "$.name"}, "json": False},
        "script_args": {"key": "Arguments", "parameters": {"Arguments": {"--fixed": "1"}}, "json": False},
    }

    class Run:
        conf = {"tables": ["a", "b"], "day": "7"}

    calls = map_items("Tables", None, None, "$.tables", selector, None, arguments, dag_run=Run())
    assert calls == [
        {"job_name": "a", "script_args": {"--fixed": "1"}},
        {"job_name": "b", "script_args": {"--fixed": "1"}},
    ]
    with pytest.raises(StateMachineError, match=r"'Tables'.*\$\.tables"):
        map_items("Tables", None, None, "$.tables", None, None, arguments, params={"tables": "a"})


def test_an_inline_map_of_one_job_maps_the_job_over_the_items(tmp_path: Path) -> None:
    processor = {"Type": "Task", "Resource": JOB, "Parameters": {"JobName.$": "$.name", "Arguments": {}}}
    result = import_asl(inline_map(processor, ItemSelector={"name.$": "$$.Map.Item.Value"}), name="m")
    dag = dag_of(result.dag_source, tmp_path)
    mapped = dag.task_dict["load"]
    assert mapped.operator_class.__name__ == "GlueJobRunOperator" and mapped.max_active_tis_per_dagrun == 2
    items = dag.task_dict["tables_items"]
    assert items.op_kwargs["items_path"] == "$.tables"
    assert items.op_kwargs["arguments"]["job_name"]["parameters"] == {"JobName.$": "$.name"}
    # The Map is the first state: its data is the execution input, so nothing is flagged.
    assert result.report["flags"] == []


def test_a_map_it_cannot_map_stops_naming_the_state_and_construct() -> None:
    two = {
        "StartAt": "Tables",
        "States": {
            "Tables": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "A",
                    "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}},
                },
                "End": True,
            }
        },
    }
    with pytest.raises(AslImportError) as caught:
        import_asl(two)
    assert caught.value.state == "Tables" and "2 states" in caught.value.construct
    intrinsic = {"Type": "Task", "Resource": JOB, "Parameters": {"JobName.$": "States.Format('j_{}', $.n)"}}
    with pytest.raises(AslImportError) as caught:
        import_asl(inline_map(intrinsic))
    assert caught.value.state == "Load" and "States.Format" in caught.value.construct


def test_tolerated_failures_and_items_read_after_changed_data_are_flagged() -> None:
    path = next(CORPUS_DIR.glob("13_*.json"))
    result = import_asl(json.loads(path.read_text()), name="stage")
    flags = result.report["flags"]
    assert any("ToleratedFailurePercentage 100" in f for f in flags)
    # A Pass state with Parameters comes before the Map: its items are not the execution input's.
    assert any("'Records' reads its items at $.Items" in f for f in flags)


def test_a_map_after_a_state_that_replaced_the_data_flags_its_selector_reads() -> None:
    processor = {"Type": "Task", "Resource": JOB, "Parameters": {"JobName.$": "$.name"}}
    document = inline_map(processor, ItemSelector={"name.$": "$$.Map.Item.Value", "day.$": "$.day"})
    assert import_asl(document).report["flags"] == []
    document["States"] = {
        "Prepare": {"Type": "Pass", "Result": {"day": "1"}, "Next": "Tables"},
        **document["States"],
    }
    document["StartAt"] = "Prepare"
    flags = import_asl(document).report["flags"]
    # The Pass replaced the data: $.day and $.tables are no longer the execution input's ($$ is the context).
    assert any("'Tables' reads its ItemSelector's field at $.day" in f for f in flags)
    assert any("'Tables' reads its items at $.tables" in f for f in flags)
    assert not any("Map.Item" in f for f in flags)
