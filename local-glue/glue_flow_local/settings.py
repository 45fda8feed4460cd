"""Settings of one local Glue server, from flags or environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

#: Environment variable: seconds a crawl lasts at least, so a poller can see RUNNING (default 3).
MIN_CRAWL_SECONDS_ENV = "GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS"
#: Shortest crawl by default: long enough that a DAG's poll loop really polls; tests set their own.
DEFAULT_MIN_CRAWL_SECONDS = 3.0
#: Environment variable: seconds one Glue timeout "minute" lasts (default 60; tests use 1).
TIMEOUT_UNIT_SECONDS_ENV = "GLUE_FLOW_LOCAL_TIMEOUT_UNIT_SECONDS"
#: Environment variable: seconds one Step Functions second lasts in Wait states and Retry intervals (default 1).
SFN_TIME_SCALE_ENV = "GLUE_FLOW_LOCAL_SFN_TIME_SCALE"
#: Environment variable: folder for downloaded job scripts and run working directories.
STATE_DIR_ENV = "GLUE_FLOW_LOCAL_STATE_DIR"
#: Environment variables: the access key id and secret requests must be signed with.
ACCESS_KEY_ID_ENV = "GLUE_FLOW_LOCAL_ACCESS_KEY_ID"
SECRET_ACCESS_KEY_ENV = "GLUE_FLOW_LOCAL_SECRET_ACCESS_KEY"
#: Environment variable: comma-separated browser origins allowed to call the server (none by default).
ALLOWED_ORIGINS_ENV = "GLUE_FLOW_LOCAL_ALLOWED_ORIGINS"
#: Environment variable: ``false`` (or ``0``, ``no``, ``off``) turns the warm Spark off: every Spark run starts
#: its own JVM and SparkContext (default on).
WARM_SPARK_ENV = "GLUE_FLOW_LOCAL_WARM_SPARK"
#: The credentials the server accepts unless started with others (the AWS CLI's and moto's usual ones).
DEFAULT_ACCESS_KEY_ID = "testing"
DEFAULT_SECRET_ACCESS_KEY = "testing"
#: URL prefix of the console pages on the local Glue's address. The underscore keeps it apart from S3's
#: path-style URLs: no bucket name may contain one.
CONSOLE_PREFIX = "/_console"


@dataclass(frozen=True)
class Credentials:
    """An access key id and its secret.

    :param access_key_id: the access key id.
    :param secret_access_key: the secret access key.
    """

    access_key_id: str = DEFAULT_ACCESS_KEY_ID
    secret_access_key: str = DEFAULT_SECRET_ACCESS_KEY

    @classmethod
    def from_env(cls, access_key_id: str | None = None, secret_access_key: str | None = None) -> Credentials:
        """The given values, else the environment variables, else the defaults."""
        return cls(
            access_key_id or os.environ.get(ACCESS_KEY_ID_ENV) or DEFAULT_ACCESS_KEY_ID,
            secret_access_key or os.environ.get(SECRET_ACCESS_KEY_ENV) or DEFAULT_SECRET_ACCESS_KEY,
        )


@dataclass
class Settings:
    """How one local Glue server behaves.

    :param endpoint_url: the loopback URL the server's own crawls and job runs call back to.
    :param state_dir: folder for job scripts and run working directories.
    :param min_crawl_seconds: the shortest crawl, in seconds.
    :param timeout_unit_seconds: the length of one Glue timeout "minute", in seconds.
    :param sfn_time_scale: seconds one Step Functions second lasts (Wait states, Retry intervals, task timeouts).
    :param credentials: what requests must be signed with (also given to crawls and job runs).
    :param allowed_origins: browser origins allowed to call the server.
    :param warm_spark: keep a Spark driver started ahead for the next Spark run (see
        :mod:`glue_flow_local.glue.jobs.spark.warm`).
    """

    endpoint_url: str
    state_dir: Path
    min_crawl_seconds: float = DEFAULT_MIN_CRAWL_SECONDS
    timeout_unit_seconds: float = 60.0
    sfn_time_scale: float = 1.0
    credentials: Credentials = field(default_factory=Credentials)
    allowed_origins: tuple[str, ...] = ()
    warm_spark: bool = True

    def run_dir(self, run_id: str) -> Path:
        """The working directory of one job run (its script, files and ``HOME``), removed when the run ends.

        :param run_id: the run id.
        """
        return self.state_dir / "runs" / run_id


@dataclass(frozen=True)
class ServerOptions:
    """What a caller chooses of a local Glue server's :class:`Settings`; None leaves it to the environment.

    :class:`~glue_flow_local.server.LocalGlueServer` resolves these in its own process;
    :class:`~glue_flow_local.process.LocalGlueProcess` passes them to its subprocess in the
    environment variables below.

    :param min_crawl_seconds: the shortest crawl (default: ``GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS``, else 3).
    :param timeout_unit_seconds: seconds per Glue timeout minute
        (default: ``GLUE_FLOW_LOCAL_TIMEOUT_UNIT_SECONDS``, else 60).
    :param sfn_time_scale: seconds per Step Functions second (default: ``GLUE_FLOW_LOCAL_SFN_TIME_SCALE``,
        else 1).
    :param credentials: what requests must be signed with (default: ``GLUE_FLOW_LOCAL_ACCESS_KEY_ID`` /
        ``GLUE_FLOW_LOCAL_SECRET_ACCESS_KEY``, else ``testing`` / ``testing``).
    :param allowed_origins: browser origins allowed to call (default: ``GLUE_FLOW_LOCAL_ALLOWED_ORIGINS``,
        else none).
    :param warm_spark: keep a warm Spark for the next Spark run (default: ``GLUE_FLOW_LOCAL_WARM_SPARK``,
        else on).
    """

    min_crawl_seconds: float | None = None
    timeout_unit_seconds: float | None = None
    sfn_time_scale: float | None = None
    credentials: Credentials | None = None
    allowed_origins: tuple[str, ...] | None = None
    warm_spark: bool | None = None

    def settings(self, endpoint_url: str, state_dir: Path) -> Settings:
        """The server's settings: these options, the environment's values for the others, else the defaults.

        :param endpoint_url: the loopback URL the server's crawls and job runs call back to.
        :param state_dir: the server's state folder.
        """
        return Settings(
            endpoint_url=endpoint_url,
            state_dir=state_dir,
            min_crawl_seconds=self.min_crawl_seconds
            if self.min_crawl_seconds is not None
            else env_float(MIN_CRAWL_SECONDS_ENV, DEFAULT_MIN_CRAWL_SECONDS),
            timeout_unit_seconds=self.timeout_unit_seconds
            if self.timeout_unit_seconds is not None
            else env_float(TIMEOUT_UNIT_SECONDS_ENV, 60.0),
            sfn_time_scale=self.sfn_time_scale
            if self.sfn_time_scale is not None
            else env_float(SFN_TIME_SCALE_ENV, 1.0),
            credentials=self.credentials or Credentials.from_env(),
            allowed_origins=self.allowed_origins
            if self.allowed_origins is not None
            else env_list(ALLOWED_ORIGINS_ENV),
            warm_spark=self.warm_spark if self.warm_spark is not None else env_flag(WARM_SPARK_ENV, True),
        )

    def environment(self) -> dict[str, str]:
        """The environment variables that give the options set here to a ``glue-flow-local serve`` process."""
        env: dict[str, str] = {}
        if self.min_crawl_seconds is not None:
            env[MIN_CRAWL_SECONDS_ENV] = str(self.min_crawl_seconds)
        if self.timeout_unit_seconds is not None:
            env[TIMEOUT_UNIT_SECONDS_ENV] = str(self.timeout_unit_seconds)
        if self.sfn_time_scale is not None:
            env[SFN_TIME_SCALE_ENV] = str(self.sfn_time_scale)
        if self.credentials is not None:
            env[ACCESS_KEY_ID_ENV] = self.credentials.access_key_id
            env[SECRET_ACCESS_KEY_ENV] = self.credentials.secret_access_key
        if self.allowed_origins is not None:
            env[ALLOWED_ORIGINS_ENV] = ",".join(self.allowed_origins)
        if self.warm_spark is not None:
            env[WARM_SPARK_ENV] = "true" if self.warm_spark else "false"
        return env


def env_float(name: str, default: float) -> float:
    """Read a float environment variable.

    :param name: the variable name.
    :param default: the value when unset or empty.
    """
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def env_list(name: str) -> tuple[str, ...]:
    """Read a comma-separated environment variable (empty when unset)."""
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def env_flag(name: str, default: bool) -> bool:
    """Read an on/off environment variable: ``false``, ``0``, ``no`` and ``off`` are off, other values on.

    :param name: the variable name.
    :param default: the value when unset or empty.
    """
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value not in ("false", "0", "no", "off")
