"""``import_asl``: a Step Functions state machine (ASL JSON) -> the DAG file's text and the report.

Pure translation like the Glue-workflow importer: no Airflow import and no AWS call. Lambda sources
(``<function-name>.py``) are read, never run, to recognise Lambda-wrapped Glue crawler loops.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_glue_flow.importers.asl.model import AslImportError
from airflow_glue_flow.importers.asl.plan import Planner
from airflow_glue_flow.importers.asl.render import render_dag

__all__ = ["AslImport", "AslImportError", "import_asl"]


@dataclass(frozen=True)
class AslImport:
    """The generated DAG file and the report (a JSON-ready dict)."""

    dag_source: str
    report: dict[str, Any]

    def report_text(self) -> str:
        """The report as the CLI prints it: a table of states, then params, flags and fields left out."""
        rows = self.report["states"]
        width = max([len("state"), *(len(r["state"]) for r in rows)])
        lines = [f"State machine {self.report['source']} -> DAG {self.report['dag_id']!r}", ""]
        lines.append(f"{'state'.ljust(width)}  became")
        lines.append(f"{'-' * width}  {'-' * 6}")
        lines += [f"{r['state'].ljust(width)}  {r['became']}" for r in rows]
        if self.report["params"]:
            lines += ["", "DAG params:"] + [f"  {n}: {s}" for n, s in self.report["params"].items()]
        if self.report["flags"]:
            lines += ["", "Differs from the original:"] + [f"  {f}" for f in self.report["flags"]]
        if self.report["not_carried"]:
            lines += ["", "Not carried:"] + [f"  {p}" for p in self.report["not_carried"]]
        return "\n".join(lines) + "\n"


def resolve_resources(document: dict[str, Any], resources: dict[str, str]) -> dict[str, Any]:
    """``document`` with each ``${NAME}`` of a Task's Resource replaced by ``resources[NAME]``."""

    def walk(states: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for state, definition in states.items():
            definition = dict(definition)
            resource = definition.get("Resource")
            if isinstance(resource, str):
                for key, arn in resources.items():
                    resource = resource.replace("${" + key + "}", arn)
                definition["Resource"] = resource
            for key in ("Iterator", "ItemProcessor"):
                if key in definition:
                    definition[key] = {**definition[key], "States": walk(definition[key]["States"])}
            if "Branches" in definition:
                definition["Branches"] = [{**b, "States": walk(b["States"])} for b in definition["Branches"]]
            out[state] = definition
        return out

    return {**document, "States": walk(document["States"])}


def import_asl(
    document: dict[str, Any],
    *,
    name: str = "state_machine",
    dag_id: str | None = None,
    lambda_source: Path | None = None,
    allow_partial: bool = False,
    resources: dict[str, str] | None = None,
) -> AslImport:
    """Translate a state machine definition into a DAG file and a report.

    :param document: the definition (``aws stepfunctions describe-state-machine``'s ``definition``).
    :param name: the state machine's name (the default DAG id, and the header).
    :param dag_id: the DAG id.
    :param lambda_source: a directory of ``<function-name>.py`` Lambda sources.
    :param allow_partial: write a failing task for each state with no translation instead of raising.
    :param resources: template placeholder -> ARN, for Task Resources such as ``${invoke_crawler_function}``.
    :raises AslImportError: a construct with no translation; the message names the state and construct.
    """
    if resources:
        document = resolve_resources(document, resources)
    plan = Planner(lambda_source, allow_partial).plan(document, dag_id, name)
    report = {
        "source": name,
        "dag_id": plan.dag_id,
        "states": plan.states,
        "params": {n: s["source"] for n, s in plan.params.items()},
        "flags": plan.flags,
        "not_carried": plan.not_carried,
    }
    return AslImport(render_dag(plan, repr(name)), report)
