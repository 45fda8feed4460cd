"""Deprecated: the local Glue is its own distribution now, ``glue-flow-local`` (import ``glue_flow_local``).

``import airflow_glue_flow.local`` and its old submodules (``airflow_glue_flow.local.settings``,
``airflow_glue_flow.local.job_env``, ...) keep working for one minor release with a
``DeprecationWarning``: each old name is the module of ``glue_flow_local`` that took its place.
``python -m airflow_glue_flow.local serve|warm`` runs ``glue-flow-local serve|warm``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

warnings.warn(
    "airflow_glue_flow.local is deprecated: install glue-flow-local and import glue_flow_local "
    "(run the server with 'glue-flow-local serve')",
    DeprecationWarning,
    stacklevel=2,
)

#: Old submodule of ``airflow_glue_flow.local`` -> the ``glue_flow_local`` module that replaces it.
MOVED = {
    "serve": "serve",
    "server": "server",
    "settings": "settings",
    "process": "process",
    "clients": "clients",
    "signing": "protocol.signing",
    "sigv2": "protocol.sigv2",
    "sigv4": "protocol.sigv4",
    "auth": "protocol.auth",
    "json_protocol": "protocol.json_protocol",
    "errors": "protocol.errors",
    "paging": "protocol.paging",
    "api": "glue.api",
    "definitions": "glue.definitions",
    "workflows": "glue.workflows",
    "jobs": "glue.jobs.runs",
    "job_validation": "glue.jobs.validation",
    "job_process": "glue.jobs.process",
    "job_supervisor": "glue.jobs.supervisor",
    "job_env": "glue.jobs.env",
    "job_args": "glue.jobs.args",
    "job_bookmarks": "glue.jobs.bookmarks",
    "spark_jobs": "glue.jobs.spark.runtime",
    "spark_run": "glue.jobs.spark.prepare",
    "crawling": "glue.crawler",
    "s3_conditions": "s3.conditions",
    "s3_notifications": "s3.notifications",
    "s3_notification_checks": "s3.notification_checks",
    "s3_mirror": "s3.mirror",
    "s3uri": "s3.uri",
    "sqs_policy": "sqs.policy",
    "logs": "logs.streams",
    "console": "console.pages",
}


def _new_name(old: str) -> str | None:
    """The ``glue_flow_local`` module for an old ``airflow_glue_flow.local.X[.Y]`` name, else None."""
    first, _, rest = old.removeprefix(f"{__name__}.").partition(".")
    if first not in MOVED:
        return None
    return f"glue_flow_local.{MOVED[first]}" + (f".{rest}" if rest else "")


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports an old submodule name as the module that replaced it (one module object, two names)."""

    def find_spec(self, fullname: str, path: Any = None, target: ModuleType | None = None) -> Any:
        if not fullname.startswith(f"{__name__}.") or fullname == f"{__name__}.__main__":
            return None
        new = _new_name(fullname)
        if new is None or importlib.util.find_spec(new) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=False)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        warnings.warn(
            f"{spec.name} is deprecated: import {_new_name(spec.name)} (distribution glue-flow-local)",
            DeprecationWarning,
            stacklevel=2,
        )
        return importlib.import_module(str(_new_name(spec.name)))

    def exec_module(self, module: ModuleType) -> None:
        """The module is already executed under its new name."""


if not any(isinstance(finder, _MovedModules) for finder in sys.meta_path):
    sys.meta_path.insert(0, _MovedModules())

import glue_flow_local  # noqa: E402

__all__ = [*glue_flow_local.__all__]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(glue_flow_local, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
