"""A local Glue in a subprocess (:class:`LocalGlueProcess`), started exactly as ``glue-flow-local serve``:
what tests, the demo and benchmarks use to get a server they can stop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from glue_flow_local.clients import local_client
from glue_flow_local.server import DEFAULT_HOST
from glue_flow_local.settings import Credentials, ServerOptions

if TYPE_CHECKING:
    import boto3


class LocalGlueProcess:
    """A local Glue server in a subprocess, started with the same command as the docker-compose service.

    Use ``with LocalGlueProcess.start() as glue: boto3.client("glue", endpoint_url=glue.endpoint_url, ...)``.

    :param process: the server process.
    :param endpoint_url: the URL it printed.
    :param state_dir: its state folder.
    """

    def __init__(
        self,
        process: subprocess.Popen[str],
        endpoint_url: str,
        state_dir: Path,
        credentials: Credentials | None = None,
        *,
        owns_state_dir: bool = False,
    ) -> None:
        self.process = process
        self.endpoint_url = endpoint_url
        self.state_dir = state_dir
        self.credentials = credentials or Credentials()
        self._owns_state_dir = owns_state_dir
        self.region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")

    @staticmethod
    def command(
        host: str = DEFAULT_HOST,
        port: int = 0,
        state_dir: str | Path | None = None,
        python: str | None = None,
    ) -> list[str]:
        """The server command line, the docker-compose service's with this Python as ``python``.

        ``python -m glue_flow_local serve`` is ``glue-flow-local serve`` without the console script.

        :param host: the address to bind.
        :param port: the port (0: a free one).
        :param state_dir: the state folder, or None for the server's default.
        :param python: the interpreter whose ``glue_flow_local`` runs (default: this one).
        """
        argv = [
            python or sys.executable,
            "-m",
            "glue_flow_local",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
        ]
        if state_dir is not None:
            argv += ["--state-dir", str(state_dir)]
        return argv

    # host, port, state_dir and options are LocalGlueServer's own, passed to the subprocess on its
    # command line and in its environment.
    @classmethod
    def start(
        cls,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        state_dir: str | Path | None = None,
        options: ServerOptions | None = None,
        startup_timeout: float = 60.0,
        python: str | None = None,
    ) -> LocalGlueProcess:
        """Start ``glue-flow-local serve`` and wait until it prints its endpoint URL.

        :param host: the address to bind.
        :param port: the port (0: a free one).
        :param state_dir: the state folder, where ``server.log`` holds its stderr (if None: a new temporary
            folder, removed by :meth:`stop`).
        :param options: the settings the caller chooses, passed in the server's environment; it takes the
            environment's or the defaults for the others.
        :param startup_timeout: seconds to wait for the URL.
        :param python: the interpreter whose ``glue_flow_local`` runs (default: this one), e.g. another
            environment's.
        :raises RuntimeError: when the server exits or stays silent.
        """
        directory = Path(state_dir or tempfile.mkdtemp(prefix="glue-flow-local-"))
        owned = state_dir is None
        directory.mkdir(parents=True, exist_ok=True)
        options = options or ServerOptions()
        # Resolved here, since the handle signs its own clients with the server's credentials.
        credentials = options.credentials or Credentials.from_env()
        env = {**os.environ, **replace(options, credentials=credentials).environment()}
        log_path = directory / "server.log"
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                # The server stops with this process even if it is killed outright, and then removes
                # the folder made for it here.
                [
                    *cls.command(host, port, directory, python),
                    "--exit-with-parent",
                    *(["--remove-state-dir"] if owned else []),
                ],
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
            log_tail = log_path.read_text()[-2000:]
            if owned:
                shutil.rmtree(directory, ignore_errors=True)
            where = "" if owned else f" (log: {log_path})"
            raise RuntimeError(f"The local Glue did not start{where}:\n{log_tail}")
        threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
        return cls(process, url, directory, credentials, owns_state_dir=owned)

    def client(
        self, service: str, region: str | None = None, session: boto3.session.Session | None = None
    ) -> Any:
        """A boto3 client for ``s3``, ``glue`` or ``logs`` of this local Glue.

        :param service: the service name.
        :param region: the region (default: ``AWS_DEFAULT_REGION`` or us-east-1).
        :param session: the boto3 session to create it from (default: a new one).
        """
        return local_client(self.endpoint_url, service, region or self.region, self.credentials, session)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); remove the state folder if ``start`` made it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._owns_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    def __enter__(self) -> LocalGlueProcess:
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
