"""Deprecated: moved to :mod:`airflow_glue_flow.sensors.conditional`; this module goes in the next minor release."""

from typing import Any

from airflow_glue_flow.deprecations import Moved

_MOVED = Moved(
    __name__,
    (
        "airflow_glue_flow.sensors.conditional",
        "airflow_glue_flow.operators.failure_guard",
    ),
    {"GlueConditionalTriggerOperator": "GlueConditionalTriggerSensor"},
)


def __getattr__(name: str) -> Any:
    return _MOVED.attribute(name)
