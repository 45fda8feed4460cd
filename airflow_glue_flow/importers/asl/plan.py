"""A state machine definition (ASL JSON) as a plan of Airflow tasks.

Each state becomes a task, in definition order: Task states their operator, Choice a branch task, Wait a
sensor, Pass and Succeed an empty task, Fail a task that fails with the state's Error and Cause, Parallel a
task group (a failed branch fails the group, as in ASL). Glue poll loops (cycles) become the provider's
waits. ``Next`` and Choice edges are plain dependencies (a task several states lead to runs when one of them
ran and none failed); a Catch edge runs its target when the caught task failed (``one_failed``).
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-amazon-states-language.html
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_glue_flow.importers.asl.dataflow import UNKNOWN, Written, written
from airflow_glue_flow.importers.asl.loops import UNBOUNDED_SECONDS, Loop, LoopFinder, cycles, successors
from airflow_glue_flow.importers.asl.maps import plan_map
from airflow_glue_flow.importers.asl.model import (
    OPERATORS,
    RUNTIME_NAMES,
    AslImportError,
    Code,
    Params,
    Plan,
    Task,
)
from airflow_glue_flow.importers.asl.polls import athena_inputs, lambda_poll, poll_inputs
from airflow_glue_flow.importers.asl.tasks import retry_args, task_spec
from airflow_glue_flow.importers.names import NameAllocator

#: Fields the planner reads on every state; the rest are listed as not carried.
_READ = {"Type", "Next", "End", "Comment", "Resource", "Parameters", "Retry", "Catch", "Choices", "Default"}
_READ |= {"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Error", "Cause", "Branches"}
_READ |= {"TimeoutSeconds"}


class Planner:
    """Builds a :class:`Plan`; ``allow_partial`` turns untranslatable states into failing tasks."""

    def __init__(self, lambda_dir: Path | None, allow_partial: bool) -> None:
        self.lambda_dir, self.allow_partial = lambda_dir, allow_partial
        self.names = NameAllocator({"dag", "timedelta", *RUNTIME_NAMES})
        self.written: dict[str, Written] = {}  # per state of the current scope: paths written into its data

    def plan(self, document: dict[str, Any], dag_id: str | None, name: str) -> Plan:
        plan = Plan(dag_id or self.names.allocate(name), str(document.get("Comment", "")))
        self.plan_, self.params = plan, Params(plan)
        self.params.on_read = lambda state, path: self.input_note(state, path, "a field")
        if document.get("QueryLanguage") == "JSONata":
            self._refuse("(the state machine)", "QueryLanguage JSONata")
        for key in document:
            if key not in ("Comment", "StartAt", "States", "TimeoutSeconds", "Version"):
                plan.not_carried.append(f"$.{key}")
        if "TimeoutSeconds" in document:
            plan.timeout_seconds = int(document["TimeoutSeconds"])
        self.scope(document["States"], None, "$.States", document.get("StartAt"), Written())
        return plan

    def _refuse(self, state: str, construct: str) -> None:
        if not self.allow_partial:
            raise AslImportError(state, construct)
        self.plan_.flags.append(f"state {state!r}: {construct}: not translated, its task fails")

    def add(self, task: Task, group: str | None) -> Task:
        task.group = group
        prefix = next((t.task_id for t in self.plan_.tasks if t.var == group), "")
        task.task_id = f"{prefix}.{task.var}" if prefix else task.var
        self.plan_.tasks.append(task)
        return task

    def _untranslated(self, state: str, construct: str, group: str | None) -> Task:
        self._refuse(state, construct)
        var = self.names.allocate(state)
        args = {
            "python_callable": Code("untranslated"),
            "op_kwargs": {"state": state, "construct": construct},
        }
        comment = [f"State {state!r} was not translated: {construct}. Write this task by hand."]
        return self.add(Task(var, "python", state, args, comment), group)

    def scope(
        self, states: dict[str, Any], group: str | None, base: str, start: str | None, inherited: Written
    ) -> None:
        """Plan one list of states (the top level, a Parallel branch) into the plan's tasks."""
        outer, self.written = self.written, written(states, start, inherited)
        nodes: dict[str, tuple[str, str]] = {}  # state -> (entry var, exit var)
        loops: list[Loop] = []
        in_loop: dict[str, Loop] = {}
        for component in cycles(states):
            try:
                loop = LoopFinder(states, self.lambda_dir, self.params).recognise(component)
            except AslImportError as err:
                task = self._untranslated(err.state, err.construct, group)
                for state in component:
                    nodes[state] = (task.var, task.var)
                    self.row(state, f"{task.task_id} (fails: {err.construct})")
                continue
            loops.append(loop)
            for state in [loop.starter, *loop.members]:
                in_loop[state] = loop
        for state, definition in states.items():
            if state in nodes or (state in in_loop and state != in_loop[state].starter):
                continue
            where = f"{base}.{_key(state)}"
            if state in in_loop:
                nodes.update(self._loop(in_loop[state], states, group, where))
                continue
            try:
                nodes[state] = self._state(state, definition, group, where)
            except AslImportError as err:
                task = self._untranslated(err.state, err.construct, group)
                nodes[state] = (task.var, task.var)
                self.row(state, f"{task.task_id} (fails: {err.construct})")
        by_var = {t.var: t for t in self.plan_.tasks}
        for state, definition in states.items():
            owner = in_loop.get(state)
            if owner is not None and state != owner.starter:
                continue
            for nxt, kind, _ in successors(definition):
                if owner is not None and (nxt in owner.members or nxt == owner.starter):
                    continue
                self._edge(by_var, nodes[state][1], nodes[nxt][0], kind)
        for loop in loops:
            wait = nodes[loop.members[0]][1]
            if loop.success is not None:
                self._edge(by_var, wait, nodes[loop.success][0], "next")
            for failure in loop.failures:
                self._edge(by_var, wait, nodes[failure][0], "catch")
        poll_inputs(self, states, by_var)
        athena_inputs(self, states, by_var)
        for task in self.plan_.tasks:
            if task.kind == "branch" and task.group == group and task.state in states:
                self._branch_targets(task, states[task.state], nodes, by_var)
        self.written = outer

    @staticmethod
    def _edge(by_var: dict[str, Task], up: str, down: str, kind: str) -> None:
        if up != down and (up, kind) not in by_var[down].upstream:
            by_var[down].upstream.append((up, kind))

    def _branch_targets(
        self,
        task: Task,
        definition: dict[str, Any],
        nodes: dict[str, tuple[str, str]],
        by_var: dict[str, Task],
    ) -> None:
        def target(state: str) -> str:
            return by_var[nodes[state][0]].task_id

        choices = [{**rule, "Next": target(rule["Next"])} for rule in definition.get("Choices", [])]
        default = target(definition["Default"]) if "Default" in definition else None
        task.args["op_kwargs"] = {"state": task.state, "choices": choices, "default": default}

    def row(self, state: str, became: str) -> None:
        self.plan_.states.append({"state": state, "became": became})

    @staticmethod
    def op_name(kind: str) -> str:
        """The operator class a task kind becomes, for the report."""
        return OPERATORS[kind][1] if kind in OPERATORS else kind

    def input_note(self, state: str, path: str, what: str) -> None:
        """Flag a state that reads ``path`` from the execution input where ASL reads changed data."""
        if not self.written.get(state, UNKNOWN).reads_input(path):
            self.plan_.flags.append(
                f"state {state!r} reads {what} at {path} from the execution input (the run's conf over its "
                "params); in the original, earlier states had changed its data there"
            )

    def carry(self, state: str, definition: dict[str, Any], where: str, also: set[str]) -> None:
        for key in definition:
            if key not in _READ | also:
                self.plan_.not_carried.append(f"{where}.{key}")

    def _state(
        self, state: str, definition: dict[str, Any], group: str | None, where: str
    ) -> tuple[str, str]:
        kind = definition.get("Type")
        comment = [f"From {kind} state {state!r}."]
        if definition.get("Comment"):
            comment.append(str(definition["Comment"]))
        args: dict[str, Any] = {}
        if kind == "Map":
            return plan_map(self, state, definition, group, where)
        self.carry(state, definition, where, set())
        if kind == "Task":
            spec = task_spec(state, definition, self.params, where)
            comment[0] = f"From Task state {state!r}: {spec.note}."
            args.update(spec.args)
            self.plan_.not_carried.extend(spec.not_carried)
            self.plan_.flags.extend(spec.flags)
            op = spec.kind
        elif kind == "Choice":
            op, args = "branch", {"python_callable": Code("choose")}
            comment.append("Branches on the execution input (dag_run.conf over the DAG's params).")
            for rule in definition.get("Choices", []):
                for variable in sorted(set(_variables(rule))):
                    self.input_note(state, variable, "its Choice rule's Variable")
            if "Default" not in definition:
                comment.append("No Default: no matching rule fails the task (States.NoChoiceMatched).")
        elif kind == "Wait":
            op, args = self._wait(state, definition)
        elif kind in ("Pass", "Succeed"):
            op = "empty"
            if kind == "Pass" and ("Result" in definition or "Parameters" in definition):
                self.plan_.not_carried.append(f"{where} (Pass output: Result/Parameters)")
        elif kind == "Fail":
            op = "python"
            args = {
                "python_callable": Code("fail"),
                "op_kwargs": {
                    "state": state,
                    "error": definition.get("Error"),
                    "cause": definition.get("Cause"),
                },
            }
        elif kind == "Parallel":
            return self._parallel(state, definition, group, where, self.names.allocate(state), comment)
        else:
            raise AslImportError(state, f"the state type {kind!r}")
        if definition.get("Retry"):
            retry, notes = retry_args(state, definition["Retry"])
            args.update(retry)
            comment += [f"Retry: {n}." for n in notes]
        if "TimeoutSeconds" in definition and kind == "Task":
            args["execution_timeout"] = Code(f"timedelta(seconds={int(definition['TimeoutSeconds'])})")
        for catcher in definition.get("Catch", []):
            errors = ", ".join(catcher.get("ErrorEquals", []))
            comment.append(f"Catch {errors} -> {catcher['Next']!r} (any error runs it).")
        task = self.add(Task(self.names.allocate(state), op, state, args, comment), group)
        self.row(state, f"{task.task_id} ({self.op_name(op)})")
        return task.var, task.var

    def _wait(self, state: str, definition: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        if "Seconds" in definition:
            return "wait", {"time_to_wait": Code(f"timedelta(seconds={int(definition['Seconds'])})")}
        if "Timestamp" in definition:
            return "wait_until", {"target_time": definition["Timestamp"]}
        for key in ("SecondsPath", "TimestampPath"):
            kind = "integer" if key == "SecondsPath" else "string"  # a whole number of seconds
            template = self.params.path(definition.get(key), state, f"Wait {key}", kind)
            if template is None:
                continue
            if key == "TimestampPath":
                return "wait_until", {"target_time": template}
            args = {"state": state, "seconds": template}
            return "python", {"python_callable": Code("wait_seconds"), "op_kwargs": args}
        raise AslImportError(state, "a Wait whose path is not a $.key path of the execution input")

    def _parallel(
        self,
        state: str,
        definition: dict[str, Any],
        group: str | None,
        where: str,
        var: str,
        comment: list[str],
    ) -> tuple[str, str]:
        comment.append("A task group: every branch runs; a failed branch fails what follows, as in ASL.")
        for catcher in definition.get("Catch", []):
            comment.append(f"Catch {', '.join(catcher.get('ErrorEquals', []))} -> {catcher['Next']!r}.")
        if definition.get("Retry"):
            comment.append("Retry of a Parallel state: not carried (Airflow retries tasks, not groups).")
            self.plan_.not_carried.append(f"{where}.Retry")
        self.add(Task(var, "group", state, {}, comment), group)
        self.row(state, f"task group {var}")
        for number, branch in enumerate(definition.get("Branches", [])):
            branch_where = f"{where}.Branches[{number}].States"
            self.scope(
                branch["States"], var, branch_where, branch.get("StartAt"), self.written.get(state, UNKNOWN)
            )
        return var, var

    def _loop(
        self, loop: Loop, states: dict[str, Any], group: str | None, where: str
    ) -> dict[str, tuple[str, str]]:
        starter = states[loop.starter]
        retry, notes = retry_args(loop.starter, starter.get("Retry", []))
        members = ", ".join(repr(s) for s in loop.members)
        if loop.kind == "lambda_poll":
            first = last = lambda_poll(self, loop, states, group, retry)
        elif loop.kind in ("crawl_retry", "crawl_idle"):
            var = self.names.allocate(loop.starter)
            idle = loop.kind == "crawl_idle"
            args = {
                "python_callable": Code("crawler_is_ready" if idle else "start_crawler_when_idle"),
                "op_kwargs": {"crawler_name": loop.name},
                "poke_interval": loop.wait_time,
                "timeout": UNBOUNDED_SECONDS,
                **retry,
            }
            comment = [
                f"From the poll loop {', '.join(repr(s) for s in [loop.starter, *loop.members])}: wait until "
                "the crawler is READY."
                if idle
                else f"From Task state {loop.starter!r} and its Catch of Glue.CrawlerRunningException -> "
                f"{loop.members[0]!r} -> start again: start the crawl once the crawler is idle."
            ]
            first = last = self.add(Task(var, "sensor", loop.starter, args, comment), group)
            self.plan_.flags += [f"{loop.starter!r}: {note}" for note in loop.notes]
        elif loop.kind == "job":
            var = self.names.allocate(loop.starter)
            args = {"job_name": loop.name, "poll_interval": loop.wait_time, "max_attempts": loop.max_attempts}
            comment = [f"From Task state {loop.starter!r} and its poll loop ({members}): run the job, wait."]
            task = self.add(Task(var, "job", loop.starter, {**args, **retry}, comment), group)
            first = last = task
        else:
            start, wait = self.names.allocate(loop.starter), self.names.allocate(loop.members[0])
            first = self.add(
                Task(
                    start,
                    "crawl_start",
                    loop.starter,
                    {"crawler_name": loop.name, **retry},
                    [f"From Task state {loop.starter!r}: start the crawl."],
                ),
                group,
            )
            comment = [f"From the poll loop {members}: wait for that crawl to end."]
            args = {"crawler_name": loop.name, "wait_time": loop.wait_time, "max_attempts": loop.max_attempts}
            last = self.add(
                Task(wait, "crawl_wait", loop.members[0], args, comment, [(start, "next")]), group
            )
        last.comment += [f"{note[0].upper()}{note[1:]}." for note in loop.notes]
        first.comment += [f"Retry: {n}." for n in notes]
        self.row(loop.starter, f"{first.task_id} ({self.op_name(first.kind)})")
        for state in loop.members:
            self.row(state, f"{last.task_id} ({self.op_name(last.kind)}, the poll loop)")
        self.plan_.flags += [f"{loop.members[0]!r}: {n}" for n in loop.notes if n.startswith("flagged")]
        return {s: (first.var, last.var) for s in [loop.starter, *loop.members]}


def _variables(rule: dict[str, Any]) -> list[str]:
    """The ``Variable`` paths of a Choice rule and its ``And``/``Or``/``Not`` operands."""
    found = [str(rule["Variable"])] if "Variable" in rule else []
    for key in ("And", "Or"):
        for operand in rule.get(key, []):
            found += _variables(operand)
    if "Not" in rule:
        found += _variables(rule["Not"])
    return found


def _key(state: str) -> str:
    return state if state.replace("_", "").isalnum() else f"[{state!r}]"
