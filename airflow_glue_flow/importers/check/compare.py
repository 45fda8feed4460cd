"""Compare what the two sides of one scenario did, row by row, and print the rows as a table.

A row is one compared item: each distinct call (how many times each side made it), the order of the calls,
each job's and crawler's final state and run count, the overall outcome, and the S3 objects written. Its
verdict is ``same``, ``DIFFERENT``, or ``declared`` when the DAG file's header declares that difference.
What is expected of the outcome and which differences are declared are the :class:`Rules` of the original's
kind: for a Glue workflow :func:`workflow_rules` (``On failure: strict``: a run in which a step failed
fails, where Glue says COMPLETED; ``On failure: completed``: it succeeds, as Glue's COMPLETED does); for a
state machine :mod:`.declared`.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from airflow_glue_flow.importers.check.observe import Observation

SAME, DIFFERENT, DECLARED = "same", "DIFFERENT", "declared"
_ON_FAILURE = re.compile(r"^On failure: (strict|completed)\b", re.MULTILINE)


@dataclass(frozen=True)
class Row:
    """One compared item of one scenario."""

    scenario: str
    item: str
    original: str
    dag: str
    verdict: str


@dataclass(frozen=True)
class Rules:
    """How the rows of one kind of original are judged.

    :param outcome: the verdict of the outcome row, from the original's and the DAG's observations.
    :param declared: the declaration (as the verdict shows it) that covers a differing row of a scenario,
        given the scenario and the row's item; None when the DAG's header declares none.
    """

    outcome: Callable[[Observation, Observation], str]
    declared: Callable[[str, str], str | None] = lambda scenario, item: None


def workflow_rules(on_failure: str | None) -> Rules:
    """The rules of a Glue workflow whose DAG header declares ``on_failure`` (``strict``, ``completed``)."""

    def outcome(original: Observation, dag: Observation) -> str:
        # Glue: a run is COMPLETED even when a step failed; the DAG fails then (strict) or succeeds
        # (completed), as its header declares. Without a declaration it must do what Glue does.
        completed = original.outcome.startswith("COMPLETED")
        expected = completed and (not original.step_failed or on_failure != "strict")
        if dag.succeeded != expected:
            return DIFFERENT
        if completed and original.step_failed and on_failure:
            return f"{DECLARED} ({on_failure})"
        return SAME

    return Rules(outcome)


def declared_on_failure(dag_source: str) -> str | None:
    """``strict`` or ``completed``: what the DAG file's header declares for a run in which a step failed."""
    try:
        doc = ast.get_docstring(ast.parse(dag_source)) or ""
    except SyntaxError:
        return None
    match = _ON_FAILURE.search(doc)
    return match.group(1) if match else None


def _order_difference(original: Observation, dag: Observation) -> str | None:
    """The first pair the original ran one after the other (the second started after the first ended)
    that the DAG ran the other way round, as text; None when there is none."""
    positions: dict[tuple[str, int], int] = {}
    seen: Counter[str] = Counter()
    for index, call in enumerate(dag.calls):
        positions[(call, seen[call])] = index
        seen[call] += 1
    occurrence: list[tuple[str, int]] = []
    seen.clear()
    for call in original.calls:
        occurrence.append((call, seen[call]))
        seen[call] += 1
    for first, later in sorted(original.after):
        a, b = positions.get(occurrence[first]), positions.get(occurrence[later])
        if a is not None and b is not None and a > b:
            return f"{original.calls[later]} after {original.calls[first]} ended; the DAG made it before"
    return None


def _state(value: tuple[str, int] | None) -> str:
    return "not run" if value is None else f"{value[0]} x{value[1]}"


def compare(scenario: str, original: Observation, dag: Observation, rules: Rules | str | None) -> list[Row]:
    """The rows of one scenario; ``rules`` as a string or None is a Glue workflow's ``On failure``."""
    if not isinstance(rules, Rules):
        rules = workflow_rules(rules)
    rows: list[Row] = []

    def row(item: str, left: str, right: str, verdict: str | None = None) -> None:
        verdict = verdict or (SAME if left == right else DIFFERENT)
        if verdict == DIFFERENT:
            declaration = rules.declared(scenario, item)
            verdict = f"{DECLARED} ({declaration})" if declaration else verdict
        rows.append(Row(scenario, item, left, right, verdict))

    left_calls, right_calls = Counter(original.calls), Counter(dag.calls)
    for call in sorted(set(left_calls) | set(right_calls)):
        row(call, f"x{left_calls[call]}", f"x{right_calls[call]}")
    order = _order_difference(original, dag)
    row("order of the calls", "as started", order or "as started")
    for name in sorted(set(original.jobs) | set(dag.jobs)):
        row(f"job {name}", _state(original.jobs.get(name)), _state(dag.jobs.get(name)))
    for name in sorted(set(original.crawls) | set(dag.crawls)):
        row(f"crawl {name}", _state(original.crawls.get(name)), _state(dag.crawls.get(name)))
    row("outcome", original.outcome, dag.outcome, rules.outcome(original, dag))
    written = sorted(set(original.s3) | set(dag.s3))
    differing = [uri for uri in written if original.s3.get(uri) != dag.s3.get(uri)]
    row("S3 objects written", str(len(original.s3)), str(len(dag.s3)), DIFFERENT if differing else SAME)
    for uri in differing:
        row(uri, original.s3.get(uri, "-"), dag.s3.get(uri, "-"))
    return rows


def table(rows: list[Row], original: str = "Glue workflow") -> str:
    """The rows as a plain-text table with a header line; ``original`` names the original's kind."""
    header = Row("scenario", "item", f"original ({original})", "generated DAG", "verdict")
    cells = [header, *rows]
    widths = [max(len(str(getattr(r, f))) for r in cells) for f in Row.__dataclass_fields__]
    lines = []
    for index, r in enumerate(cells):
        values = [str(getattr(r, f)) for f in Row.__dataclass_fields__]
        lines.append("  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
