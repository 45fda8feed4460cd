"""Choice state rules: https://docs.aws.amazon.com/step-functions/latest/dg/state-choice.html"""

from __future__ import annotations

import fnmatch
import re
from datetime import datetime
from typing import Any

from glue_flow_local.stepfunctions.paths import StatesError, exists, read

_OPERATORS = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_KINDS = {
    "String": lambda v: isinstance(v, str),
    "Numeric": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "Timestamp": lambda v: _timestamp(v) is not None,
}
_COMPARISON = re.compile(
    r"^(String|Numeric|Boolean|Timestamp)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?$"
)


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def choose(state: dict[str, Any], data: Any, name: str) -> str:
    """The Next of the first matching rule, else Default.

    :raises StatesError: ``States.NoChoiceMatched`` when nothing matches and there is no Default.
    """
    for rule in state.get("Choices", []):
        if evaluate(rule, data):
            return str(rule["Next"])
    if "Default" in state:
        return str(state["Default"])
    raise StatesError("States.NoChoiceMatched", f"No Matches! (Choice state {name!r})")


def evaluate(rule: dict[str, Any], data: Any) -> bool:
    """Whether one Choice rule (with And / Or / Not) holds for ``data``."""
    if "And" in rule:
        return all(evaluate(r, data) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate(r, data) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], data)
    variable = rule.get("Variable", "$")
    if "IsPresent" in rule:
        return exists(data, variable) == rule["IsPresent"]
    value = read(data, variable)
    for test, kind in (
        ("IsString", "String"),
        ("IsNumeric", "Numeric"),
        ("IsBoolean", "Boolean"),
        ("IsTimestamp", "Timestamp"),
    ):
        if test in rule:
            return bool(_KINDS[kind](value)) == rule[test]
    if "IsNull" in rule:
        return (value is None) == rule["IsNull"]
    if "StringMatches" in rule:
        return isinstance(value, str) and fnmatch.fnmatchcase(value, rule["StringMatches"])
    for key, operand in rule.items():
        match = _COMPARISON.match(key)
        if match is None:
            continue
        kind, operator, is_path = match.groups()
        other = read(data, operand) if is_path else operand
        if not (_KINDS[kind](value) and _KINDS[kind](other)):
            return False  # a value of another type never matches
        if kind == "Timestamp":
            value, other = _timestamp(value), _timestamp(other)
        return bool(_OPERATORS[operator](value, other))
    raise StatesError("States.Runtime", f"Choice rule {rule} has no comparison the local Glue knows")
