"""The check's reading of a call log and its verdicts, on call logs written out by hand (no server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_glue_flow.importers.check import CheckError, check_workflow
from airflow_glue_flow.importers.check.compare import compare, declared_on_failure, table
from airflow_glue_flow.importers.check.observe import observe
from airflow_glue_flow.importers.check.resources import s3_changes


class Log:
    """Call log entries as the local Glue writes them."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, **entry: Any) -> None:
        self.entries.append({"Seq": len(self.entries), **entry})

    def job(self, name: str, run: str, arguments: dict[str, str] | None = None) -> None:
        request = {"JobName": name, "Arguments": arguments or {}}
        self.add(Action="StartJobRun", Request=request, Response={"JobRunId": run})

    def ended(self, name: str, run: str, state: str = "SUCCEEDED") -> None:
        self.add(Event="JobRunEnded", JobName=name, JobRunId=run, JobRunState=state, Retrying=False)


def chain(*states: str, workflow_args: bool = False) -> Log:
    """Jobs a, b, c... one after the other, each ending in its state."""
    log = Log()
    for index, state in enumerate(states):
        name = "abc"[index]
        args = {"--WORKFLOW_NAME": "wf", "--WORKFLOW_RUN_ID": f"wr_{index}"} if workflow_args else {}
        log.job(name, f"jr_{name}", {**args, "--day": "1"})
        log.ended(name, f"jr_{name}", state)
    return log


def test_observe_keeps_calls_in_order_states_counts_and_what_ran_after_what() -> None:
    log = Log()
    log.job("a", "jr_1", {"--WORKFLOW_RUN_ID": "wr_1", "--x": "1"})
    log.job("b", "jr_2")
    log.add(Event="JobRunEnded", JobName="a", JobRunId="jr_1", JobRunState="FAILED", Retrying=True)
    log.add(
        Event="JobRunEnded", JobName="a", JobRunId="jr_1_attempt_1", JobRunState="SUCCEEDED", Retrying=False
    )
    log.add(Action="StartCrawler", Request={"Name": "c"}, Response={})
    log.add(Action="StartCrawler", Request={"Name": "c"}, Response={"__type": "CrawlerRunningException"})
    log.add(Event="CrawlEnded", CrawlerName="c", Status="FAILED", Error="no bucket")
    log.ended("b", "jr_2")

    seen = observe(log.entries)

    assert seen.calls == [
        'StartJobRun a {"--x": "1"}',
        "StartJobRun b",
        "StartCrawler c",
        "StartCrawler c (refused: CrawlerRunningException)",
    ]
    assert seen.jobs == {"a": ("SUCCEEDED", 2), "b": ("SUCCEEDED", 1)}
    assert seen.crawls == {"c": ("FAILED", 1)}
    # The crawls started after a's last attempt ended; b was started before anything ended.
    assert seen.after == {(0, 2), (0, 3)}
    assert seen.step_failed


def test_the_same_run_matches_and_workflow_run_arguments_are_not_compared() -> None:
    original, dag = (
        observe(chain("SUCCEEDED", "SUCCEEDED", workflow_args=True).entries),
        observe(chain("SUCCEEDED", "SUCCEEDED").entries),
    )
    original.outcome, original.succeeded = "COMPLETED", True
    dag.outcome, dag.succeeded = "success", True

    rows = compare("all succeed", original, dag, "strict")

    assert {row.verdict for row in rows} == {"same"}
    assert [row.item for row in rows][:3] == [
        'StartJobRun a {"--day": "1"}',
        'StartJobRun b {"--day": "1"}',
        "order of the calls",
    ]


def test_a_failed_step_is_a_declared_difference_only_when_the_header_declares_it() -> None:
    original, dag = observe(chain("FAILED").entries), observe(chain("FAILED").entries)
    original.outcome, original.succeeded = "COMPLETED (FailedActions 1)", True
    dag.outcome, dag.succeeded = "failed", False

    def outcome(on_failure: str | None) -> str:
        rows = compare("job a fails", original, dag, on_failure)
        return next(row.verdict for row in rows if row.item == "outcome")

    assert outcome("strict") == "declared (strict)"
    assert outcome(None) == "DIFFERENT"  # undeclared, the DAG must end as Glue does
    assert outcome("completed") == "DIFFERENT"  # declared completed, yet the DAG failed
    dag.outcome, dag.succeeded = "success", True
    assert outcome("completed") == "declared (completed)"


def test_a_call_made_before_the_run_it_waited_for_is_an_order_difference() -> None:
    original = observe(chain("SUCCEEDED", "SUCCEEDED").entries)
    swapped = Log()
    swapped.job("b", "jr_b", {"--day": "1"})
    swapped.ended("b", "jr_b")
    swapped.job("a", "jr_a", {"--day": "1"})
    swapped.ended("a", "jr_a")
    dag = observe(swapped.entries)
    for side in (original, dag):
        side.outcome, side.succeeded = "x", True

    rows = {row.item: row for row in compare("all succeed", original, dag, "strict")}

    assert rows["order of the calls"].verdict == "DIFFERENT"
    assert rows["order of the calls"].dag == (
        'StartJobRun b {"--day": "1"} after StartJobRun a {"--day": "1"} ended; the DAG made it before'
    )
    assert rows['StartJobRun a {"--day": "1"}'].verdict == "same"


def test_s3_differences_are_named_by_object() -> None:
    before = {("logs", ""): b"", ("logs", "in/a.csv"): b"a"}
    original = observe([])
    dag = observe([])
    original.s3 = s3_changes(before, {("logs", ""): b"", ("logs", "out/a.csv"): b"a"})
    dag.s3 = s3_changes(before, {("logs", ""): b"", ("logs", "in/a.csv"): b"a", ("logs", "out/a.csv"): b"b"})

    rows = {row.item: row for row in compare("all succeed", original, dag, None)}

    assert original.s3["s3://logs/in/a.csv"] == "deleted"
    assert (rows["s3://logs/in/a.csv"].original, rows["s3://logs/in/a.csv"].dag) == ("deleted", "-")
    assert rows["s3://logs/out/a.csv"].verdict == "DIFFERENT"
    assert rows["S3 objects written"].verdict == "DIFFERENT"
    assert "s3://logs/out/a.csv" in table(list(rows.values()))


def test_the_header_declaration_is_read_from_the_docstring() -> None:
    assert declared_on_failure('"""x\n\nOn failure: strict: a run ...\n"""\n') == "strict"
    assert declared_on_failure('"""x"""\n# On failure: completed\n') is None
    assert declared_on_failure("not python (") is None


def test_an_endpoint_without_a_call_log_is_named_before_anything_runs(tmp_path: Path) -> None:
    dag_file = tmp_path / "dag.py"
    dag_file.write_text('"""x"""\n')
    # Nothing listens on port 9 of the loopback address (discard): the request is refused.
    with pytest.raises(CheckError, match=r"http://127.0.0.1:9 answers no call log at /_local/calls"):
        check_workflow(
            {"Name": "wf", "Graph": {}},
            dag_file,
            glue=None,
            s3=None,
            endpoint_url="http://127.0.0.1:9",
            connection={},
        )
