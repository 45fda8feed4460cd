"""The demo's report (scripts/demo_report.py), rendered from recorded inputs on an 80-column console."""

from __future__ import annotations

import functools
import importlib.util
import io
import sys
from datetime import UTC, datetime

import pytest
from rich.cells import cell_len
from rich.console import Console

from airflow_glue_flow.cli.sample import sample_text
from tests.conftest import REPO_ROOT
from tests.local_glue import create_python_job, wait_for_run

_spec = importlib.util.spec_from_file_location("demo_report", REPO_ROOT / "scripts" / "demo_report.py")
demo_report = sys.modules["demo_report"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo_report)

#: What a GetJobRun of the demo's job returns (ids are jr_ and 64 hex digits, as on AWS).
RUN_ID = "jr_" + "0123456789abcdef" * 4
JOB_RUN = {
    "Id": RUN_ID,
    "Attempt": 0,
    "JobName": "se2_job0",
    "StartedOn": datetime(2026, 11, 30, 3, 0, 1, tzinfo=UTC),
    "CompletedOn": datetime(2026, 11, 30, 3, 0, 4, tzinfo=UTC),
    "JobRunState": "SUCCEEDED",
    "ExecutionTime": 3,
}
#: Job log lines with rich markup in them: they must print as they are.
MARKUP_LINES = [
    ("output", f"job se2_job0 run {RUN_ID}: s3://glue-flow-demo/se2/in0/ -> s3://glue-flow-demo/se2/out0/"),
    ("output", "[bold]not bold[/] and [/] alone"),
    ("error", "WARNING [red]x[/red] [link=http://example.com]y[/link] [/bold]"),
    ("output", "done: 19 rows written"),
]
#: How the report's run went: these tasks were skipped, this one took long; the others succeeded.
SKIPPED = {"on_failure", "alert"}
DURATIONS = {"csv_to_parquet": 75.0}


@functools.cache
def main_dag_order() -> list[str]:
    """glue_etl_flow's task ids in the order the DAG runs them, read from the DAG itself."""
    upstream = demo_report.upstream_of(REPO_ROOT / "dags" / "glue_etl_flow.py", "glue_etl_flow")
    return demo_report.dag_order(upstream)


def dag_tasks() -> list[tuple[str, str, float | None]]:
    """(task id, state, duration) of every task of glue_etl_flow, in DAG order."""
    return [
        (task_id, "skipped", None)
        if task_id in SKIPPED
        else (task_id, "success", DURATIONS.get(task_id, 0.5))
        for task_id in main_dag_order()
    ]


@pytest.fixture
def result() -> dict:
    import pyarrow.csv

    text = sample_text()
    original, utf8 = text.encode("cp932"), text.encode("utf-8")
    kinds = ["string", "bigint", "bigint", "string", "bigint", "bigint", "bigint", "bigint"]
    names = text.splitlines()[0].split(",")
    columns = [{"Name": name, "Type": kind} for name, kind in zip(names, kinds, strict=True)]
    return {
        "original": original,
        "utf8": utf8,
        "archive": original,
        "raw_left": 0,
        "table": {"DatabaseName": "se2", "Name": "se2_in0", "StorageDescriptor": {"Columns": columns}},
        "parquet": [("se2/out0/csvlog.parquet", pyarrow.csv.read_csv(io.BytesIO(utf8)))],
        "job_run": dict(JOB_RUN),
        "job_log": list(MARKUP_LINES),
    }


def run_summary(state: str = "success", tasks=None) -> object:
    rows = [
        demo_report.TaskRow(task_id, task_state, duration)
        for task_id, task_state, duration in (dag_tasks() if tasks is None else tasks)
    ]
    return demo_report.RunSummary("glue_etl_flow", state, 87.5, rows)


def render(result: dict, run: object, width: int = 80) -> list[str]:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    demo_report.render(console, result, run)
    return console.export_text().splitlines()


def flat(lines: list[str]) -> str:
    """The report's words without panel borders, lines joined by a space (wrapped text reads whole)."""
    return " ".join(" ".join(line.strip().strip("│").split()) for line in lines)


@pytest.mark.parametrize("width", [80, 60])
def test_every_line_fits_the_console(result, width):
    lines = render(result, run_summary(), width)

    too_wide = [line for line in lines if cell_len(line) > width]
    assert too_wide == []


def test_log_lines_with_markup_print_as_they_are_with_their_stream_labels(result):
    text = "\n".join(render(result, run_summary()))

    for stream, message in MARKUP_LINES[1:]:
        assert f"[{stream}] {message}" in text


@pytest.mark.parametrize("width", [80, 40])
def test_job_panel_title_shows_state_and_duration_first(result, width):
    result["job_run"]["JobName"] = "a_job_name_much_longer_than_the_console_is_wide_" * 2

    lines = render(result, run_summary(), width)

    [title] = [line for line in lines if "SUCCEEDED" in line]
    assert title.startswith("╭─ SUCCEEDED in 3 s")


def test_job_panel_shows_the_whole_run_id_and_a_failed_runs_error_message(result):
    result["job_run"].update(JobRunState="FAILED", ErrorMessage="ValueError: [/] bad row [b]3[/b]")

    text = "\n".join(render(result, run_summary("failed")))

    assert f"run {RUN_ID}" in text
    assert "╭─ FAILED in 3 s" in text
    assert "ErrorMessage: ValueError: [/] bad row [b]3[/b]" in text


