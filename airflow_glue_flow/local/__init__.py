"""The local Glue: one loopback HTTP endpoint serving S3, the Glue API and CloudWatch Logs.

moto keeps S3, the Data Catalog and CloudWatch Logs; crawls and Python-shell job runs really run.
Start it with ``glue-flow local serve`` (or ``python -m airflow_glue_flow.local``), or from Python::

    with LocalGlue.start() as glue:
        glue_client = glue.client("glue")

State is kept in memory only.
"""

from __future__ import annotations

from airflow_glue_flow.local.server import LocalGlue, LocalGlueServer
from airflow_glue_flow.local.settings import MIN_CRAWL_SECONDS_ENV, STATE_DIR_ENV, TIMEOUT_UNIT_SECONDS_ENV

__all__ = [
    "MIN_CRAWL_SECONDS_ENV",
    "STATE_DIR_ENV",
    "TIMEOUT_UNIT_SECONDS_ENV",
    "LocalGlue",
    "LocalGlueServer",
]
