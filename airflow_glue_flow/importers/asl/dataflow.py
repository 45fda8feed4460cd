"""Which states of a state machine still see the execution input as their data.

The generated DAG reads ``$.path`` fields (a Choice's ``Variable``, a Map's ``ItemsPath``, a crawler's
``Name.$``) from the execution input: the run's conf over its params. That is exact for a state every path
to which keeps the data as it came in (Wait, Choice, a Pass without Parameters/Result, a Task with
``ResultPath: null``); after a state that replaces or adds to the data, it is an approximation, and the
DAG header says so. https://docs.aws.amazon.com/step-functions/latest/dg/concepts-input-output-filtering.html
"""

from __future__ import annotations

from typing import Any

from airflow_glue_flow.importers.asl.loops import successors

_PATHS = ("InputPath", "OutputPath")


def keeps_data(definition: dict[str, Any]) -> bool:
    """Whether a state's output is its input, unchanged."""
    kind = definition.get("Type")
    if any(key in definition for key in _PATHS):
        return False
    if kind in ("Wait", "Choice", "Succeed", "Fail"):
        return True
    if kind == "Pass":
        return not any(key in definition for key in ("Result", "Parameters", "ResultPath"))
    return "ResultPath" in definition and definition["ResultPath"] is None


def input_states(states: dict[str, Any], start: str | None, inherited: bool) -> set[str]:
    """The states of one scope whose data is the execution input (none unless ``inherited``)."""
    if not inherited or start not in states:
        return set()
    changed: set[str] = set()
    reached, stack = {start}, [start]
    while stack:
        state = stack.pop()
        definition = states[state]
        for nxt, kind, catcher in successors(definition):
            if nxt not in states:
                continue
            keeps = keeps_data(definition) and state not in changed
            if kind == "catch":
                keeps = state not in changed and (catcher or {}).get("ResultPath", "$") is None
            if not keeps and nxt not in changed:
                changed.add(nxt)
                stack.append(nxt)
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    return reached - changed
