"""What the DAGs written by ``glue-flow import asl`` call at run time: Choice rules, Fail, untranslated states.

The Choice rules are evaluated as Step Functions evaluates them (``And``/``Or``/``Not``, the ``String``,
``Numeric``, ``Boolean`` and ``Timestamp`` comparisons and their ``Path`` forms, ``Is*`` tests,
``StringMatches``), on the document the DAG gives them: the run's execution input (``dag_run.conf``).
https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime
from typing import Any

from airflow_glue_flow.compat import RETRY_BACKOFF_MULTIPLIER

_MISSING = object()
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]|\['([^']*)'\]")


def backoff(rate: float) -> float | bool:
    """``retry_exponential_backoff`` for a retrier's BackoffRate on the running Airflow.

    Airflow 3.2 and later multiply the delay by ``rate``; Airflow 3.1 takes only a bool and doubles it.
    """
    return rate if RETRY_BACKOFF_MULTIPLIER else True


class StateMachineError(Exception):
    """A Fail state reached, or a Choice with no matching rule and no Default (``States.NoChoiceMatched``)."""


def read_path(document: Any, path: str) -> Any:
    """The value at JSONPath ``path`` (``$``, ``$.a.b``, ``$.a[0]``) in ``document``, or a sentinel."""
    if not path.startswith("$"):
        raise ValueError(f"{path!r} is not a JSONPath starting with $")
    value, position = document, 1
    while position < len(path):
        match = _STEP.match(path, position)
        if match is None:
            raise ValueError(f"JSONPath {path!r}: cannot read from position {position}")
        key = match.group(1) if match.group(1) is not None else match.group(3)
        if key is not None:
            if not isinstance(value, dict) or key not in value:
                return _MISSING
            value = value[key]
        else:
            index = int(match.group(2))
            if not isinstance(value, list) or index >= len(value):
                return _MISSING
            value = value[index]
        position = match.end()
    return value


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_ORDER = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def _compare(kind: str, relation: str, value: Any, other: Any) -> bool:
    if kind == "String":
        ok = isinstance(value, str) and isinstance(other, str)
    elif kind == "Numeric":
        ok = _is_number(value) and _is_number(other)
    elif kind == "Boolean":
        ok = isinstance(value, bool) and isinstance(other, bool)
    else:  # Timestamp
        value, other = _timestamp(value), _timestamp(other)
        ok = value is not None and other is not None
    return bool(ok and _ORDER[relation](value, other))


def _wildcard(pattern: str) -> re.Pattern[str]:
    """``StringMatches``: ``*`` is any run of characters, ``\\*`` a literal star."""
    parts = re.split(r"(\\\*|\*)", pattern)
    return re.compile(
        "".join(".*" if p == "*" else re.escape("*" if p == "\\*" else p) for p in parts), re.DOTALL
    )


def rule_matches(rule: dict[str, Any], document: Any) -> bool:
    """Whether one Choice rule (or a nested ``And``/``Or``/``Not`` operand) holds for ``document``."""
    if "And" in rule:
        return all(rule_matches(r, document) for r in rule["And"])
    if "Or" in rule:
        return any(rule_matches(r, document) for r in rule["Or"])
    if "Not" in rule:
        return not rule_matches(rule["Not"], document)
    value = read_path(document, rule["Variable"])
    for key, operand in rule.items():
        if key in ("Variable", "Next", "Comment"):
            continue
        if key == "IsPresent":
            return (value is not _MISSING) == operand
        if value is _MISSING:
            return False
        tests = {
            "IsNull": value is None,
            "IsString": isinstance(value, str),
            "IsNumeric": _is_number(value),
            "IsBoolean": isinstance(value, bool),
            "IsTimestamp": _timestamp(value) is not None,
        }
        if key in tests:
            return tests[key] == operand
        if key == "StringMatches":
            return isinstance(value, str) and _wildcard(operand).fullmatch(value) is not None
        by_path = key.endswith("Path")
        name = key[:-4] if by_path else key
        other = read_path(document, operand) if by_path else operand
        for kind in ("String", "Numeric", "Boolean", "Timestamp"):
            if name.startswith(kind) and name[len(kind) :] in _ORDER:
                return other is not _MISSING and _compare(kind, name[len(kind) :], value, other)
        raise ValueError(f"Choice rule: unknown comparison {key!r}")
    raise ValueError(f"Choice rule on {rule['Variable']!r} has no comparison")


def choose(
    state: str,
    choices: list[dict[str, Any]],
    default: str | None,
    dag_run: Any = None,
    params: Any = None,
    **_: Any,
) -> str:
    """The task id of the first rule that holds (each rule's ``Next`` is a task id), else ``default``.

    The rules read the execution input: the run's params overlaid with its ``conf``.

    :raises StateMachineError: no rule holds and there is no Default (``States.NoChoiceMatched``).
    """
    document = {**dict(params or {}), **dict(getattr(dag_run, "conf", None) or {})}
    for rule in choices:
        if rule_matches(rule, document):
            return str(rule["Next"])
    if default is None:
        raise StateMachineError(f"States.NoChoiceMatched: no rule of Choice state {state!r} holds")
    return default


def fail(state: str, error: str | None, cause: str | None, **_: Any) -> None:
    """A Fail state: fail the task with the state's Error and Cause."""
    raise StateMachineError(f"Fail state {state!r}: {error or 'no Error'}: {cause or 'no Cause'}")


def untranslated(state: str, construct: str, **_: Any) -> None:
    """A state the importer could not translate (``--allow-partial``): fail naming it."""
    raise StateMachineError(f"state {state!r} was not translated ({construct}): write this task by hand")


def wait_seconds(state: str, seconds: str | int | float, **_: Any) -> None:
    """A Wait state's ``SecondsPath``: sleep the number of seconds the run's params give."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        raise StateMachineError(f"Wait state {state!r}: {seconds!r} is not a number of seconds") from None
    time.sleep(max(value, 0))


def resolve(template: Any, document: Any, context: Any) -> Any:
    """ASL ``Parameters`` on ``document``: a ``KEY.$`` field takes the value at its path (``$$.`` reads the
    context object, e.g. ``$$.Map.Item.Value``); other fields are kept.
    https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html
    """
    if isinstance(template, list):
        return [resolve(v, document, context) for v in template]
    if not isinstance(template, dict):
        return template
    out: dict[str, Any] = {}
    for key, value in template.items():
        if not key.endswith(".$"):
            out[key] = resolve(value, document, context)
            continue
        found = read_path(context, value[1:]) if value.startswith("$$") else read_path(document, value)
        if found is _MISSING:
            raise StateMachineError(
                f"States.Runtime: the path {value!r} of field {key!r} is not in the input"
            )
        out[key[:-2]] = found
    return out


def _listed_objects(bucket: str, prefix: str) -> list[dict[str, Any]]:
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    pages = S3Hook().get_conn().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    fields = ("Etag", "Key", "LastModified", "Size", "StorageClass")
    items = []
    for page in pages:
        for entry in page.get("Contents", []):
            entry = {**entry, "Etag": entry.get("ETag"), "LastModified": str(entry.get("LastModified"))}
            items.append({f: entry[f] for f in fields if entry.get(f) is not None})
    return items


def _read_items(reader: dict[str, Any], document: Any) -> list[Any]:
    parameters = resolve(reader.get("Parameters") or {}, document, {})
    if reader["Resource"].endswith("s3:listObjectsV2"):
        return _listed_objects(str(parameters["Bucket"]), str(parameters.get("Prefix", "")))
    from airflow.providers.amazon.aws.hooks.s3 import S3Hook

    text = S3Hook().read_key(str(parameters["Key"]), str(parameters["Bucket"]))
    items = json.loads(text)
    if not isinstance(items, list):
        raise StateMachineError(f"States.ItemReaderFailed: s3://{parameters['Bucket']}/{parameters['Key']}")
    return items


def map_items(
    state: str,
    items: list[Any] | None,
    reader: dict[str, Any] | None,
    items_path: str | None,
    selector: dict[str, Any] | None,
    batcher: dict[str, Any] | None,
    arguments: dict[str, dict[str, Any]],
    dag_run: Any = None,
    params: Any = None,
    **_: Any,
) -> list[dict[str, Any]]:
    """A Map state's items, as the keyword arguments of each mapped task instance.

    The items come from the literal ``items``, the ``reader`` (``ItemReader``: S3 ``listObjectsV2``, each
    object as Etag, Key, LastModified, Size, StorageClass; or a JSON array in an S3 object) or
    ``items_path`` in the execution input; ``selector`` (``ItemSelector``) reshapes each, ``batcher``
    (``ItemBatcher``) groups them as ``{"Items": [...], "BatchInput": ...}``; ``arguments`` gives each
    operator argument as ``{"key", "parameters", "json"}``: the processor's Parameters field evaluated on
    the item. https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itemreader.html
    https://docs.aws.amazon.com/step-functions/latest/dg/input-output-itembatcher.html
    """
    document = {**dict(params or {}), **dict(getattr(dag_run, "conf", None) or {})}
    if items is None and reader is not None:
        items = _read_items(reader, document)
    elif items is None:
        items = read_path(document, items_path or "$")
    if not isinstance(items, list):
        raise StateMachineError(f"Map state {state!r}: the items at {items_path!r} are not a JSON array")
    if selector is not None:
        items = [
            resolve(selector, document, {"Map": {"Item": {"Value": v, "Index": i}}})
            for i, v in enumerate(items)
        ]
    if batcher is not None:
        size = int(batcher["MaxItemsPerBatch"])
        extra = {"BatchInput": batcher["BatchInput"]} if batcher.get("BatchInput") else {}
        items = [{"Items": items[i : i + size], **extra} for i in range(0, len(items), size)]
    kwargs = []
    for index, item in enumerate(items):
        context = {"Map": {"Item": {"Value": item, "Index": index}}}
        call = {}
        for argument, spec in arguments.items():
            value = resolve(spec["parameters"], item, context).get(spec["key"])
            call[argument] = json.dumps(value, sort_keys=True) if spec.get("json") else value
        kwargs.append(call)
    return kwargs


def start_crawler_when_idle(crawler_name: str, **_: Any) -> bool:
    """Start a crawl; False (poke again later) while the crawler is already running.

    A ``startCrawler`` Task whose Catch of ``Glue.CrawlerRunningException`` waits and starts again:
    https://docs.aws.amazon.com/glue/latest/webapi/API_StartCrawler.html
    """
    from airflow_glue_flow.exceptions import GlueCrawlerRunningError
    from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook

    try:
        GlueCrawlerFlowHook().start_crawl(crawler_name, "fail")  # type: ignore[no-untyped-call]
    except GlueCrawlerRunningError:
        return False
    return True


def crawler_is_ready(crawler_name: str, **_: Any) -> bool:
    """Whether the crawler is READY (idle): a ``getCrawler`` loop polling until ``Crawler.State`` is READY.
    https://docs.aws.amazon.com/glue/latest/webapi/API_GetCrawler.html
    """
    from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook

    hook = GlueCrawlerFlowHook()  # type: ignore[no-untyped-call]
    return bool(hook.read_crawler(crawler_name).get("State") == "READY")


def athena_query_results(state: str, query_execution_id: str | None = None, **_: Any) -> Any:
    """``athena:getQueryResults``: the results (``ResultSet`` and the rest of the response) of the query
    the Athena task before it ran. https://docs.aws.amazon.com/athena/latest/APIReference/API_GetQueryResults.html
    """
    if not query_execution_id:
        raise StateMachineError(f"state {state!r}: no Athena task before it gave a query execution id")
    from airflow.providers.amazon.aws.hooks.athena import AthenaHook

    return AthenaHook().get_query_results(query_execution_id)
