"""Deprecated: moved to :mod:`airflow_glue_flow.cli.flow_jobs`; this module goes in the next minor release."""

from typing import Any

from airflow_glue_flow.deprecations import Moved

_MOVED = Moved(__name__, ("airflow_glue_flow.cli.flow_jobs",))


def __getattr__(name: str) -> Any:
    return _MOVED.attribute(name)
