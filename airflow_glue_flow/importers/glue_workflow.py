"""A Glue workflow graph (``aws glue get-workflow --include-graph``) as a plan of Airflow tasks.

Trigger semantics follow AWS: a workflow run starts with its ON_DEMAND, SCHEDULED or EVENT trigger; each
CONDITIONAL trigger starts its actions when its predicate (``AND``/``ANY`` over job run and crawl states)
holds; a job or crawler that is the action of several triggers runs when any of them fires; only
ACTIVATED conditional and scheduled triggers fire (ON_DEMAND triggers stay CREATED and still start runs).
https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
https://docs.aws.amazon.com/glue/latest/webapi/API_Trigger.html
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_glue_flow.importers.aws_cron import AwsCronError, aws_cron_to_cron
from airflow_glue_flow.importers.names import NameAllocator

#: The task id of the last task of an ``on_failure="completed"`` DAG.
COMPLETED_TASK_ID = "glue_workflow_completed"


class ImportError_(ValueError):  # noqa: N801 - ``ImportError`` is a builtin
    """The workflow cannot be translated; the message names the trigger or node."""


@dataclass
class Task:
    """One task of the generated DAG."""

    var: str
    kind: str  # "job", "crawl_start", "crawl_wait", "trigger"
    source: str  # the Glue node or trigger it comes from, for the comment
    args: dict[str, Any] = field(default_factory=dict)
    upstream: list[str] = field(default_factory=list)
    started_by: list[str] = field(default_factory=list)  # the Glue triggers that start it


@dataclass
class WorkflowPlan:
    """The tasks in definition order, the DAG's schedule and the report rows."""

    workflow: str
    description: str
    dag_id: str
    cron: str | None
    schedule_source: str
    params: dict[str, str]
    tasks: list[Task]
    triggers: list[dict[str, Any]]
    nodes: list[dict[str, Any]]
    #: A run in which a step failed: ``strict`` fails it, ``completed`` succeeds as Glue's COMPLETED does.
    on_failure: str = "strict"
    #: The EVENT trigger that starts runs: its name, the queue receive size and how batching maps.
    event: dict[str, Any] | None = None


def _trigger_nodes(graph: dict[str, Any]) -> list[dict[str, Any]]:
    return [n["TriggerDetails"]["Trigger"] for n in graph.get("Nodes", []) if n.get("Type") == "TRIGGER"]


def _key(kind: str, name: str) -> tuple[str, str]:
    return (kind, name)


def _action_key(trigger: str, action: dict[str, Any]) -> tuple[str, str]:
    if "JobName" in action:
        return _key("JOB", action["JobName"])
    if "CrawlerName" in action:
        return _key("CRAWLER", action["CrawlerName"])
    raise ImportError_(f"trigger {trigger!r}: an action names neither JobName nor CrawlerName: {action}")


def _condition(trigger: str, condition: dict[str, Any]) -> tuple[tuple[str, str], str]:
    if condition.get("LogicalOperator", "EQUALS") != "EQUALS":
        raise ImportError_(f"trigger {trigger!r}: LogicalOperator {condition['LogicalOperator']!r}")
    if "JobName" in condition:
        return _key("JOB", condition["JobName"]), condition["State"]
    if "CrawlerName" in condition:
        return _key("CRAWLER", condition["CrawlerName"]), condition["CrawlState"]
    raise ImportError_(f"trigger {trigger!r}: a condition names neither JobName nor CrawlerName")


