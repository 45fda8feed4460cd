"""The text of the DAG file for a state machine's :class:`~airflow_glue_flow.importers.asl.model.Plan`.

Laid out as ``ruff format`` lays it out (every call exploded, one argument a line, trailing commas), so it
is format-clean as written and byte-identical for the same input.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from airflow_glue_flow.importers.asl.model import OPERATORS, Code, Plan, Task
from airflow_glue_flow.importers.render import literal

_RUNTIME = "airflow_glue_flow.importers.asl.runtime"
_WIDTH = 84


def _value(value: Any, indent: int) -> str:
    return str(value) if isinstance(value, Code) else literal(value, indent)


def _comment(lines: list[str], indent: int) -> str:
    pad = " " * indent
    out = []
    for line in lines:
        for part in textwrap.wrap(line, _WIDTH - indent - 2, break_long_words=False) or [""]:
            out.append(f"{pad}# {part}".rstrip() + "\n")
    return "".join(out)


def trigger_rule(task: Task) -> tuple[str | None, str | None]:
    """The task's trigger rule for its kinds of upstream edge, and a note when it approximates ASL."""
    kinds = {kind for _, kind in task.upstream}
    if kinds == {"catch"}:
        return "one_failed", None
    if "catch" in kinds:
        return "one_done", "reached by a Catch and by other states: runs once one of them ends (approximated)"
    if len(task.upstream) > 1:
        return "none_failed_min_one_success", None
    return None, None


def _task(task: Task, indent: int) -> str:
    pad = " " * indent
    _, cls = OPERATORS[task.kind]
    rule, note = trigger_rule(task)
    out = [_comment(task.comment + ([note] if note else []), indent)]
    call = f"{cls}.partial" if task.expand else cls
    out.append(f"{pad}{task.var} = {call}(\n{pad}    task_id={json.dumps(task.var)},\n")
    for key, value in task.args.items():
        if value is not None:
            out.append(f"{pad}    {key}={_value(value, indent + 4)},\n")
    if rule:
        out.append(f"{pad}    trigger_rule={json.dumps(rule)},\n")
    out.append(f"{pad}).expand_kwargs({task.expand}.output)\n" if task.expand else f"{pad})\n")
    return "".join(out)


def _body(plan: Plan, group: str | None, indent: int) -> str:
    out = []
    for task in plan.tasks:
        if task.group != group:
            continue
        if task.kind == "group":
            pad = " " * indent
            rule, _ = trigger_rule(task)
            out.append(_comment(task.comment, indent))
            out.append(f"{pad}with TaskGroup(group_id={json.dumps(task.var)}) as {task.var}:\n")
            out.append(_body(plan, task.var, indent + 4) or f"{pad}    pass\n")
        else:
            out.append(_task(task, indent))
    return "".join(out)


def _import_line(module: str, name: str) -> str:
    line = f"from {module} import {name}\n"
    return line if len(line) <= 89 else f"from {module} import (\n    {name},\n)\n"


def _imports(plan: Plan) -> str:
    kinds = {t.kind for t in plan.tasks}
    sdk = ["DAG"] + (["Param"] if plan.params else []) + (["TaskGroup"] if "group" in kinds else [])
    runtime = sorted(
        {str(t.args["python_callable"]) for t in plan.tasks if "python_callable" in t.args}
        | {"backoff" for t in plan.tasks if "retry_exponential_backoff" in t.args}
    )
    needs_timedelta = plan.timeout_seconds is not None or any(
        isinstance(v, Code) and v.startswith("timedelta") for t in plan.tasks for v in t.args.values()
    )
    lines = ["from __future__ import annotations\n\n"]
    if needs_timedelta:
        lines.append("from datetime import timedelta\n\n")
    third = {f"from airflow.sdk import {', '.join(sdk)}\n"}
    third |= {_import_line(*OPERATORS[k]) for k in kinds if k != "group"}
    if runtime:
        third.add(f"from {_RUNTIME} import {', '.join(runtime)}\n")
    return "".join(lines) + "".join(sorted(third)) + "\n"


def _docstring(plan: Plan, source: str) -> str:
    header = [f"{plan.dag_id}: the state machine {source}, imported by glue-flow import asl."]
    if plan.comment:
        header += ["", plan.comment]
    header += ["", "Schedule: none, runs are triggered (a state machine runs when it is started)."]
    header += [
        "Choice states read the execution input: the run's conf over the DAG's params.",
        "A caught error runs the Catch target; the run still ends failed in Airflow.",
    ]
    if plan.flags:
        header += ["", "Behaviour that differs from the original:"] + [f"- {f}" for f in plan.flags]
    if plan.not_carried:
        header += ["", "Not carried (the report lists each field):"] + [f"- {p}" for p in plan.not_carried]
    doc = "\n".join(line.rstrip() for line in "\n".join(header).splitlines())
    return doc.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def render_dag(plan: Plan, source: str) -> str:
    """The DAG file's text; ``source`` names the definition in the header."""
    out = [f'"""{_docstring(plan, source)}\n"""\n\n', _imports(plan), "with DAG(\n"]
    out.append(f"    dag_id={json.dumps(plan.dag_id)},\n    schedule=None,\n    catchup=False,\n")
    out.append('    tags=[\n        "glue-flow-import",\n        "step-functions",\n    ],\n')
    if plan.timeout_seconds is not None:
        out.append(f"    dagrun_timeout=timedelta(seconds={plan.timeout_seconds}),\n")
    if any(spec["type"] == "object" for spec in plan.params.values()):
        out.append(_comment(["Templates of object params render as objects (a job's Arguments)."], 4))
        out.append("    render_template_as_native_obj=True,\n")
    if plan.params:
        out.append(_comment(["Template placeholders and execution-input keys of the definition."], 4))
        out.append("    params={\n")
        for name, spec in plan.params.items():
            out.append(f"        {json.dumps(name)}: Param(\n")
            out.append(f"            type={json.dumps(spec['type'])},\n")
            out.append(f"            description={json.dumps(spec['source'])},\n        ),\n")
        out.append("    },\n")
    out.append(") as dag:\n")
    out.append(_body(plan, None, 4) or "    pass\n")
    edges = [f"    {up} >> {t.var}\n" for t in plan.tasks for up, _ in t.upstream]
    if edges:
        out.append("\n" + _comment(["Next, Choice and Catch transitions."], 4) + "".join(edges))
    return "".join(out)
