"""A Task whose Resource is a template placeholder (``${invoke_crawler_function}``) cannot be known: the import
names the state and the placeholder, and ``--resource NAME=ARN`` resolves it. Activities stay refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from airflow_glue_flow.importers.asl import AslImportError, import_asl
from tests.importers.test_asl_corpus import CORPUS_DIR
from tests.importers.test_asl_seed import cli

LAMBDA = "arn:aws:lambda:eu-west-1:123456789012:function:"


def corpus(number: str) -> dict[str, object]:
    return dict(json.loads(next(CORPUS_DIR.glob(f"{number}_*.json")).read_text()))


def test_a_placeholder_resource_is_named_and_resolved_by_resources() -> None:
    with pytest.raises(AslImportError) as caught:
        import_asl(corpus("05"))
    assert caught.value.state == "Generate example log"
    assert "--resource data_generation_function=ARN" in caught.value.construct
    resources = {"data_generation_function": LAMBDA + "gen", "invoke_crawler_function": LAMBDA + "crawl"}
    # Both Lambdas resolved, the state machine imports (the crawl inside the Lambda stays the Lambda's).
    resolved = import_asl(corpus("05"), resources=resources)
    rows = {r["state"]: r["became"] for r in resolved.report["states"]}
    assert rows["Run Glue crawler"] == "run_glue_crawler (LambdaInvokeFunctionOperator)"
    assert 'function_name="crawl"' in resolved.dag_source


def test_an_activity_stays_refused_once_resolved() -> None:
    arn = "arn:aws:states:eu-west-1:123456789012:activity:GlueRunnerActivity"
    with pytest.raises(AslImportError) as caught:
        import_asl(corpus("06"), resources={"WaitForSalesDataActivityArn": arn})
    assert caught.value.state == "Wait For Sales Data" and caught.value.construct == f"the activity {arn}"


def test_the_cli_takes_resource_options(tmp_path: Path) -> None:
    definition = next(CORPUS_DIR.glob("05_*.json"))
    out = tmp_path / "dag.py"
    done = cli(str(definition), "-o", str(out), "--resource", "data_generation_function=" + LAMBDA + "gen")
    assert done.returncode == 1 and "'Run Glue crawler'" in done.stderr
    assert "--resource invoke_crawler_function=ARN" in done.stderr
    done = cli(str(definition), "-o", str(out), "--resource", "data_generation_function")
    assert done.returncode == 1 and "is not NAME=ARN" in done.stderr
