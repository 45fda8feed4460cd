"""The local Glue: one loopback HTTP endpoint serving S3, the Glue API and CloudWatch Logs.

moto keeps S3, the Data Catalog and CloudWatch Logs; crawls and Python-shell job runs really run.
Start it with ``glue-flow-local serve`` (or ``python -m glue_flow_local serve``), or from Python as
that command in a subprocess (:class:`LocalGlueProcess`)::

    with LocalGlueProcess.start() as glue:
        glue_client = glue.client("glue")

or on a thread of this process (:class:`LocalGlueServer`, one per process: moto's state is global).

State is kept in memory only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from glue_flow_local.settings import MIN_CRAWL_SECONDS_ENV, STATE_DIR_ENV, TIMEOUT_UNIT_SECONDS_ENV

if TYPE_CHECKING:
    from glue_flow_local.process import LocalGlueProcess
    from glue_flow_local.server import LocalGlueServer

__version__ = "0.1.0"

__all__ = [
    "MIN_CRAWL_SECONDS_ENV",
    "STATE_DIR_ENV",
    "TIMEOUT_UNIT_SECONDS_ENV",
    "LocalGlueProcess",
    "LocalGlueServer",
]


def __getattr__(name: str) -> Any:
    # The server classes load moto and the crawl and job machinery: imported on first use, so a module
    # that needs only local.settings (the provider's extra links) does not load the whole server.
    if name == "LocalGlueProcess":
        from glue_flow_local.process import LocalGlueProcess

        return LocalGlueProcess
    if name == "LocalGlueServer":
        from glue_flow_local.server import LocalGlueServer

        return LocalGlueServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
