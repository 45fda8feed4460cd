"""The text of the DAG file for a :class:`~airflow_glue_flow.importers.glue_workflow.WorkflowPlan`.

The text is laid out as ``ruff format`` lays it out (every call and literal exploded, one item a line,
with trailing commas), so it is format-clean as written and byte-identical for the same input.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from airflow_glue_flow.importers.glue_workflow import COMPLETED_TASK_ID, Task, WorkflowPlan

_OPERATORS = {
    "job": ("airflow_glue_flow.operators.job", "GlueJobRunOperator"),
    "crawl_start": ("airflow_glue_flow.operators.crawler", "GlueCrawlerStartOperator"),
    "crawl_wait": ("airflow_glue_flow.operators.crawler_wait", "GlueCrawlerWaitOperator"),
    "trigger": ("airflow_glue_flow.sensors.conditional", "GlueConditionalTriggerSensor"),
}


#: The header's declaration of what a run in which a step failed ends as (``glue-flow import --check``
#: reads its first words).
_ON_FAILURE = {
    "strict": [
        "On failure: strict: a run in which a job run or crawl fails fails, where the Glue workflow run",
        "says COMPLETED (only its statistics show the failure).",
    ],
    "completed": [
        "On failure: completed: as a Glue workflow run is COMPLETED even when a job run or crawl failed,",
        f"a run succeeds once every task has ended ({COMPLETED_TASK_ID}, the only leaf); the failed",
        "tasks still show failed.",
    ],
}
_COMPLETED = f"""
    # On failure: completed. A DAG run ends as its leaves do: this task, once all have ended.
    leaves = [task for task in dag.tasks if not task.downstream_list]
    {COMPLETED_TASK_ID} = EmptyOperator(
        task_id="{COMPLETED_TASK_ID}",
        trigger_rule="all_done",
    )
    leaves >> {COMPLETED_TASK_ID}
