"""Settings of one local Glue server, from flags or environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

#: Environment variable: seconds a crawl lasts at least, so a poller can see RUNNING (default 3).
MIN_CRAWL_SECONDS_ENV = "GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS"
#: Shortest crawl by default: long enough that a DAG's poll loop really polls; tests set their own.
DEFAULT_MIN_CRAWL_SECONDS = 3.0
#: Environment variable: seconds one Glue timeout "minute" lasts (default 60; tests use 1).
TIMEOUT_UNIT_SECONDS_ENV = "GLUE_FLOW_LOCAL_TIMEOUT_UNIT_SECONDS"
#: Environment variable: folder for downloaded job scripts and run working directories.
STATE_DIR_ENV = "GLUE_FLOW_LOCAL_STATE_DIR"


@dataclass
class Settings:
    """How one local Glue server behaves.

    :param endpoint_url: the loopback URL the server's own crawls and job runs call back to.
    :param state_dir: folder for job scripts and run working directories.
    :param min_crawl_seconds: the shortest crawl, in seconds.
    :param timeout_unit_seconds: the length of one Glue timeout "minute", in seconds.
    """

    endpoint_url: str
    state_dir: Path
    min_crawl_seconds: float = DEFAULT_MIN_CRAWL_SECONDS
    timeout_unit_seconds: float = 60.0


def env_float(name: str, default: float) -> float:
    """Read a float environment variable.

    :param name: the variable name.
    :param default: the value when unset or empty.
    """
    value = os.environ.get(name, "").strip()
    return float(value) if value else default
