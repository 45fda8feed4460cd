"""Checks of task parameters that may arrive rendered from templates, params or conf (as strings).

Each raises :class:`~airflow_glue_flow.exceptions.GlueTaskParameterError`, which names the task, the
parameter and its value, so every task reports bad input the same way.
"""

from __future__ import annotations

import math
from typing import Any

from airflow_glue_flow.exceptions import GlueTaskParameterError


def is_template(value: Any) -> bool:
    """Whether ``value`` is a Jinja template still to be rendered (checked once rendered, at task start)."""
    return isinstance(value, str) and "{{" in value


def coerce_seconds(task_id: str, name: str, value: Any) -> float:
    """``value`` as a number of seconds >= 0.

    :param task_id: the task, for the error message.
    :param name: the parameter, for the error message.
    :param value: the rendered value.
    :raises GlueTaskParameterError: not a finite number >= 0.
    """
    try:
        if isinstance(value, bool):
            raise ValueError
        seconds = float(value)
    except (TypeError, ValueError):
        raise GlueTaskParameterError(task_id, name, repr(value), "is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise GlueTaskParameterError(task_id, name, repr(value), "must be a finite number >= 0")
    return seconds


def coerce_count(task_id: str, name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as a whole number >= ``minimum``.

    :param task_id: the task, for the error message.
    :param name: the parameter, for the error message.
    :param value: the rendered value.
    :param minimum: the smallest value allowed.
    :raises GlueTaskParameterError: not a whole number >= ``minimum``.
    """
    try:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        count = int(value.strip()) if isinstance(value, str) else int(value)
    except (TypeError, ValueError, OverflowError):
        raise GlueTaskParameterError(task_id, name, repr(value), "is not a whole number") from None
    if count < minimum:
        raise GlueTaskParameterError(task_id, name, repr(value), f"must be at least {minimum}")
    return count
