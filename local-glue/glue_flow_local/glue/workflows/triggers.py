"""Trigger definitions checked as AWS checks them, and conditional predicates evaluated.

Predicate: ``Logical`` AND (the console's ALL) or ANY, required with more than one condition; each
condition ``LogicalOperator`` EQUALS on a job ``State`` (SUCCEEDED, STOPPED, FAILED, TIMEOUT) or a
crawler ``CrawlState`` (SUCCEEDED, FAILED, CANCELLED); ``StartOnCreation`` is refused for ON_DEMAND
triggers; ``EventBatchingCondition`` has BatchSize 1-100 and BatchWindow 1-900 s (default 900).
https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-trigger.html
https://docs.aws.amazon.com/glue/latest/dg/about-triggers.html
https://docs.aws.amazon.com/glue/latest/webapi/API_EventBatchingCondition.html
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from glue_flow_local.glue.workflows.cron import CronError, parse_schedule
from glue_flow_local.protocol.errors import GlueApiError

TYPES = ("SCHEDULED", "CONDITIONAL", "ON_DEMAND", "EVENT")
JOB_STATES = frozenset({"SUCCEEDED", "STOPPED", "FAILED", "TIMEOUT"})
CRAWL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})
#: AWS's BatchWindow when EventBatchingCondition leaves it out.
DEFAULT_BATCH_WINDOW = 900
MAX_CONDITIONS = 500


def check_trigger(request: dict[str, Any]) -> None:
    """Check a CreateTrigger request (or a TriggerUpdate merged onto the trigger).

    :param request: the trigger's fields.
    :raises GlueApiError: InvalidInputException naming the trigger and the field.
    """
    name = request.get("Name", "")
    kind = request.get("Type")
    if kind not in TYPES:
        _invalid(f"Trigger {name}: Type {kind!r} is not one of {', '.join(TYPES)}")
    if kind == "ON_DEMAND" and request.get("StartOnCreation"):
        _invalid(f"Trigger {name}: StartOnCreation is not supported for ON_DEMAND triggers")
    if kind == "SCHEDULED":
        try:
            parse_schedule(request.get("Schedule") or "")
        except CronError as err:
            _invalid(f"Trigger {name}: {err}")
    if kind == "CONDITIONAL":
        check_predicate(name, request.get("Predicate") or {})
    if kind == "EVENT":
        batch = request.get("EventBatchingCondition")
        if batch is not None:
            size, window = batch.get("BatchSize"), batch.get("BatchWindow", DEFAULT_BATCH_WINDOW)
            if not isinstance(size, int) or not 1 <= size <= 100:
                _invalid(f"Trigger {name}: EventBatchingCondition.BatchSize {size!r} is outside 1-100")
            if not isinstance(window, int) or not 1 <= window <= 900:
                _invalid(f"Trigger {name}: EventBatchingCondition.BatchWindow {window!r} is outside 1-900")
    for action in request.get("Actions") or []:
        if bool(action.get("JobName")) == bool(action.get("CrawlerName")):
            _invalid(f"Trigger {name}: each action names exactly one of JobName and CrawlerName")


def check_predicate(name: str, predicate: dict[str, Any]) -> None:
    """Check a conditional trigger's predicate.

    :param name: the trigger name, for the message.
    :param predicate: the Predicate.
    :raises GlueApiError: InvalidInputException naming the trigger and the condition.
    """
    conditions = predicate.get("Conditions") or []
    if not conditions:
        _invalid(f"Trigger {name}: a CONDITIONAL trigger needs at least one condition")
    if len(conditions) > MAX_CONDITIONS:
        _invalid(f"Trigger {name}: {len(conditions)} conditions, more than {MAX_CONDITIONS}")
    logical = predicate.get("Logical")
    if logical not in (None, "AND", "ANY"):
        _invalid(f"Trigger {name}: Predicate.Logical {logical!r} is not AND or ANY")
    if logical is None and len(conditions) > 1:
        _invalid(f"Trigger {name}: Predicate.Logical is required with more than one condition")
    for condition in conditions:
        operator = condition.get("LogicalOperator", "EQUALS")
        if operator != "EQUALS":
            _invalid(f"Trigger {name}: LogicalOperator {operator!r}; only EQUALS is allowed")
        if condition.get("JobName"):
            if condition.get("State") not in JOB_STATES:
                _invalid(
                    f"Trigger {name}: job {condition['JobName']} State {condition.get('State')!r} cannot be "
                    f"watched; only {', '.join(sorted(JOB_STATES))}"
                )
        elif condition.get("CrawlerName"):
            if condition.get("CrawlState") not in CRAWL_STATES:
                _invalid(
                    f"Trigger {name}: crawler {condition['CrawlerName']} CrawlState "
                    f"{condition.get('CrawlState')!r} cannot be watched; only {', '.join(sorted(CRAWL_STATES))}"
                )
        else:
            _invalid(f"Trigger {name}: a condition names neither JobName nor CrawlerName")


def predicate_met(predicate: dict[str, Any], state_of: Callable[[str, str], str | None]) -> bool:
    """Whether a conditional trigger fires.

    :param predicate: the trigger's Predicate.
    :param state_of: ``(kind, name)`` -> the last ended state of that job (``JOB``) or crawl (``CRAWLER``)
        that counts, or None when there is none.
    """
    results = []
    for condition in predicate.get("Conditions") or []:
        if condition.get("JobName"):
            results.append(state_of("JOB", condition["JobName"]) == condition.get("State"))
        else:
            results.append(
                state_of("CRAWLER", condition.get("CrawlerName", "")) == condition.get("CrawlState")
            )
    if not results:
        return False
    return any(results) if predicate.get("Logical") == "ANY" else all(results)


def watches(trigger: dict[str, Any], kind: str, name: str) -> bool:
    """Whether a conditional trigger has a condition on this job or crawler."""
    key = "JobName" if kind == "JOB" else "CrawlerName"
    return any(c.get(key) == name for c in (trigger.get("Predicate") or {}).get("Conditions") or [])


def _invalid(message: str) -> None:
    raise GlueApiError("InvalidInputException", message)
