"""Cycles of a state graph, and the Glue poll loops among them.

A poll loop is a cycle of a Wait, a status read (``aws-sdk:glue:getCrawler`` / ``getJobRun``, or a Lambda
whose source calls ``get_crawler``), Choices and an optional counter (a Lambda returning
``event[KEY] + 1``), entered from the state that started the crawl or run. It becomes the provider's wait:
the Wait's time, and the checks the counter allows (``NumericGreaterThan L`` on a counter starting at
``c0``: ``L - c0 + 1`` checks).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from airflow_glue_flow.importers.asl.lambdas import LambdaFacts, load
from airflow_glue_flow.importers.asl.model import AslImportError, Params
from airflow_glue_flow.importers.asl.tasks import lambda_function

#: Checks of an unbounded loop: a day of waits (the original polls for ever).
UNBOUNDED_SECONDS = 86400
_MATH_ADD = re.compile(r"States\.MathAdd\(\$\.[A-Za-z_]\w*, ?1\)")
_FAILURE = ("FAILED", "CANCELLED", "STOPPED", "ERROR", "TIMEOUT")
_SUCCESS = {"crawler": ("READY", "SUCCEEDED"), "job": ("SUCCEEDED",)}


@dataclass
class Loop:
    """A recognised poll loop: what it waits for and how, and where it leaves to."""

    kind: str  # "crawler", "job", "crawl_retry" (start again while the crawler runs), "lambda_poll"
    name: Any  # the crawler or job name (a template for a placeholder)
    starter: str
    members: list[str]  # the cycle's states and the Fail states only it reaches
    wait_time: Any
    max_attempts: int
    success: str | None
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    state_only: bool = False


def successors(definition: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """(next state, edge kind, Choice rule) for each way out of a state, in definition order."""
    out: list[tuple[str, str, dict[str, Any] | None]] = []
    for rule in definition.get("Choices", []):
        out.append((rule["Next"], "choice", rule))
    if "Default" in definition:
        out.append((definition["Default"], "choice", None))
    if "Next" in definition:
        out.append((definition["Next"], "next", None))
    for catcher in definition.get("Catch", []):
        out.append((catcher["Next"], "catch", catcher))
    return out


def cycles(states: dict[str, Any]) -> list[list[str]]:
    """The strongly connected components with a cycle, each in definition order (Tarjan)."""
    order = {name: i for i, name in enumerate(states)}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt, _, _ in successors(states[node]):
            if nxt not in states:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            self_loop = any(n == node for n, _, _ in successors(states[node]))
            if len(component) > 1 or self_loop:
                found.append(sorted(component, key=order.__getitem__))

    for name in states:
        if name not in index:
            visit(name)
    return sorted(found, key=lambda c: order[c[0]])


def _glue_call(definition: dict[str, Any], facts: LambdaFacts | None) -> tuple[str, Any] | None:
    resource = str(definition.get("Resource", ""))
    parameters = definition.get("Parameters") or {}

    def name(key: str) -> Any:
        # A literal name, or the JsonPath (``Name.$``) it is read from, as ("$", path).
        return ("$", parameters[key + ".$"]) if key + ".$" in parameters else parameters.get(key)

    for call, api in (("start_crawler", "startCrawler"), ("get_crawler", "getCrawler")):
        if resource == f"arn:aws:states:::aws-sdk:glue:{api}":
            return call, name("Name")
    if resource == "arn:aws:states:::aws-sdk:glue:getJobRun":
        return "get_job_run", name("JobName")
    if resource == "arn:aws:states:::glue:startJobRun":
        return "start_job_run", name("JobName")
    if facts is not None:
        for call in ("start_crawler", "get_crawler", "start_job_run", "get_job_run"):
            if call in facts.calls:
                return call, facts.calls[call]
    return None


def _named(kind: str, name: Any) -> str:
    if name is None:
        return f"the {kind} (whose name it does not give)"
    if isinstance(name, tuple):
        return f"the {kind} named by {name[1]}"
    return f"{kind} {name!r}"


class LoopFinder:
    """Recognises the poll loops of one scope (the top level, a Parallel branch)."""

    def __init__(self, states: dict[str, Any], lambda_dir: Path | None, params: Params) -> None:
        self.states, self.lambda_dir, self.params = states, lambda_dir, params

    def facts(self, name: str) -> LambdaFacts | None:
        definition = self.states[name]
        if definition.get("Type") != "Task":
            return None
        function = lambda_function(name, definition)
        return load(self.lambda_dir, function) if function else None

    def recognise(self, component: list[str]) -> Loop:
        """The poll loop ``component`` is, or :class:`AslImportError` naming its first state."""
        retry = self._start_retry(component)
        if retry is not None:
            return retry
        poll = self._lambda_poll(component)
        if poll is not None:
            return poll
        if any(str(self.states[s].get("Resource", "")).endswith("glue:getWorkflowRun") for s in component):
            raise AslImportError(
                component[0],
                "a Glue workflow run poll loop (getWorkflowRun): the amazon provider has no Glue workflow "
                "operator or sensor",
            )
        members = set(component)
        entries = sorted(
            {
                src
                for src, d in self.states.items()
                if src not in members
                for n, _, _ in successors(d)
                if n in members
            },
            key=list(self.states).index,
        )
        construct = f"a loop through {', '.join(repr(s) for s in component)} (not a Glue poll loop)"
        kind, name, waits, counter = None, None, [], None
        for state in component:
            definition = self.states[state]
            call = _glue_call(definition, self.facts(state))
            if definition["Type"] == "Wait":
                waits.append(definition)
            elif call and call[0] in ("get_crawler", "get_job_run"):
                kind, name = ("crawler" if call[0] == "get_crawler" else "job"), call[1]
            elif definition["Type"] == "Task" and (self.facts(state) or LambdaFacts("")).increments:
                counter = state
            elif definition["Type"] == "Pass" and _MATH_ADD.search(json.dumps(definition.get("Parameters"))):
                counter = state
            elif definition["Type"] != "Choice":
                raise AslImportError(component[0], construct)
        if kind is None or len(waits) != 1 or len(entries) != 1:
            raise AslImportError(component[0], construct)
        starter, first, origin = entries[0], None, entries[0]
        entry = self.states[starter]
        if entry.get("Type") == "Pass" and isinstance(entry.get("Result"), int):
            # A Pass that sets the counter's first value between the start and the loop.
            before = [s for s, d in self.states.items() for n, _, _ in successors(d) if n == starter]
            if len(before) != 1:
                raise AslImportError(component[0], construct)
            component = [*component, starter]
            members.add(starter)
            starter, first = before[0], int(entry["Result"])
        start = _glue_call(self.states[starter], self.facts(starter))
        expected = "start_crawler" if kind == "crawler" else "start_job_run"
        if kind == "crawler" and counter is None and (start is None or start[0] != expected):
            return self._idle_wait(component, name, waits[0])
        if start is None or start[0] != expected or start[1] != name or name is None:
            raise AslImportError(component[0], f"{construct}: no state before it starts {_named(kind, name)}")
        if isinstance(name, tuple):
            value = self.params.path(name[1], starter, f"state {starter!r} Parameters")
            if value is None:
                raise AslImportError(starter, f"the {kind} name path {name[1]!r} (not a $.key path)")
        else:
            value = self.params.value(name, f"state {starter!r}")
        loop = Loop(kind, value, starter, list(component), 0, 0, None)
        self._wait(loop, waits[0], component)
        self._exits(loop, members, counter, (first, origin))
        return loop

    def _start_retry(self, component: list[str]) -> Loop | None:
        """``startCrawler`` whose Catch of ``Glue.CrawlerRunningException`` goes to a Wait that starts it
        again (a crawl already running: try again later): a start that waits until the crawler is idle."""
        if len(component) != 2:
            return None
        start, wait = sorted(component, key=lambda s: self.states[s].get("Type") == "Wait")
        task, pause = self.states[start], self.states[wait]
        catchers = [c for c in task.get("Catch", []) if c.get("Next") == wait]
        call = _glue_call(task, None)
        if (
            call is None
            or call[0] != "start_crawler"
            or pause.get("Type") != "Wait"
            or pause.get("Next") != start
            or [c.get("ErrorEquals") for c in catchers] != [["Glue.CrawlerRunningException"]]
        ):
            return None
        if isinstance(call[1], tuple):
            name = self.params.path(call[1][1], start, f"state {start!r} Parameters")
        else:
            name = self.params.value(call[1], f"state {start!r}") if call[1] is not None else None
        if name is None:
            raise AslImportError(start, f"a startCrawler retry loop on {_named('crawler', call[1])}")
        loop = Loop("crawl_retry", name, start, [wait], 0, 0, task.get("Next"))
        self._wait(loop, pause, component)
        wait_time = loop.wait_time if isinstance(loop.wait_time, int | float) else 60
        loop.max_attempts = math.ceil(UNBOUNDED_SECONDS / max(wait_time, 1))
        loop.notes.append(
            f"the original tries again with no limit while the crawler runs: the sensor tries for a day "
            f"({UNBOUNDED_SECONDS} s)"
        )
        return loop

    def _idle_wait(self, component: list[str], name: Any, wait: dict[str, Any]) -> Loop:
        """A ``getCrawler`` poll loop no state before it started a crawl for: a wait until the crawler is
        READY (idle), e.g. before starting it."""
        members = set(component)
        exits = {n for s in component for n, _, _ in successors(self.states[s]) if n not in members}
        if len(exits) != 1 or name is None:
            raise AslImportError(component[0], f"a wait for {_named('crawler', name)} to be idle")
        if isinstance(name, tuple):
            value = self.params.path(name[1], component[0], f"state {component[0]!r} Parameters")
        else:
            value = self.params.value(name, f"state {component[0]!r}")
        getter = next(
            s for s in component if (_glue_call(self.states[s], self.facts(s)) or ("",))[0] == "get_crawler"
        )
        loop = Loop("crawl_idle", value, getter, [s for s in component if s != getter], 0, 0, exits.pop())
        self._wait(loop, wait, component)
        loop.notes.append(
            f"the original polls with no limit until the crawler is READY: the sensor polls for a day "
            f"({UNBOUNDED_SECONDS} s)"
        )
        return loop

    def _lambda_poll(self, component: list[str]) -> Loop | None:
        """A Lambda Task, one Choice on its output and one Wait, with no Glue call: a status poll loop on
        the Lambda (each rule back into the loop polls again, a rule out of it ends the wait)."""
        by_type: dict[str, list[str]] = {}
        for state in component:
            by_type.setdefault(str(self.states[state].get("Type")), []).append(state)
        if sorted(by_type) != ["Choice", "Task", "Wait"] or any(len(v) != 1 for v in by_type.values()):
            return None
        (task,), (choice,), (wait,) = by_type["Task"], by_type["Choice"], by_type["Wait"]
        definition = self.states[task]
        function = lambda_function(task, definition)
        if function is None or _glue_call(definition, self.facts(task)) is not None:
            return None
        members = set(component)
        rule_of = self.states[choice]
        exits = {r["Next"] for r in rule_of.get("Choices", []) if r["Next"] not in members}
        if rule_of.get("Default") is not None and rule_of["Default"] not in members:
            exits.add(rule_of["Default"])
        fails = {e for e in exits if self.states[e].get("Type") == "Fail"}
        if len(exits - fails) > 1 or len(fails) > 1:
            raise AslImportError(choice, f"a Lambda poll loop leaving to {len(exits)} states")
        loop = Loop("lambda_poll", function, task, [choice, wait], 0, 0, next(iter(exits - fails), None))
        loop.members += sorted(fails)
        self._wait(loop, self.states[wait], component)
        wait_time = loop.wait_time if isinstance(loop.wait_time, int | float) else 60
        loop.max_attempts = math.ceil(UNBOUNDED_SECONDS / max(wait_time, 1))
        loop.notes.append(
            f"the original polls with no limit: the sensor polls for a day ({UNBOUNDED_SECONDS} s)"
        )
        return loop

    def _wait(self, loop: Loop, wait: dict[str, Any], component: list[str]) -> None:
        if "Seconds" in wait:
            loop.wait_time = self.params.value(wait["Seconds"], "a Wait state's Seconds")
        elif (
            seconds := self.params.path(
                wait.get("SecondsPath"), loop.members[0], "Wait SecondsPath", "integer"
            )
        ) is not None:
            loop.wait_time = seconds
        else:
            raise AslImportError(component[0], "a poll loop whose Wait has no Seconds or $.key SecondsPath")

    def _exits(
        self, loop: Loop, members: set[str], counter: str | None, initial: tuple[int | None, str]
    ) -> None:
        success_values = _SUCCESS[loop.kind]
        exits: list[tuple[str, dict[str, Any] | None, str]] = []
        limit: tuple[str, float] | None = None
        for state in loop.members:
            definition = self.states[state]
            for nxt, edge, rule in successors(definition):
                if nxt in members:
                    continue
                exits.append((nxt, rule, edge))
                for key in ("NumericGreaterThan", "NumericGreaterThanEquals"):
                    if rule and key in rule and counter is not None:
                        limit = (key, float(rule[key]))
        reads_status = any(
            "LastCrawl" in json.dumps(self.states[s]) or (self.facts(s) and self.facts(s).reads_last_crawl)  # type: ignore[union-attr]
            for s in loop.members
        )
        named = [
            e
            for e in exits
            if e[1]
            and self.states[e[0]].get("Type") != "Fail"
            and any(v in json.dumps(e[1]) for v in success_values)
            and not any(v in json.dumps(e[1]) for v in _FAILURE)
        ]
        defaults = [e for e in exits if e[2] == "choice" and e[1] is None]
        success = named or defaults
        if len({e[0] for e in success}) != 1:
            raise AslImportError(loop.members[0], "a poll loop with no single way out on success")
        loop.success = success[0][0]
        for nxt, _, _ in exits:
            if nxt == loop.success or nxt in loop.failures:
                continue
            target = self.states[nxt]
            only_here = all(
                s in members for s, d in self.states.items() for n, _, _ in successors(d) if n == nxt
            )
            if target.get("Type") == "Fail" and only_here:
                loop.members.append(nxt)
                loop.notes.append(f"Fail state {nxt!r} ({target.get('Error')}) becomes the wait's error")
            else:
                loop.failures.append(nxt)
        if loop.kind == "crawler" and not reads_status:
            loop.state_only = True
            loop.notes.append(
                f"flagged: the original checks only Crawler.State (never LastCrawl.Status), so a FAILED "
                f"crawl went on to {loop.success!r}; the wait fails on a FAILED or CANCELLED crawl"
            )
        elif loop.kind == "crawler":
            loop.notes.append("the original reads LastCrawl.Status: preserved, the wait fails a FAILED crawl")
        loop.max_attempts = self._attempts(loop, counter, limit, initial)

    def _attempts(
        self,
        loop: Loop,
        counter: str | None,
        limit: tuple[str, float] | None,
        initial: tuple[int | None, str],
    ) -> int:
        """The checks the counter allows; ``initial`` is the counter's first value and the state setting it."""
        first, origin = initial
        if counter is not None and limit is not None:
            starter = self.facts(loop.starter)
            if first is None:
                first = starter.returns_constant if starter and starter.returns_constant is not None else 0
            key, bound = limit
            checks = int(bound) - first + (1 if key == "NumericGreaterThan" else 0)
            loop.notes.append(
                f"counter {counter!r} starts at {first} ({origin!r}) and stops the loop when "
                f"{key} {bound:g}: {checks} checks"
            )
            return max(checks, 1)
        if counter is not None or limit is not None:
            raise AslImportError(loop.members[0], "a poll loop counter whose start or limit is unclear")
        wait = loop.wait_time if isinstance(loop.wait_time, int | float) else 60
        checks = math.ceil(UNBOUNDED_SECONDS / max(wait, 1))
        loop.notes.append(f"the original polls with no limit: {checks} checks (a day of waits)")
        return checks
