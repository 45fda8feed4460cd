"""The demo's report: what ``glue_etl_flow`` did, rendered with rich for an 80-column terminal.

Everything shown comes from the run (S3 objects, the catalog, the job run and its log, the task
instances); none of it is parsed as rich markup, so a log line like ``[bold] x [/]`` prints as it is.
Panel titles start with what must stay visible (a state, a duration): rich cuts a title that does not
fit the console, from the end.
"""

from __future__ import annotations

import heapq
import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

#: Job log lines shown (the newest), and converted lines shown with their bytes.
LOG_LINES = 20
CONVERTED_LINES = 3
#: Style of each job log stream's label.
STREAM_STYLES = {"output": "cyan", "error": "red"}


@dataclass(frozen=True)
class TaskRow:
    """One task instance of the run: its id, state and duration in seconds (None: it did not run)."""

    task_id: str
    state: str
    duration: float | None = None


@dataclass(frozen=True)
class RunSummary:
    """The DAG run: its id and state, its duration, and its tasks in DAG order."""

    dag_id: str
    state: str
    duration: float | None = None
    tasks: list[TaskRow] = field(default_factory=list)


def dag_order(upstream: Mapping[str, Iterable[str]]) -> list[str]:
    """The task ids in topological order, read as the flow goes: a task that became ready with the last
    one listed comes next (``on_success`` is followed by ``publish`` before the other branch starts);
    among tasks that became ready together, the one defined first.

    :param upstream: task id -> its upstream task ids, in the order the tasks were defined
        (``{t.task_id: t.upstream_task_ids for t in dag.tasks}``).
    """
    index = {task_id: i for i, task_id in enumerate(upstream)}
    waiting = {task_id: set(ups) & index.keys() for task_id, ups in upstream.items()}
    downstream: dict[str, list[str]] = {task_id: [] for task_id in upstream}
    for task_id, ups in waiting.items():
        for up in ups:
            downstream[up].append(task_id)
    ready = [(0, index[t], t) for t, ups in waiting.items() if not ups]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        *_, task_id = heapq.heappop(ready)
        order.append(task_id)
        for child in downstream[task_id]:
            waiting[child].discard(task_id)
            if not waiting[child]:
                heapq.heappush(ready, (-len(order), index[child], child))
    if len(order) != len(index):
        raise ValueError(f"The DAG has a cycle through {sorted(index.keys() - set(order))}")
    return order


