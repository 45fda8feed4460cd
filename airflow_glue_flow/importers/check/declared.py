"""Which differences between a state machine and its DAG the DAG file's header declares.

``glue-flow import asl`` writes the DAG's known differences into the module docstring: the sentence
:data:`CAUGHT` (a caught error runs the Catch target, yet the DAG run ends failed) and, under
:data:`FLAGS_HEADING`, one ``- 'State': ...`` line per flagged state. The check reads them back:

- :data:`CAUGHT`: the outcome row of a scenario in which the execution SUCCEEDED after a state failed
  (an error it went on after) while the DAG run failed;
- a flag that the original checks only ``Crawler.State`` (:data:`STATE_ONLY`): every row of the scenario
  in which that loop's crawl fails (the original went on after the FAILED crawl, the DAG stops there).
  The loop's crawler is the ``crawler_name`` of the task the flagged state became.

Any other difference is undeclared.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from airflow_glue_flow.importers.check.compare import DECLARED, DIFFERENT, SAME, Rules
from airflow_glue_flow.importers.check.observe import Observation

#: The header's sentence on caught errors.
CAUGHT = "A caught error runs the Catch target; the run still ends failed in Airflow."
#: The heading of the header's list of flagged states.
FLAGS_HEADING = "Behaviour that differs from the original:"
#: The words of a crawler loop's flag that reads only Crawler.State.
STATE_ONLY = "checks only Crawler.State"
_QUOTED = re.compile(r"^'((?:[^'\\]|\\.)*)'")


def header(dag_source: str) -> str:
    """The DAG file's module docstring ("" when the file does not parse)."""
    try:
        return ast.get_docstring(ast.parse(dag_source)) or ""
    except SyntaxError:
        return ""


def header_flags(doc: str) -> list[str]:
    """The ``- ...`` lines under :data:`FLAGS_HEADING`, without the dash."""
    lines = doc.splitlines()
    if FLAGS_HEADING not in lines:
        return []
    flags = []
    for line in lines[lines.index(FLAGS_HEADING) + 1 :]:
        if not line.startswith("- "):
            break
        flags.append(line[2:])
    return flags


def task_arguments(dag_source: str) -> dict[str, dict[str, Any]]:
    """task_id -> the literal keyword arguments of the operator call that makes the task."""
    tasks: dict[str, dict[str, Any]] = {}
    try:
        tree = ast.parse(dag_source)
    except SyntaxError:
        return tasks
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        keywords = {}
        for keyword in node.keywords:
            try:
                keywords[keyword.arg] = ast.literal_eval(keyword.value)
            except ValueError:
                continue
        if isinstance(keywords.get("task_id"), str):
            tasks[keywords["task_id"]] = {k: v for k, v in keywords.items() if k}
    return tasks


def state_machine_rules(dag_source: str, became: dict[str, str]) -> Rules:
    """The rules of a state machine whose DAG file is ``dag_source``.

    :param became: state name -> the task id it became (the import's report).
    """
    doc, tasks = header(dag_source), task_arguments(dag_source)
    state_only: dict[str, str] = {}  # crawler -> the flag
    for flag in header_flags(doc):
        quoted = _QUOTED.match(flag)
        if STATE_ONLY not in flag or quoted is None:
            continue
        crawler = tasks.get(became.get(quoted.group(1), ""), {}).get("crawler_name")
        if isinstance(crawler, str):
            state_only[crawler] = f"{quoted.group(1)!r} {STATE_ONLY}"

    def outcome(original: Observation, dag: Observation) -> str:
        if original.succeeded == dag.succeeded:
            return SAME
        if original.succeeded and original.caught and CAUGHT in doc:
            return f"{DECLARED} (a caught {original.caught[-1]}: the DAG run fails)"
        return DIFFERENT

    def declared(scenario: str, item: str) -> str | None:
        for crawler, flag in state_only.items():
            if scenario == f"crawl {crawler} fails":
                return flag
        return None

    return Rules(outcome, declared)
