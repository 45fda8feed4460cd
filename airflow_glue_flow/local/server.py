"""Start and stop the local Glue: in this process (:class:`LocalGlueServer`) or as a subprocess
(:class:`LocalGlue`, what tests and the demo use, started exactly as ``glue-flow local serve``).

All state (buckets, objects, catalog, crawlers, jobs, runs, logs) lives in the server's memory and
is gone when it stops.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from airflow_glue_flow.local.api import GlueApi
from airflow_glue_flow.local.clients import local_client
from airflow_glue_flow.local.console import Console, with_console
from airflow_glue_flow.local.crawling.runs import CrawlerRuns
from airflow_glue_flow.local.jobs import JobRuns
from airflow_glue_flow.local.logs import LogPages
from airflow_glue_flow.local.settings import (
    DEFAULT_MIN_CRAWL_SECONDS,
    MIN_CRAWL_SECONDS_ENV,
    STATE_DIR_ENV,
    TIMEOUT_UNIT_SECONDS_ENV,
    Settings,
    env_float,
)

DEFAULT_HOST = "127.0.0.1"


class LocalGlueServer:
    """The local Glue HTTP server, running on a thread of this process.

    moto's backends are process-wide, so run one server per process (the CLI does) and do not mix it
    with ``moto.mock_aws`` in the same process.

    :param host: the address to bind (``0.0.0.0`` in a container).
    :param port: the port; 0 picks a free one.
    :param state_dir: folder for job scripts and run working directories (a new temporary folder if None).
    :param min_crawl_seconds: shortest crawl in seconds (default: ``GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS`` or 3).
    :param timeout_unit_seconds: seconds per Glue timeout minute
        (default: ``GLUE_FLOW_LOCAL_TIMEOUT_UNIT_SECONDS`` or 60).
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        state_dir: str | Path | None = None,
        min_crawl_seconds: float | None = None,
        timeout_unit_seconds: float | None = None,
    ) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        directory = state_dir or os.environ.get(STATE_DIR_ENV) or tempfile.mkdtemp(prefix="glue-flow-local-")
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.settings = Settings(
            endpoint_url="",
            state_dir=Path(directory).resolve(),
            min_crawl_seconds=min_crawl_seconds
            if min_crawl_seconds is not None
            else env_float(MIN_CRAWL_SECONDS_ENV, DEFAULT_MIN_CRAWL_SECONDS),
            timeout_unit_seconds=timeout_unit_seconds
            if timeout_unit_seconds is not None
            else env_float(TIMEOUT_UNIT_SECONDS_ENV, 60.0),
        )
        self.crawls = CrawlerRuns(self.settings)
        self.jobs = JobRuns(self.settings)
        app = with_console(
            GlueApi(LogPages(DomainDispatcherApplication(create_backend_app)), self.crawls, self.jobs),
            Console(lambda: self.settings.endpoint_url),
        )
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(host, port, app, threaded=True, request_handler=MotoRequestHandler)
        self.host = host
        self.port: int = self._server.server_port
        # The server's own crawls and job scripts always call back over loopback.
        loopback = DEFAULT_HOST if host in ("0.0.0.0", "", "::") else host
        self.settings.endpoint_url = f"http://{loopback}:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        """The URL to give boto3 as ``endpoint_url``."""
        return self.settings.endpoint_url

    def serve_forever(self) -> None:
        """Serve on the calling thread until :meth:`stop` (or an interrupt)."""
        try:
            self._server.serve_forever()
        finally:
            self.jobs.shutdown()

    def start(self) -> LocalGlueServer:
        """Serve on a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="local-glue", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and kill running job scripts."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.jobs.shutdown()


class LocalGlue:
    """A local Glue server in a subprocess, started with the same command as the docker-compose service.

    Use ``with LocalGlue.start() as glue: boto3.client("glue", endpoint_url=glue.endpoint_url, ...)``.

    :param process: the server process.
    :param endpoint_url: the URL it printed.
    :param state_dir: its state folder.
    """

    def __init__(self, process: subprocess.Popen[str], endpoint_url: str, state_dir: Path) -> None:
        self.process = process
        self.endpoint_url = endpoint_url
        self.state_dir = state_dir
        self.region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    @staticmethod
    def command(host: str = DEFAULT_HOST, port: int = 0, state_dir: str | Path | None = None) -> list[str]:
        """The server command line, the docker-compose service's with this Python as ``python``.

        ``python -m airflow_glue_flow.local serve`` is ``glue-flow local serve`` without the console script.

        :param host: the address to bind.
        :param port: the port (0: a free one).
        :param state_dir: the state folder, or None for the server's default.
        """
        argv = [sys.executable, "-m", "airflow_glue_flow.local", "serve", "--host", host, "--port", str(port)]
        if state_dir is not None:
            argv += ["--state-dir", str(state_dir)]
        return argv

    @classmethod
    def start(
        cls,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        state_dir: str | Path | None = None,
        min_crawl_seconds: float | None = None,
        timeout_unit_seconds: float | None = None,
        startup_timeout: float = 60.0,
    ) -> LocalGlue:
        """Start ``glue-flow local serve`` and wait until it prints its endpoint URL.

        :param host: the address to bind.
        :param port: the port (0: a free one).
        :param state_dir: the state folder (a new temporary folder if None); ``server.log`` holds its stderr.
        :param min_crawl_seconds: sets ``GLUE_FLOW_LOCAL_MIN_CRAWL_SECONDS`` for the server.
        :param timeout_unit_seconds: sets ``GLUE_FLOW_LOCAL_TIMEOUT_UNIT_SECONDS`` for the server.
        :param startup_timeout: seconds to wait for the URL.
        :raises RuntimeError: when the server exits or stays silent.
        """
        directory = Path(state_dir or tempfile.mkdtemp(prefix="glue-flow-local-"))
        directory.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        if min_crawl_seconds is not None:
            env[MIN_CRAWL_SECONDS_ENV] = str(min_crawl_seconds)
        if timeout_unit_seconds is not None:
            env[TIMEOUT_UNIT_SECONDS_ENV] = str(timeout_unit_seconds)
        log_path = directory / "server.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                cls.command(host, port, directory),
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=env,
                text=True,
            )
        url = _read_url(process, startup_timeout)
        if url is None:
            process.kill()
            process.wait()
            raise RuntimeError(
                f"The local Glue did not start: see {log_path}:\n{log_path.read_text()[-2000:]}"
            )
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        return cls(process, url, directory)

    def client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client for ``s3``, ``glue`` or ``logs`` of this local Glue.

        :param service: the service name.
        :param region: the region (default: ``AWS_DEFAULT_REGION`` or us-east-1).
        """
        return local_client(self.endpoint_url, service, region or self.region)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> LocalGlue:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _read_url(process: subprocess.Popen[str], timeout: float) -> str | None:
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("http://"):
                found.append(line.strip())
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while reader.is_alive() and time.monotonic() < deadline and process.poll() is None:
        reader.join(timeout=0.05)
    return found[0] if found else None


def _drain(stream: Any) -> None:
    for _ in stream:
        pass