def upstream_of(dag_file: Path, dag_id: str) -> dict[str, set[str]]:
    """Each task's upstream task ids, in the order the DAG file defines its tasks (for :func:`dag_order`)."""
    from airflow.sdk import DAG

    spec = importlib.util.spec_from_file_location(dag_file.stem, dag_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    [dag] = [value for value in vars(module).values() if isinstance(value, DAG) and value.dag_id == dag_id]
    return {task.task_id: set(task.upstream_task_ids) for task in dag.tasks}


def seconds(value: float | None) -> str:
    """A duration for a table cell: ``3.2 s``, ``1 min 5 s``; ``-`` when there is none."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    return f"{minutes} min {rest} s"


def titled(title: str) -> Table:
    """A table at least as wide as its title, so the title stays on one line where the console allows."""
    return Table(title=Text(title), box=box.SIMPLE, min_width=cell_len(title) + 2)


def converted_panel(original: bytes, utf8: bytes | None, encoding: str) -> Panel:
    """The first lines of the UTF-8 file, and the bytes of a non-ASCII field before and after."""
    if utf8 is None:
        return Panel(Text("MISSING: no UTF-8 file was written"), title=f"{encoding} -> UTF-8: MISSING")
    text = utf8.decode("utf-8")
    lines = text.splitlines()
    body = Text(lines[0] + "\n" if lines else "")
    shown: set[str] = set()
    for line in lines[1:]:
        value = next((v for v in line.split(",") if not v.isascii()), None)
        if value is None or value in shown:
            continue
        shown.add(value)
        body.append(line + "\n")
        body.append(f"  {value}: ", style="dim")
        body.append(f"{encoding} {value.encode(encoding, errors='replace').hex(' ')}", style="yellow")
        body.append(" -> ", style="dim")
        body.append(f"utf-8 {value.encode('utf-8').hex(' ')}\n", style="green")
        if len(shown) == CONVERTED_LINES:
            break
    same = original.decode(encoding, errors="replace") == text
    body.append(f"... {len(lines)} lines; the original decoded as {encoding} is the same text: {same}")
    title = f"{encoding} -> UTF-8: {len(original)} -> {len(utf8)} bytes"
    return Panel(body, title=title, title_align="left")


def archive_panel(archive: bytes | None, original: bytes, raw_left: int) -> Panel:
    """Whether the original was archived unchanged and the landing prefix emptied."""
    size = "MISSING" if archive is None else f"{len(archive)} bytes"
    body = Text(
        f"archived original: {size}, byte-identical to the upload: {archive == original}; "
        f"objects left under the landing prefix: {raw_left}"
    )
    return Panel(body, title="Archive", title_align="left")


def catalog_table(table: Mapping[str, Any]) -> Table:
    """The crawled table's columns and partition keys (a GetTable ``Table``)."""
    schema = titled(f"Catalog table {table['DatabaseName']}.{table['Name']}")
    schema.add_column("column")
    schema.add_column("type")
    for col in table["StorageDescriptor"]["Columns"]:
        schema.add_row(Text(col["Name"]), Text(col["Type"]))
    for col in table.get("PartitionKeys", []):
        schema.add_row(Text(col["Name"]), Text(f"{col['Type']} (partition)"))
    return schema


def parquet_table(key: str, data: Any, rows: int = 5) -> Table:
    """The first rows of a Parquet object (a pyarrow Table); each header holds the column's type."""
    table = titled(f"Parquet s3://.../{key}: {data.num_rows} rows")
    for column in data.schema:
        table.add_column(Text(f"{column.name}\n{column.type}"))
    for row in data.slice(0, rows).to_pylist():
        table.add_row(*(Text(str(value)) for value in row.values()))
    return table


def job_panel(job_run: Mapping[str, Any], log: list[tuple[str, str]]) -> Panel:
    """The job run's state, duration and id, and its newest log lines, each with its stream label."""
    body = Text(f"run {job_run['Id']}\n", style="dim", overflow="fold")
    if job_run.get("ErrorMessage"):
        body.append(f"ErrorMessage: {job_run['ErrorMessage']}\n", style="red")
    if len(log) > LOG_LINES:
        body.append(f"({len(log) - LOG_LINES} earlier lines in the log)\n", style="dim")
    for stream, message in log[-LOG_LINES:]:
        body.append(f"[{stream}] ", style=STREAM_STYLES.get(stream, "magenta"))
        body.append(message + "\n")
    if not log:
        body.append("(no log lines)")
    body.rstrip()
    state = job_run["JobRunState"]
    title = f"{state} in {job_run.get('ExecutionTime', 0)} s: job {job_run.get('JobName', '')}"
    return Panel(
        body, title=title, title_align="left", border_style="green" if state == "SUCCEEDED" else "red"
    )


def tasks_table(run: RunSummary) -> Table:
    """Every task of the run in DAG order, with its state and duration."""
    tasks = titled(f"DAG run {run.dag_id}: {run.state} in {seconds(run.duration)}")
    tasks.add_column("task", overflow="fold")
    tasks.add_column("state", no_wrap=True)
    tasks.add_column("duration", justify="right", no_wrap=True)
    for row in run.tasks:
        tasks.add_row(Text(row.task_id), Text(row.state), Text(seconds(row.duration)))
    return tasks


def render(console: Console, result: Mapping[str, Any], run: RunSummary, encoding: str = "cp932") -> None:
    """Print the report.

    :param console: where to print.
    :param result: what the flow produced: ``original`` (the uploaded bytes), ``utf8`` and ``archive``
        (bytes or None), ``raw_left`` (objects left under the landing prefix), ``table`` (GetTable's
        ``Table`` or None), ``parquet`` ([(key, pyarrow Table)]), ``job_run`` (GetJobRun's ``JobRun``
        or None) and ``job_log`` ([(stream, message)] in time order, stream ``output`` or ``error``).
    :param run: the DAG run and its tasks in DAG order.
    :param encoding: the encoding the sample was uploaded in.
    """
    console.print(
        Group(
            converted_panel(result["original"], result["utf8"], encoding),
            archive_panel(result["archive"], result["original"], result["raw_left"]),
        )
    )
    if result["table"]:
        console.print(catalog_table(result["table"]))
    for key, data in result["parquet"]:
        console.print(parquet_table(key, data))
    if result["job_run"]:
        console.print(job_panel(result["job_run"], result["job_log"]))
    console.print(tasks_table(run))
