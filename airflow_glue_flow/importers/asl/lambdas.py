"""What a Lambda's Python source does, as far as a state machine's Glue idioms need it.

Read with :mod:`ast`, never run: which Glue calls it makes (``start_crawler``, ``get_crawler``,
``start_job_run``, ``get_job_run``) on which literal names, whether a ``get_crawler`` result is read only for
``Crawler.State`` (never ``LastCrawl.Status``), and whether the handler returns a constant or
``event[KEY] + 1`` (a counter).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

_GLUE_CALLS = ("start_crawler", "get_crawler", "start_job_run", "get_job_run")


@dataclass(frozen=True)
class LambdaFacts:
    """The Glue calls of one Lambda and what its handler returns."""

    function: str
    calls: dict[str, str | None] = field(default_factory=dict)  # call -> the literal Name/JobName
    reads_last_crawl: bool = False
    returns_constant: int | None = None
    increments: str | None = None  # the event key it returns plus one

    def describe(self) -> str:
        """One line for comments and the report."""
        parts = [f"{call}({name!r})" for call, name in self.calls.items()]
        if self.increments is not None:
            parts.append(f"returns event[{self.increments!r}] + 1")
        elif self.returns_constant is not None:
            parts.append(f"returns {self.returns_constant}")
        return f"Lambda {self.function!r}: " + (", ".join(parts) or "no Glue call recognised")


def _name_argument(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg in ("Name", "JobName") and isinstance(keyword.value, ast.Constant):
            return str(keyword.value.value)
    return None


def _returned(node: ast.Return) -> tuple[int | None, str | None]:
    value = node.value
    if isinstance(value, ast.Constant) and isinstance(value.value, int):
        return value.value, None
    return None, None


def analyse(function: str, source: str) -> LambdaFacts:
    """The facts of one Lambda's source (a syntax error gives facts with no call)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return LambdaFacts(function)
    calls: dict[str, str | None] = {}
    constant: int | None = None
    increments: str | None = None
    # Names bound to ``event["KEY"]``, for ``count = event["KEY"]; count = count + 1; return count``.
    from_event: dict[str, str] = {}
    plus_one: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in _GLUE_CALLS:
                calls.setdefault(node.func.attr, _name_argument(node))
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if not isinstance(target, ast.Name):
                continue
            if (
                isinstance(value, ast.Subscript)
                and isinstance(value.value, ast.Name)
                and value.value.id == "event"
                and isinstance(value.slice, ast.Constant)
            ):
                from_event[target.id] = str(value.slice.value)
            elif _is_plus_one(value, target.id):
                plus_one.add(target.id)
        elif isinstance(node, ast.Return):
            number, _ = _returned(node)
            constant = number if number is not None else constant
            if isinstance(node.value, ast.Name) and node.value.id in plus_one & set(from_event):
                increments = from_event[node.value.id]
    reads_last_crawl = "LastCrawl" in source
    return LambdaFacts(function, calls, reads_last_crawl, constant, increments)


def _is_plus_one(value: ast.expr, name: str) -> bool:
    return (
        isinstance(value, ast.BinOp)
        and isinstance(value.op, ast.Add)
        and isinstance(value.left, ast.Name)
        and value.left.id == name
        and isinstance(value.right, ast.Constant)
        and value.right.value == 1
    )


def load(directory: Path | None, function: str) -> LambdaFacts | None:
    """The facts of ``DIRECTORY/<function>.py``, or None when there is no such file."""
    if directory is None:
        return None
    path = directory / f"{function}.py"
    if not path.is_file():
        return None
    return analyse(function, path.read_text(encoding="utf-8"))