"""


def literal(value: Any, indent: int) -> str:
    """A Python literal for JSON-like ``value``, exploded as ruff formats it (double quotes)."""
    pad, inner = " " * indent, " " * (indent + 4)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(f"{inner}{json.dumps(k)}: {literal(v, indent + 4)},\n" for k, v in value.items())
        return "{\n" + items + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + "".join(f"{inner}{literal(v, indent + 4)},\n" for v in value) + pad + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _comment(text: str, indent: int) -> str:
    return "".join(f"{' ' * indent}# {line}".rstrip() + "\n" for line in text.splitlines())


def _task(task: Task, trigger_rule: str | None) -> str:
    _, cls = _OPERATORS[task.kind]
    lines = [f"    {task.var} = {cls}(\n", f"        task_id={json.dumps(task.var)},\n"]
    for key, value in task.args.items():
        if key == "script_args" and not value:
            continue
        lines.append(f"        {key}={literal(value, 8)},\n")
    if trigger_rule:
        lines.append(f"        trigger_rule={json.dumps(trigger_rule)},\n")
    lines.append("    )\n")
    return "".join(lines)


def _source_comment(task: Task, trigger_rule: str | None) -> str:
    if task.kind == "trigger":
        text = f"From {task.source}: runs its downstream tasks when its predicate holds."
    elif task.kind == "crawl_start":
        text = f"From {task.source}: start a crawl."
    elif task.kind == "crawl_wait":
        text = f"From {task.source}: wait for that crawl to end (its crawl state is what triggers watch)."
    else:
        text = f"From {task.source}: start a job run and wait for it to end."
    if task.started_by:
        text += f"\nStarted by trigger {', '.join(repr(t) for t in task.started_by)}."
    if trigger_rule:
        text += "\nSeveral triggers start it: it runs when any of them fires (once per DAG run)."
    return _comment(text, 4)


def _queue_variable(plan: WorkflowPlan) -> str:
    return f"{plan.dag_id.upper()}_EVENT_QUEUE_URL"


def _event_asset(plan: WorkflowPlan) -> str:
    """The event queue, its watcher and the asset it updates (glue_etl_event_flow's pattern)."""
    assert plan.event is not None
    queue = f"https://sqs.us-east-1.amazonaws.com/123456789012/{plan.dag_id}-events"
    comment = (
        f"From EVENT trigger {plan.event['trigger']!r}: the events go to this SQS queue. The triggerer "
        "reads it from the moment the DAG is unpaused, so it is fixed when the file is parsed."
    )
    return (
        _comment("\n".join(textwrap.wrap(comment, 98)), 0)
        + "EVENT_QUEUE_URL = os.environ.get(\n"
        + f"    {json.dumps(_queue_variable(plan))},\n"
        + f"    {json.dumps(queue)},\n"
        + ")\n"
        + "# Updated by each batch of events the watcher receives; it schedules the DAG.\n"
        + "EVENTS = Asset(\n"
        + f"    name={json.dumps(plan.dag_id + '_events')},\n"
        + "    watchers=[\n"
        + "        AssetWatcher(\n"
        + '            name="event_queue",\n'
        + "            trigger=MessageQueueTrigger(\n"
        + '                scheme="sqs",\n'
        + "                sqs_queue=EVENT_QUEUE_URL,\n"
        + '                aws_conn_id="aws_default",\n'
        + f"                max_messages={plan.event['max_messages']},\n"
        + "            ),\n"
        + "        ),\n"
        + "    ],\n"
        + ")\n\n"
    )


def render_dag(plan: WorkflowPlan) -> str:
    """The DAG file's text."""
    kinds = sorted({t.kind for t in plan.tasks})
    header = [f"{plan.dag_id}: the Glue workflow {plan.workflow!r}, imported by glue-flow import workflow."]
    if plan.description:
        header += ["", plan.description]
    if plan.cron:
        header += ["", f"Schedule: SCHEDULED trigger {plan.schedule_source!r}, in UTC as in Glue."]
    elif plan.event:
        text = (
            f"Schedule: EVENT trigger {plan.event['trigger']!r}: a run starts when events arrive. Point "
            f"the EventBridge rule that targeted the workflow at an SQS queue and set "
            f"{_queue_variable(plan)} to its URL. Batching: {plan.event['batching']}."
        )
        header += ["", *textwrap.wrap(text, 100, break_long_words=False, break_on_hyphens=False)]
    else:
        header += ["", "Schedule: none, runs are triggered (the workflow has no active SCHEDULED trigger)."]
    header += ["", *_ON_FAILURE[plan.on_failure]]
    left_out = [
        f"trigger {r['trigger']!r}: {r['became']}" for r in plan.triggers if r["became"].startswith("not")
    ]
    left_out += [
        f"{r['type'].lower()} {r['name']!r}: {r['became']}"
        for r in plan.nodes
        if isinstance(r["became"], str)
    ]
    if left_out:
        header += ["", "Not in this DAG:"] + [f"- {line}" for line in left_out]
    doc = (
        "\n".join(line.expandtabs(4).rstrip() for line in "\n".join(header).splitlines())
        .replace("\\", "\\\\")
        .replace('"""', '\\"\\"\\"')
    )
    out = [f'"""{doc}\n"""\n\n', "from __future__ import annotations\n\n"]
    airflow = ["from airflow.sdk import DAG\n"]
    if plan.event:
        out.append("import os\n\n")
        airflow = [
            "from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger\n",
            "from airflow.sdk import DAG, Asset, AssetWatcher\n",
        ]
    if plan.on_failure == "completed":
        airflow.insert(0, "from airflow.providers.standard.operators.empty import EmptyOperator\n")
    if plan.cron:
        airflow.append("from airflow.timetables.trigger import CronTriggerTimetable\n")
    out += [*airflow, "\n"]
    out += [
        f"from {_OPERATORS[k][0]} import {_OPERATORS[k][1]}\n"
        for k in sorted(kinds, key=lambda k: _OPERATORS[k][0])
    ]
    out.append("\n")
    if plan.event:
        out.append(_event_asset(plan))
    out.append("with DAG(\n")
    out.append(f"    dag_id={json.dumps(plan.dag_id)},\n")
    if plan.cron:
        out.append(f'    schedule=CronTriggerTimetable({json.dumps(plan.cron)}, timezone="UTC"),\n')
    elif plan.event:
        out.append("    schedule=[EVENTS],\n")
        out.append("    max_active_runs=1,\n")
    else:
        out.append("    schedule=None,\n")
    out.append("    catchup=False,\n")
    out.append('    tags=["glue-flow-import", "glue-workflow"],\n')
    if plan.params:
        out.append(_comment("The workflow's DefaultRunProperties.", 4))
        out.append(f"    params={literal(plan.params, 4)},\n")
    out.append(") as dag:\n")
    upstream_count = {t.var: sum(1 for u in t.upstream if u) for t in plan.tasks}
    edges: list[str] = []
    for task in plan.tasks:
        rule = "one_success" if upstream_count[task.var] > 1 else None
        out.append(_source_comment(task, rule))
        out.append(_task(task, rule))
        edges += [f"    {up} >> {task.var}\n" for up in task.upstream]
    if not plan.tasks:
        out.append("    pass  # no trigger of the workflow starts a job or crawler\n")
    if edges:
        out.append("\n" + _comment("Trigger actions and crawl waits.", 4) + "".join(edges))
    if plan.on_failure == "completed":
        out.append(_COMPLETED)
    return "".join(out)
