"""The plan of a state machine's DAG: tasks, task groups, DAG params, and the report rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from airflow_glue_flow.importers.names import NameAllocator

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_IDENT = re.compile(r"[^0-9A-Za-z_]+")
_PATH = re.compile(r"\$(\.[A-Za-z_][A-Za-z0-9_]*)+")


class AslImportError(ValueError):
    """A construct that has no translation; the message names the state and the construct."""

    def __init__(self, state: str, construct: str) -> None:
        super().__init__(f"state {state!r}: {construct} has no translation")
        self.state, self.construct = state, construct


class Code(str):
    """Python source to write as is (``timedelta(seconds=60)``), not as a string literal."""


#: Operators of the generated DAG: kind -> (module, class).
OPERATORS: dict[str, tuple[str, str]] = {
    "job": ("airflow_glue_flow.operators.job", "GlueJobRunOperator"),
    "crawl_start": ("airflow_glue_flow.operators.crawler", "GlueCrawlerStartOperator"),
    "crawl_wait": ("airflow_glue_flow.operators.crawler_wait", "GlueCrawlerWaitOperator"),
    "lambda": ("airflow.providers.amazon.aws.operators.lambda_function", "LambdaInvokeFunctionOperator"),
    "athena": ("airflow.providers.amazon.aws.operators.athena", "AthenaOperator"),
    "sns": ("airflow.providers.amazon.aws.operators.sns", "SnsPublishOperator"),
    "sfn_start": (
        "airflow.providers.amazon.aws.operators.step_function",
        "StepFunctionStartExecutionOperator",
    ),
    "empty": ("airflow.providers.standard.operators.empty", "EmptyOperator"),
    "python": ("airflow.providers.standard.operators.python", "PythonOperator"),
    "branch": ("airflow.providers.standard.operators.python", "BranchPythonOperator"),
    "wait": ("airflow.providers.standard.sensors.time_delta", "WaitSensor"),
    "wait_until": ("airflow.providers.standard.sensors.date_time", "DateTimeSensor"),
    "sensor": ("airflow.providers.standard.sensors.python", "PythonSensor"),
    "lambda_poll": ("airflow_glue_flow.importers.asl.sensors", "LambdaPollSensor"),
}

#: The generated DAG's imports from ``airflow_glue_flow.importers.asl.runtime``: no task variable takes them.
RUNTIME_NAMES = (
    "athena_query_results",
    "backoff",
    "choose",
    "crawler_is_ready",
    "fail",
    "map_items",
    "start_crawler_when_idle",
    "untranslated",
    "wait_seconds",
)


@dataclass
class Task:
    """One task (or, with ``kind == "group"``, one task group) of the generated DAG."""

    var: str
    kind: str
    state: str  # the ASL state it comes from
    args: dict[str, Any] = field(default_factory=dict)
    comment: list[str] = field(default_factory=list)
    upstream: list[tuple[str, str]] = field(default_factory=list)  # (var, "next" | "choice" | "catch")
    group: str | None = None  # the var of the enclosing task group
    task_id: str = ""  # with the group prefix, as a branch callable returns it
    expand: str | None = None  # the var of the task whose output lists the mapped instances' arguments


@dataclass
class Plan:
    """Everything the renderer and the report need."""

    dag_id: str
    comment: str
    tasks: list[Task] = field(default_factory=list)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"type", "source"}
    states: list[dict[str, Any]] = field(default_factory=list)  # report rows, one per state
    not_carried: list[str] = field(default_factory=list)  # JSON paths of fields left out
    flags: list[str] = field(default_factory=list)  # behaviour the DAG changes, said in its header
    timeout_seconds: int | None = None


class Params:
    """DAG params: template placeholders (``${glue_job_name}``) and execution-input paths (``$.wait_time``)."""

    def __init__(self, plan: Plan) -> None:
        self._plan = plan
        #: Told (state, path) of each execution-input path read, to flag reads of changed data.
        self.on_read: Callable[[str, str], None] = lambda state, path: None

    def path(self, path: Any, state: str, where: str, kind: str = "string") -> str | None:
        """A template reading JsonPath ``$.a.b`` of the execution input (a DAG param for ``a``), or None
        when ``path`` is not such a path."""
        if not isinstance(path, str) or not _PATH.fullmatch(path):
            return None
        top, *rest = path[2:].split(".")
        kind = "object" if rest else kind
        name = self.add(top, f"execution input $.{top} ({where})", kind)
        self.on_read(state, path)
        return "{{ params." + name + "".join(f"['{key}']" for key in rest) + " }}"

    def add(self, raw: str, source: str, kind: str = "string") -> str:
        name = _IDENT.sub("_", raw).strip("_").lower() or "param"
        if name[0].isdigit():
            name = f"p_{name}"
        self._plan.params.setdefault(name, {"type": kind, "source": source})
        return name

    def template(self, text: str, where: str) -> str:
        """``text`` with every ``${x}`` as ``{{ params.x }}``."""
        return _PLACEHOLDER.sub(
            lambda m: (
                "{{ params." + self.add(m.group(1), f"placeholder ${{{m.group(1)}}} in {where}") + " }}"
            ),
            text,
        )

    def value(self, value: Any, where: str) -> Any:
        """A JSON value with its placeholders as templates (keys too)."""
        if isinstance(value, str):
            return self.template(value, where)
        if isinstance(value, list):
            return [self.value(v, where) for v in value]
        if isinstance(value, dict):
            return {self.template(str(k), where): self.value(v, where) for k, v in value.items()}
        return value


def is_placeholder(text: str) -> bool:
    """Whether ``text`` holds a ``${...}`` template placeholder."""
    return bool(_PLACEHOLDER.search(text))


def placeholders(text: str) -> list[str]:
    """The names of the ``${...}`` template placeholders in ``text``."""
    return _PLACEHOLDER.findall(text)


class PlanBuilder(Protocol):
    """What the Map and poll-loop translators use of the planner (``plan.Planner``).

    A protocol, so that those modules need not import the planner that imports them.
    """

    names: NameAllocator
    plan_: Plan
    params: Params

    def add(self, task: Task, group: str | None) -> Task: ...

    def row(self, state: str, became: str) -> None: ...

    @staticmethod
    def op_name(kind: str) -> str: ...

    def input_note(self, state: str, path: str, what: str) -> None: ...

    def carry(self, state: str, definition: dict[str, Any], where: str, also: set[str]) -> None: ...
