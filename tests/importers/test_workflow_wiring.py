"""How Glue triggers become tasks (https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers import ImportError_, import_workflow
from airflow_glue_flow.importers.glue_workflow import plan_workflow


def trigger(name: str, kind: str, actions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    body = {"Name": name, "Type": kind, "State": extra.pop("State", "ACTIVATED"), "Actions": actions, **extra}
    return {"Type": "TRIGGER", "Name": name, "TriggerDetails": {"Trigger": body}}


def job(name: str, state: str = "SUCCEEDED") -> dict[str, str]:
    return {"JobName": name, "State": state, "LogicalOperator": "EQUALS"}


def workflow(*triggers: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"Workflow": {"Name": "wf", "Graph": {"Nodes": list(triggers), "Edges": []}, **extra}}


def tasks(document: dict[str, Any]) -> dict[str, Any]:
    return {t.var: t for t in plan_workflow(document).tasks}


def test_conditional_any_with_watched_states_and_crawler_start_wait() -> None:
    plan = tasks(
        workflow(
            trigger("start", "ON_DEMAND", [{"CrawlerName": "raw crawler"}], State="CREATED"),
            trigger(
                "after crawl",
                "CONDITIONAL",
                [{"JobName": "load"}],
                Predicate={
                    "Logical": "ANY",
                    "Conditions": [
                        {"CrawlerName": "raw crawler", "CrawlState": "FAILED"},
                        {"CrawlerName": "raw crawler", "CrawlState": "CANCELLED"},
                    ],
                },
            ),
        )
    )
    assert plan["start_raw_crawler"].upstream == []
    assert plan["crawl_raw_crawler"].upstream == ["start_raw_crawler"]
    sensor = plan["when_after_crawl"]
    assert sensor.args == {
        "logical": "ANY",
        "conditions": [
            {"task_id": "crawl_raw_crawler", "state": "FAILED"},
            {"task_id": "crawl_raw_crawler", "state": "CANCELLED"},
        ],
    }
    assert plan["load"].upstream == ["when_after_crawl"]


def test_or_across_triggers_keeps_one_task_that_runs_when_any_fires() -> None:
    result = import_workflow(
        workflow(
            trigger("start", "ON_DEMAND", [{"JobName": "a"}, {"JobName": "b"}]),
            trigger("after a", "CONDITIONAL", [{"JobName": "c"}], Predicate={"Conditions": [job("a")]}),
            trigger("after b", "CONDITIONAL", [{"JobName": "c"}], Predicate={"Conditions": [job("b")]}),
        )
    )
    source = result.dag_source
    assert "when_after_a >> c\n" in source and "when_after_b >> c\n" in source
    # Not AND-merged: c runs when one trigger fires.
    c_block = source[source.index("    c = GlueJobRunOperator(") :]
    assert 'trigger_rule="one_success"' in c_block[: c_block.index("    )\n")]


def test_trigger_not_activated_is_not_wired_and_the_report_says_so() -> None:
    result = import_workflow(
        workflow(
            trigger("start", "ON_DEMAND", [{"JobName": "copy"}], State="CREATED"),
            trigger(
                "after copy",
                "CONDITIONAL",
                [{"JobName": "unload"}],
                State="CREATED",
                Predicate={"Conditions": [job("copy")]},
            ),
        )
    )
    rows = {row["trigger"]: row["became"] for row in result.report["triggers"]}
    assert rows["after copy"].startswith("not wired in: state CREATED")
    nodes = {row["name"]: row["became"] for row in result.report["nodes"]}
    assert nodes == {"copy": ["copy"], "unload": "left out: no wired trigger starts it"}
    header, code = result.dag_source.split('"""\n\nfrom __future__', 1)
    assert "- trigger 'after copy': not wired in: state CREATED" in header
    assert "- job 'unload': left out: no wired trigger starts it" in header
    assert "unload" not in code and "GlueConditionalTriggerSensor" not in code
    assert "    # Started by trigger 'start'.\n    copy = GlueJobRunOperator(" in code


def test_scheduled_trigger_becomes_a_cron_timetable_and_run_properties_params() -> None:
    result = import_workflow(
        workflow(
            trigger(
                "nightly",
                "SCHEDULED",
                [{"JobName": "j", "Arguments": {"--day": "x"}}],
                Schedule="cron(0 2 ? * 2-6 *)",
            ),
            DefaultRunProperties={"bucket": "b1"},
        )
    )
    assert 'schedule=CronTriggerTimetable("0 2 * * 1-5", timezone="UTC"),' in result.dag_source
    assert 'params={\n        "bucket": "b1",\n    },' in result.dag_source
    assert '"--day": "x",' in result.dag_source
    assert result.report["params"] == ["bucket"]


def test_on_demand_only_invents_no_schedule() -> None:
    result = import_workflow(
        workflow(trigger("go", "ON_DEMAND", [{"JobName": "j"}]), Description="line  \n\tindented")
    )
    assert (
        subprocess.run(
            [str(Path(sys.executable).parent / "ruff"), "format", "--check", "--isolated", "-"],
            input=result.dag_source,
            text=True,
            check=False,
        ).returncode
        == 0
    )
    assert "schedule=None," in result.dag_source
    assert "Cron" not in result.dag_source


def test_unconvertible_schedule_is_refused_naming_the_trigger() -> None:
    document = workflow(trigger("month end", "SCHEDULED", [{"JobName": "j"}], Schedule="cron(0 2 L * ? *)"))
    with pytest.raises(ImportError_, match=r"trigger 'month end': .*L \(last\)"):
        import_workflow(document)


def test_a_cycle_is_refused_naming_the_trigger() -> None:
    document = workflow(
        trigger("go", "ON_DEMAND", [{"JobName": "a"}]),
        trigger("a done", "CONDITIONAL", [{"JobName": "b"}], Predicate={"Conditions": [job("a")]}),
        trigger("b done", "CONDITIONAL", [{"JobName": "c"}], Predicate={"Conditions": [job("b")]}),
        trigger("c done", "CONDITIONAL", [{"JobName": "b"}], Predicate={"Conditions": [job("c")]}),
    )
    with pytest.raises(ImportError_, match="trigger 'c done' starts 'b', which it waits for: a cycle"):
        import_workflow(document)


def test_any_name_gives_valid_unique_identifiers() -> None:
    names = ["class", "1st job", "${local.prefix}Copy job", "a-b", "a_b", "ÄÖ", "x" * 300]
    result = import_workflow(workflow(trigger("go", "ON_DEMAND", [{"JobName": n} for n in names])))
    module = ast.parse(result.dag_source)
    assigned = [
        t.id
        for node in ast.walk(module)
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    ]
    assert len(assigned) == len(set(assigned)) == len(names)
    assert all(name.isidentifier() and len(name) <= 40 for name in assigned)


def test_the_description_is_kept_in_the_docstring_whatever_its_quotes() -> None:
    result = import_workflow(workflow(trigger("go", "ON_DEMAND", []), Description='a """ b \\ c'))
    assert 'a """ b \\ c' in (ast.get_docstring(ast.parse(result.dag_source)) or "")


def test_the_importers_are_pure_translation() -> None:
    code = "import sys, airflow_glue_flow.importers; print([m for m in sys.modules if m.split('.')[0] in "
    code += "('airflow', 'boto3', 'botocore')])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