def plan_workflow(document: dict[str, Any], dag_id: str | None = None) -> WorkflowPlan:
    """Translate a ``get-workflow --include-graph`` response (or its ``Workflow``) into a task plan.

    :raises ImportError_: a construct that has no translation, naming the trigger or node.
    """
    workflow = document.get("Workflow", document)
    name = workflow.get("Name") or "glue_workflow"
    graph = workflow.get("Graph") or {}
    names = NameAllocator({"dag", COMPLETED_TASK_ID})
    dag_id = dag_id or names.allocate(name)
    triggers = _trigger_nodes(graph)
    order = {
        _key(n["Type"], n["Name"]): i for i, n in enumerate(graph.get("Nodes", [])) if n["Type"] != "TRIGGER"
    }
    report_triggers: list[dict[str, Any]] = []
    cron, schedule_source = None, ""
    event: dict[str, Any] | None = None
    started: dict[tuple[str, str], list[str]] = {}  # node -> the triggers that start it
    action_args: dict[tuple[str, str], tuple[str, dict[str, str]]] = {}
    conditional: list[dict[str, Any]] = []
    for trigger in triggers:
        tname, ttype, state = trigger["Name"], trigger["Type"], trigger.get("State", "ACTIVATED")
        row: dict[str, Any] = {"trigger": tname, "type": ttype, "state": state}
        report_triggers.append(row)
        actions = [_action_key(tname, a) for a in trigger.get("Actions", [])]
        for action, key in zip(trigger.get("Actions", []), actions, strict=True):
            order.setdefault(key, len(order))
            args = action.get("Arguments") or {}
            if key in action_args and action_args[key][1] != args:
                raise ImportError_(
                    f"trigger {tname!r} starts {key[1]!r} with other Arguments than trigger "
                    f"{action_args[key][0]!r}: one task cannot carry both"
                )
            action_args.setdefault(key, (tname, args))
            dropped = sorted(k for k in action if k not in ("JobName", "CrawlerName", "Arguments"))
            if dropped:
                row.setdefault("not_carried", []).append({key[1]: dropped})
        if ttype != "ON_DEMAND" and state != "ACTIVATED":
            row["became"] = f"not wired in: state {state}, not ACTIVATED, so it never fires"
            continue
        if ttype == "CONDITIONAL":
            conditional.append(trigger)
            continue
        if ttype == "SCHEDULED":
            if cron is not None:
                raise ImportError_(
                    f"trigger {tname!r}: a second SCHEDULED trigger ({schedule_source!r} is one)"
                )
            try:
                cron = aws_cron_to_cron(trigger.get("Schedule", ""))
            except AwsCronError as err:
                raise ImportError_(f"trigger {tname!r}: {err}") from None
            schedule_source = tname
            row["became"] = f"the DAG's schedule: CronTriggerTimetable({cron!r}, timezone='UTC')"
        elif ttype == "ON_DEMAND":
            row["became"] = "a manual DAG run (the UI's Trigger button, airflow dags trigger, the REST API)"
        elif ttype == "EVENT":
            if event is not None:
                raise ImportError_(f"trigger {tname!r}: a second EVENT trigger ({event['trigger']!r} is one)")
            event = _event(trigger)
            row["became"] = (
                "the DAG's schedule: the events go to an SQS queue whose watcher updates an asset "
                f"(glue_etl_event_flow's pattern); batching: {event['batching']}"
            )
        else:
            raise ImportError_(f"trigger {tname!r}: unknown trigger type {ttype!r}")
        for key in actions:
            started.setdefault(key, []).append(tname)
    if cron is not None and event is not None:
        raise ImportError_(
            f"trigger {event['trigger']!r}: EVENT and SCHEDULED trigger {schedule_source!r} both start "
            "the workflow; a DAG has one schedule"
        )
    plan = _wire(
        workflow,
        name,
        dag_id,
        names,
        cron,
        schedule_source,
        started,
        conditional,
        order,
        action_args,
        report_triggers,
    )
    plan.event = event
    return plan


def _event(trigger: dict[str, Any]) -> dict[str, Any]:
    """An EVENT trigger's name and batching, and how the DAG's event queue approximates it.

    Glue starts a run when ``BatchSize`` events arrived or ``BatchWindow`` seconds (default 900) passed
    since the first; without EventBatchingCondition, at each event.
    https://docs.aws.amazon.com/glue/latest/webapi/API_EventBatchingCondition.html
    """
    condition = trigger.get("EventBatchingCondition") or {}
    size, window = int(condition.get("BatchSize") or 1), int(condition.get("BatchWindow") or 900)
    receive = min(size, 10)  # an SQS receive takes at most 10 messages
    glue = f"EventBatchingCondition BatchSize {size}, BatchWindow {window} s" if condition else "none"
    batching = (
        f"{glue} in Glue; here each receive of up to {receive} message(s) is one asset event, events "
        "that arrive while a run is busy start the next run (max_active_runs=1), and no window is waited"
    )
    return {"trigger": trigger["Name"], "max_messages": receive, "batching": batching}


def _ancestors(by_var: dict[str, Task], var: str) -> set[str]:
    seen: set[str] = set()
    stack = [var]
    while stack:
        task = by_var[stack.pop()]
        for up in task.upstream + [c["task_id"] for c in task.args.get("conditions", [])]:
            if up not in seen:
                seen.add(up)
                stack.append(up)
    return seen


