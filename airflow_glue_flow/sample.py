"""Deprecated: moved to :mod:`airflow_glue_flow.cli.sample`; this module goes in the next minor release."""

from typing import Any

from airflow_glue_flow.deprecations import Moved

_MOVED = Moved(
    __name__,
    (
        "airflow_glue_flow.cli.sample",
        "airflow_glue_flow.cli.target",
        "airflow_glue_flow.hooks.s3_events",
    ),
)


def __getattr__(name: str) -> Any:
    return _MOVED.attribute(name)
