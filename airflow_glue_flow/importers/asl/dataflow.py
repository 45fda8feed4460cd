"""Which fields of a state's data still hold the execution input's values.

The generated DAG reads ``$.path`` fields (a Choice's ``Variable``, a Map's ``ItemsPath``, a crawler's
``Name.$``) from the execution input: the run's conf over its params. That is exact when no state on the
way wrote that path (Wait, Choice and a plain Pass write nothing, ``ResultPath: null`` nothing,
``ResultPath: $.x`` only ``$.x``); after a state that replaced the data, or wrote the path read, it is an
approximation, and the DAG header says so.
https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultpath.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from airflow_glue_flow.importers.asl.loops import successors


@dataclass(frozen=True)
class Written:
    """What earlier states did to a state's data: the paths they wrote into it, and, once a state
    replaced the data, the top-level keys still holding the execution input's values (None: all)."""

    paths: frozenset[str] = frozenset()
    kept: frozenset[str] | None = None

    def reads_input(self, path: str) -> bool:
        """Whether ``path`` of the data still holds the execution input's value."""
        top = path[2:].split(".")[0].split("[")[0] if path.startswith("$.") else ""
        if self.kept is not None and top not in self.kept:
            return False
        return not any(
            path == w or path.startswith((w + ".", w + "[")) or w.startswith((path + ".", path + "["))
            for w in self.paths
        )

    def then(self, definition: dict[str, Any], result: Any = "$") -> Written:
        """After a state (or, with ``result``, a Catch with that ResultPath) passes the data on."""
        kind = definition.get("Type")
        if "OutputPath" in definition:
            return Written(frozenset(), frozenset())
        if kind in ("Wait", "Choice", "Succeed", "Fail") or result is None:
            return self
        if kind == "Pass" and not any(key in definition for key in ("Result", "Parameters")):
            return self
        result = definition.get("ResultPath", "$") if result == "$" else result
        if result is None:
            return self
        if isinstance(result, str) and result.startswith("$."):
            return Written(self.paths | {result}, self.kept)
        copies = definition.get("Parameters") if kind == "Pass" and result == "$" else None
        kept = {k[:-2] for k, v in (copies or {}).items() if k.endswith(".$") and v == "$." + k[:-2]}
        return Written(frozenset(), frozenset(k for k in kept if self.reads_input("$." + k)))

    def join(self, other: Written) -> Written:
        """The data of a state reached both ways."""
        if self.kept is None or other.kept is None:
            kept = self.kept if other.kept is None else other.kept
        else:
            kept = self.kept & other.kept
        return Written(self.paths | other.paths, kept)


#: The data of a state nothing is known of (not reached from its scope's start).
UNKNOWN = Written(frozenset(), frozenset())


def written(states: dict[str, Any], start: str | None, inherited: Written) -> dict[str, Written]:
    """For each state of one scope reached from ``start``: what happened to its data since the execution
    input (``inherited``: what happened before the scope began)."""
    if start not in states:
        return {}
    found: dict[str, Written] = {start: inherited}
    stack = [start]
    while stack:
        state = stack.pop()
        definition = states[state]
        for nxt, kind, catcher in successors(definition):
            if nxt not in states:
                continue
            if kind == "catch":
                value = found[state].then({"Type": "Task"}, (catcher or {}).get("ResultPath", "$"))
            else:
                value = found[state].then(definition)
            if nxt in found:
                value = found[nxt].join(value)
            if nxt not in found or value != found[nxt]:
                found[nxt] = value
                stack.append(nxt)
    return found