def test_only_the_newest_log_lines_are_shown_and_the_rest_counted(result):
    result["job_log"] = [("output", f"line {i}") for i in range(demo_report.LOG_LINES + 5)]

    text = "\n".join(render(result, run_summary()))

    assert "(5 earlier lines in the log)" in text
    assert "[output] line 4 " not in text and f"[output] line {demo_report.LOG_LINES + 4}" in text


def test_tasks_are_listed_in_dag_order_with_state_and_duration(result):
    lines = render(result, run_summary())

    task_ids = main_dag_order()
    assert task_ids != sorted(task_ids)  # so the check below tells DAG order from alphabetical order
    rows = {line.split()[0]: line.split() for line in lines if line.split() and line.split()[0] in task_ids}
    assert list(rows) == task_ids
    assert rows["csv_to_parquet"] == ["csv_to_parquet", "success", "1", "min", "15", "s"]
    assert rows["alert"] == ["alert", "skipped", "-"]
    assert any(line.strip() == "DAG run glue_etl_flow: success in 1 min 28 s" for line in lines)


def test_converted_lines_show_japanese_text_and_its_bytes_before_and_after(result):
    text = "\n".join(render(result, run_summary()))

    assert "cp932 -> UTF-8: 791 -> " in text
    assert "iphone,11111,1,日本,2017,12,14,12" in text
    # 日本 is 93fa 967b in CP932 and e697a5 e69cac in UTF-8.
    assert "日本: cp932 93 fa 96 7b -> utf-8 e6 97 a5 e6 9c ac" in text
    assert "the original decoded as cp932 is the same text: True" in text


def test_a_run_that_wrote_nothing_still_renders_what_is_missing(result):
    result.update(utf8=None, archive=None, raw_left=1, table=None, parquet=[], job_run=None, job_log=[])

    text = flat(render(result, run_summary("failed", [("deploy", "failed", 0.5)])))

    assert "cp932 -> UTF-8: MISSING" in text
    assert "archived original: MISSING" in text
    assert "objects left under the landing prefix: 1" in text
    assert "DAG run glue_etl_flow: failed" in text


def test_dag_order_of_the_main_dag_is_topological_and_follows_the_flow():
    upstream = demo_report.upstream_of(REPO_ROOT / "dags" / "glue_etl_flow.py", "glue_etl_flow")

    order = demo_report.dag_order(upstream)

    assert sorted(order) == sorted(upstream)
    for task_id, ups in upstream.items():
        assert all(order.index(up) < order.index(task_id) for up in ups), task_id
    # The flow reads as it runs: a task whose only downstream waits for it alone is followed by that
    # downstream (on_success by publish, on_failure by alert) before another branch starts.
    for task_id in upstream:
        downstream = [child for child, ups in upstream.items() if task_id in ups]
        if len(downstream) == 1 and upstream[downstream[0]] == {task_id}:
            assert order[order.index(task_id) + 1] == downstream[0], task_id


def test_dag_order_follows_a_branch_then_definition_order_and_refuses_a_cycle():
    upstream = {"b": set(), "a": set(), "c": {"a", "b"}, "d": {"b"}, "e": {"d"}}

    assert demo_report.dag_order(upstream) == ["b", "d", "e", "a", "c"]
    with pytest.raises(ValueError, match=r"cycle through \['x', 'y'\]"):
        demo_report.dag_order({"w": set(), "x": {"y"}, "y": {"x"}})


def test_durations_read_as_seconds_or_minutes():
    assert [demo_report.seconds(v) for v in (None, 0.04, 59.9, 60, 125.4)] == [
        "-",
        "0.0 s",
        "59.9 s",
        "1 min 0 s",
        "2 min 5 s",
    ]


#: A job that writes rich markup to both streams, alternating, as a job's own log lines might.
MARKUP_SCRIPT = b"""
import sys, time
for stream, line in [(sys.stdout, "[bold]first[/] output"), (sys.stderr, "[/] error [red]x"), (sys.stdout, "last [/b]")]:
    print(line, file=stream, flush=True)
    time.sleep(0.5)  # distinct event timestamps, so the report's time order is the order written
"""


@pytest.mark.slow
def test_report_of_a_real_job_run_keeps_its_lines_in_order_with_labels(
    local_glue, glue_client, s3_client, bucket, unique
):
    _demo_spec = importlib.util.spec_from_file_location("demo", REPO_ROOT / "scripts" / "demo.py")
    demo = importlib.util.module_from_spec(_demo_spec)
    _demo_spec.loader.exec_module(demo)  # finds demo_report in sys.modules
    job = unique("markup")
    create_python_job(glue_client, s3_client, bucket, job, MARKUP_SCRIPT)
    run_id = glue_client.start_job_run(JobName=job)["JobRunId"]
    assert wait_for_run(glue_client, job, run_id)["JobRunState"] == "SUCCEEDED"
    params = {**demo.PARAMS, "bucket": bucket, "job_name": job, "database": unique("nodb")}

    result = demo.report(local_glue, params, b"")
    text = flat(render(result, run_summary()))

    assert [message for _, message in result["job_log"]][-3:] == [
        "[bold]first[/] output",
        "[/] error [red]x",
        "last [/b]",
    ]
    assert "[output] [bold]first[/] output [error] [/] error [red]x [output] last [/b]" in text
    assert f"run {run_id}" in text and "SUCCEEDED in" in text
