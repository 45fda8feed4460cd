"""``glue-flow import workflow|asl --check``: run the Glue workflow or state machine and the DAG made from
it, compare (:func:`check_workflow` here, :func:`~.state_machine.check_state_machine` for state machines).

Both run against the same endpoint (a local Glue, whose call log :mod:`.observe` reads) and the same
resources, from the same starting state (:mod:`.resources` puts S3 back after each side), for a fault
matrix: every job and crawl succeeding; each job failing in turn; each crawl failing in turn. For each
scenario :mod:`.compare` lines up the calls with side effects and their order, each job's and crawl's
final state and count, the outcome, and the S3 objects written.

Nothing here imports the local Glue: the check talks to the endpoint over HTTP, with boto3 clients the
caller makes (the CLI makes them with the amazon provider's hooks) and plain HTTP for the call log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from airflow_glue_flow.importers.check.compare import (
    DIFFERENT,
    Row,
    Rules,
    compare,
    declared_on_failure,
    table,
    workflow_rules,
)
from airflow_glue_flow.importers.check.observe import CALLS_PATH, Observation, observe, read_calls
from airflow_glue_flow.importers.check.resources import (
    S3State,
    failing_crawler,
    failing_job,
    remove_fault_bucket,
    s3_changes,
    s3_restore,
    s3_snapshot,
)
from airflow_glue_flow.importers.check.sides import CheckError, DagSide, run_workflow

#: A ``since`` past any entry: the call log answers only the next entry's number.
END = 2**62
#: Seconds a side's job runs and crawls may go on after the side ended (a state machine that failed
#: leaves the crawl it started running): the next side starts once they have ended.
SETTLE_SECONDS = 300

__all__ = [
    "CheckError",
    "CheckResult",
    "Original",
    "Row",
    "Scenario",
    "check_workflow",
    "fault_matrix",
    "run_matrix",
    "scenarios",
    "table",
]


@dataclass(frozen=True)
class Scenario:
    """One row of the fault matrix: its name and the fault to inject while both sides run."""

    name: str
    fault: Callable[[], AbstractContextManager[Any]]


@dataclass(frozen=True)
class CheckResult:
    """The rows of every scenario; :attr:`ok` when none is ``DIFFERENT``."""

    rows: list[Row]

    @property
    def ok(self) -> bool:
        """Whether every row matches or differs as the DAG's header declares."""
        return all(row.verdict != DIFFERENT for row in self.rows)

    def differences(self) -> list[Row]:
        """The rows that differ without a declaration."""
        return [row for row in self.rows if row.verdict == DIFFERENT]


def scenarios(graph: dict[str, Any], glue: Any, s3: Any) -> Iterator[Scenario]:
    """The fault matrix of a workflow graph: all succeed, then each job failing, then each crawl failing."""
    nodes = [(n["Type"], n["Name"]) for n in graph.get("Nodes", []) if n.get("Type") in ("JOB", "CRAWLER")]
    return fault_matrix(nodes, glue, s3)


def fault_matrix(nodes: list[tuple[str, str]], glue: Any, s3: Any) -> Iterator[Scenario]:
    """All succeed, then each ``JOB`` of ``nodes`` (kind, name) failing, then each ``CRAWLER`` failing."""
    yield Scenario("all succeed", nullcontext)
    for kind, name in nodes:
        if kind == "JOB":
            yield Scenario(f"job {name} fails", partial(failing_job, glue, s3, name))
    for kind, name in nodes:
        if kind == "CRAWLER":
            yield Scenario(f"crawl {name} fails", partial(failing_crawler, glue, name))


