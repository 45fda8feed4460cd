"""``import_workflow``: a Glue workflow graph -> the DAG file's text and the report of what became what."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_glue_flow.importers.glue_workflow import plan_workflow
from airflow_glue_flow.importers.render import render_dag


@dataclass(frozen=True)
class WorkflowImport:
    """The generated DAG file and the report (a JSON-ready dict)."""

    dag_source: str
    report: dict[str, Any]

    def report_text(self) -> str:
        """The report as the CLI prints it: one line per trigger and per node."""
        lines = [f"Glue workflow {self.report['workflow']!r} -> DAG {self.report['dag_id']!r}", "Triggers:"]
        for row in self.report["triggers"]:
            lines.append(f"  {row['trigger']} ({row['type']}, {row['state']}): {row['became']}")
            for item in row.get("not_carried", []):
                for node, keys in item.items():
                    lines.append(f"    action {node}: not carried: {', '.join(keys)}")
            if row.get("dropped_conditions"):
                lines.append(f"    conditions left out (never run): {', '.join(row['dropped_conditions'])}")
        lines.append("Nodes:")
        for row in self.report["nodes"]:
            became = row["became"] if isinstance(row["became"], str) else " + ".join(row["became"])
            lines.append(f"  {row['type']} {row['name']}: {became}")
        if self.report["params"]:
            lines.append(f"Run properties -> DAG params: {', '.join(self.report['params'])}")
        return "\n".join(lines) + "\n"


#: The choices of ``on_failure``.
ON_FAILURE = ("strict", "completed")


def import_workflow(
    document: dict[str, Any], dag_id: str | None = None, on_failure: str = "strict"
) -> WorkflowImport:
    """Translate ``aws glue get-workflow --include-graph`` output into a DAG file and a report.

    :param document: the response, or its ``Workflow``.
    :param dag_id: the DAG id (default: the workflow's name as an identifier).
    :param on_failure: a run in which a job run or crawl failed: ``strict`` fails the DAG run;
        ``completed`` lets it succeed once every task has ended, as a Glue workflow run is COMPLETED.
    :raises ImportError_: a construct with no translation; the message names the trigger or node.
    :raises ValueError: ``on_failure`` is not one of :data:`ON_FAILURE`.
    """
    if on_failure not in ON_FAILURE:
        raise ValueError(f"on_failure {on_failure!r} is not one of {', '.join(ON_FAILURE)}")
    plan = plan_workflow(document, dag_id)
    plan.on_failure = on_failure
    report = {
        "workflow": plan.workflow,
        "dag_id": plan.dag_id,
        "schedule": plan.cron,
        "triggers": plan.triggers,
        "nodes": plan.nodes,
        "params": sorted(plan.params),
        "on_failure": on_failure,
    }
    return WorkflowImport(render_dag(plan), report)