def _wire(
    workflow: dict[str, Any],
    name: str,
    dag_id: str,
    names: NameAllocator,
    cron: str | None,
    schedule_source: str,
    started: dict[tuple[str, str], list[str]],
    conditional: list[dict[str, Any]],
    order: dict[tuple[str, str], int],
    action_args: dict[tuple[str, str], tuple[str, dict[str, str]]],
    report_triggers: list[dict[str, Any]],
) -> WorkflowPlan:
    tasks: list[Task] = []
    node_tasks: dict[tuple[str, str], tuple[str, str]] = {}  # node -> (first task, watched task)
    by_var: dict[str, Task] = {}
    rows = {row["trigger"]: row for row in report_triggers}

    def emit(key: tuple[str, str], upstream: list[str], started_by: list[str]) -> None:
        kind, node = key
        args = action_args.get(key, ("", {}))[1]
        if kind == "JOB":
            var = names.allocate(node)
            task = Task(var, "job", f"job {node!r}", {"job_name": node, "script_args": args}, upstream)
            tasks.append(task)
            node_tasks[key] = (var, var)
        else:
            start, wait = names.allocate(node, "start_"), names.allocate(node, "crawl_")
            tasks.append(Task(start, "crawl_start", f"crawler {node!r}", {"crawler_name": node}, upstream))
            tasks.append(Task(wait, "crawl_wait", f"crawler {node!r}", {"crawler_name": node}, [start]))
            node_tasks[key] = (start, wait)
        tasks[-1 if kind == "JOB" else -2].started_by.extend(started_by)
        by_var.update({t.var: t for t in tasks})

    for key in sorted(started, key=lambda k: order[k]):
        emit(key, [], started[key])
    pending = list(conditional)
    while True:
        ready = []
        for trigger in pending:
            conds = [
                _condition(trigger["Name"], c) for c in trigger.get("Predicate", {}).get("Conditions", [])
            ]
            logical = trigger.get("Predicate", {}).get("Logical", "AND")
            present = [c for c in conds if c[0] in node_tasks]
            if conds and ((logical == "ANY" and present) or len(present) == len(conds)):
                ready.append((trigger, logical, conds, present))
        if not ready:
            break
        for trigger, logical, conds, present in ready:
            pending.remove(trigger)
            tname = trigger["Name"]
            var = names.allocate(tname, "when_")
            conditions = [{"task_id": node_tasks[k][1], "state": s} for k, s in present]
            logical_arg = "ANY" if logical == "ANY" else "ALL"
            tasks.append(
                Task(var, "trigger", f"trigger {tname!r}", {"logical": logical_arg, "conditions": conditions})
            )
            by_var[var] = tasks[-1]
            row = rows[tname]
            row["became"] = (
                f"GlueConditionalTriggerSensor {var!r} ({logical_arg} of {len(present)} conditions)"
            )
            if len(present) < len(conds):
                row["dropped_conditions"] = [k[1] for k, _ in conds if k not in node_tasks]
            for key in (_action_key(tname, a) for a in trigger.get("Actions", [])):
                if key in started:
                    raise ImportError_(
                        f"trigger {tname!r} starts {key[1]!r}, which trigger {started[key][0]!r} starts too "
                        "at the workflow's start: a DAG task runs once per run"
                    )
                if key in node_tasks:
                    first = by_var[node_tasks[key][0]]
                    if first.var in _ancestors(by_var, var):
                        raise ImportError_(
                            f"trigger {tname!r} starts {key[1]!r}, which it waits for: a cycle"
                        )
                    first.upstream.append(var)
                    first.started_by.append(tname)
                else:
                    emit(key, [var], [tname])
    for trigger in pending:
        rows[trigger["Name"]]["became"] = "not wired in: its conditions watch nodes that never run"
    report_nodes = []
    for key in sorted(order, key=lambda k: order[k]):
        kind, node = key
        became = list(dict.fromkeys(node_tasks[key])) if key in node_tasks else []
        report_nodes.append(
            {"type": kind, "name": node, "became": became or "left out: no wired trigger starts it"}
        )
    params = {str(k): str(v) for k, v in sorted((workflow.get("DefaultRunProperties") or {}).items())}
    return WorkflowPlan(
        name,
        workflow.get("Description", ""),
        dag_id,
        cron,
        schedule_source,
        params,
        tasks,
        report_triggers,
        report_nodes,
    )