def _side(
    endpoint_url: str, s3: Any, start: S3State, run: Callable[[], tuple[str, bool, Any]]
) -> Observation:
    """What one run of a side did; the third item of the run's answer, when a list, is its caught errors."""
    since = read_calls(endpoint_url, END)[1]  # no entries, only the next entry's number
    outcome, succeeded, extra = run()
    deadline = time.monotonic() + SETTLE_SECONDS
    while (seen := observe(read_calls(endpoint_url, since)[0])).running:
        if time.monotonic() > deadline:
            raise CheckError(
                f"{seen.running} job runs or crawls still run {SETTLE_SECONDS} s after the side ended"
            )
        time.sleep(0.5)
    seen.outcome, seen.succeeded = outcome, succeeded
    seen.caught = list(extra) if isinstance(extra, list) else []
    seen.s3 = s3_changes(start, s3_snapshot(s3))
    s3_restore(s3, start)
    return seen


def require_call_log(endpoint_url: str) -> None:
    """Say that the endpoint is no local Glue before anything runs.

    :raises CheckError: the endpoint answers no call log.
    """
    try:
        read_calls(endpoint_url, END)
    except OSError as err:
        raise CheckError(
            f"{endpoint_url} answers no call log at {CALLS_PATH} ({err}): --check runs on a local Glue"
        ) from None


@dataclass(frozen=True)
class Original:
    """The original side: what it is called in the progress lines, and one run of it.

    :param run: runs it once; returns its outcome, whether that is a success, and the errors its run
        went on after.
    """

    label: str
    run: Callable[[], tuple[str, bool, list[str]]]


def run_matrix(
    matrix: Callable[[], Iterator[Scenario]],
    original: Original,
    dag_side: DagSide,
    rules: Rules,
    *,
    s3: Any,
    endpoint_url: str,
    conf: dict[str, Any] | None = None,
    progress: Callable[[str], None] = lambda line: None,
) -> CheckResult:
    """Run each scenario of ``matrix`` on both sides from the same S3 state, and compare.

    The DAG side is closed, and S3 put back, whatever happens.
    """
    start = s3_snapshot(s3)
    rows: list[Row] = []
    try:
        for scenario in matrix():
            with scenario.fault():
                progress(f"{scenario.name}: {original.label}")
                first = _side(endpoint_url, s3, start, original.run)
                progress(f"{scenario.name}: the DAG {dag_side.dag_file.name}")
                dag = _side(endpoint_url, s3, start, lambda: dag_side.run(conf))
            rows += compare(scenario.name, first, dag, rules)
    finally:
        dag_side.close()
        s3_restore(s3, start)
        remove_fault_bucket(s3)
    return CheckResult(rows)


def check_workflow(
    workflow: dict[str, Any],
    dag_file: Path,
    *,
    glue: Any,
    s3: Any,
    endpoint_url: str,
    connection: dict[str, Any],
    timeout: float = 600,
    progress: Callable[[str], None] = lambda line: None,
) -> CheckResult:
    """Run the fault matrix on both sides and compare.

    :param workflow: the workflow (GetWorkflow's ``Workflow`` with its ``Graph``); it must exist on the
        endpoint with its jobs, crawlers and triggers.
    :param dag_file: the generated DAG file.
    :param glue: a boto3 Glue client of the endpoint.
    :param s3: a boto3 S3 client of the endpoint.
    :param endpoint_url: the endpoint's URL (its call log is read at ``/_local/calls``).
    :param connection: the Airflow AWS connection (JSON fields) that reaches the endpoint.
    :param timeout: seconds one side of one scenario may take.
    :param progress: called with a line as each side of each scenario starts.
    :raises CheckError: the endpoint has no call log, or a side could not be run.
    """
    rules = workflow_rules(declared_on_failure(dag_file.read_text(encoding="utf-8")))
    require_call_log(endpoint_url)
    name = workflow["Name"]
    original = Original(f"the Glue workflow {name!r}", lambda: (*run_workflow(glue, name, timeout), []))
    return run_matrix(
        lambda: scenarios(workflow.get("Graph") or {}, glue, s3),
        original,
        DagSide(dag_file, connection, timeout),
        rules,
        s3=s3,
        endpoint_url=endpoint_url,
        progress=progress,
    )
