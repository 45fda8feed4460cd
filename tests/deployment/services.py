"""Run docker-compose.yaml's services without Docker: the same commands, environment and healthchecks.

Only what a container would give differently is replaced: service host names become loopback addresses
(the API server, the scheduler's health server, the log servers and the local Glue get free ports), the
container paths under ``/opt/airflow`` become folders of one temp dir, and Postgres is a throwaway
cluster. The named volume of the job environments, which outlives ``docker compose down``, is this
machine's job-environment folder (built by earlier runs, as the volume is by an earlier ``up``). Every
process runs in its own session so that it and its children are stopped together.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from glue_flow_local.glue.jobs.env import env_root
from tests.conftest import REPO_ROOT
from tests.support.owner_watch import owner_watch

COMPOSE = yaml.safe_load((REPO_ROOT / "docker-compose.yaml").read_text())
CONTAINER_HOME = "/opt/airflow"
BIN = Path(sys.executable).parent
#: Order docker compose starts them in (depends_on); airflow-init runs to completion first.
SERVERS = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer")
#: Named volumes kept between deployments, and the folder of this machine that plays each.
KEPT_VOLUMES = {"local-glue-job-envs": env_root}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's interpolation: ``${VAR:-default}``, ``${VAR}``, and ``$$`` for a literal ``$``."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(3) or ""
        return env.get(name) or default

    return re.sub(r"\$\$|\$\{(\w+)(:-([^}]*))?\}", one, value)


class ComposeProcesses:
    """The compose services as local processes, with their logs in ``base / "logs"``.

    :param base: temp dir for Airflow's home (the container's ``/opt/airflow``) and the logs.
    :param sql_alchemy_conn: URL of the Postgres that stands in for the ``postgres`` service.
    :param extra_dags: DAG files of the test itself, put beside the mounted ``dags/`` files.
    :param dag_env: environment the DAG files read when parsed, given to every Airflow service.
    """

    def __init__(
        self,
        base: Path,
        sql_alchemy_conn: str,
        extra_dags: tuple[Path, ...] = (),
        dag_env: Mapping[str, str] | None = None,
    ) -> None:
        self.extra_dags = extra_dags
        self.dag_env = dict(dag_env or {})
        self.base = base
        self.home = base / "airflow"
        self.logs = base / "logs"
        self.sql_alchemy_conn = sql_alchemy_conn
        self.api_port = free_port()
        self.scheduler_health_port = free_port()
        # The scheduler's and the triggerer's log servers, which the API server asks for the logs of running
        # and deferred tasks: with the default ports, another deployment on this machine would answer.
        self.log_server_ports = {"worker": free_port(), "trigger": free_port()}
        self.glue_url = ""
        self.processes: dict[str, subprocess.Popen] = {}
        self._group_kills: dict[str, int] = {}
        self.logs.mkdir(parents=True)
        self.home.mkdir()
        self._mount_volumes()

    def _mount_volumes(self) -> None:
        # ./dags is bind-mounted: link what it holds; named volumes are plain folders.
        for volume in COMPOSE["x-airflow-common"]["volumes"]:
            source, target = volume.split(":")[:2]
            local = self.home / Path(target).relative_to(CONTAINER_HOME)
            local.mkdir(parents=True)
            if source.startswith("."):
                for entry in (REPO_ROOT / source).iterdir():
                    if entry.name != "__pycache__":
                        (local / entry.name).symlink_to(entry)
                for extra in self.extra_dags:
                    (local / extra.name).symlink_to(extra)

    def local_path(self, container_path: str) -> str:
        return container_path.replace(CONTAINER_HOME, str(self.home), 1)

    def env(self, service: str) -> dict[str, str]:
        """The service's compose environment, with its addresses and paths mapped to this machine."""
        compose_env = {
            k: interpolate(str(v), os.environ) for k, v in COMPOSE["services"][service]["environment"].items()
        }
        env = {
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "LANG": "C.UTF-8",
            "HOME": str(self.base),
            "AIRFLOW_HOME": str(self.home),  # the image's AIRFLOW_HOME
            **compose_env,
        }
        if not service.startswith("local-glue"):
            env.update(self.dag_env)
        if service.startswith("local-glue"):
            # What the image gives the job environments (its Pythons, the installer's cache) is this
            # machine's home here: pyenv's Pythons and uv's cache are found through HOME.
            env["HOME"] = str(Path.home())
            for volume in COMPOSE["services"][service].get("volumes", []):
                name, target = volume.split(":")[:2]
                env.update({k: str(KEPT_VOLUMES[name]()) for k, v in env.items() if v == target})
            return env
        connection = json.loads(env["AIRFLOW_CONN_AWS_DEFAULT"])
        connection["extra"]["endpoint_url"] = self.glue_url
        env.update(
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=self.sql_alchemy_conn,
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"http://127.0.0.1:{self.api_port}/execution/",
            AIRFLOW_CONFIG=self.local_path(env["AIRFLOW_CONFIG"]),
            AIRFLOW_CONN_AWS_DEFAULT=json.dumps(connection),
            # Inside a container these are the defaults (0.0.0.0:8080, 8974); here they must not collide.
            AIRFLOW__API__HOST="127.0.0.1",
            AIRFLOW__API__PORT=str(self.api_port),
            AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT=str(self.scheduler_health_port),
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(self.log_server_ports["worker"]),
            AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT=str(self.log_server_ports["trigger"]),
        )
        return env

    def command(self, argv: list[str]) -> list[str]:
        """A compose command or healthcheck as run here: the venv's ``airflow``/``python``, local ports."""
        programs = {
            "airflow": str(BIN / "airflow"),
            "python": sys.executable,
            "glue-flow-local": str(BIN / "glue-flow-local"),
        }
        glue_port = self.glue_url.rsplit(":", 1)[-1] if self.glue_url else "4566"
        ports = {"8080": str(self.api_port), "8974": str(self.scheduler_health_port), "4566": glue_port}
        return [programs.get(argv[0], argv[0])] + [
            re.sub(r"\b(8080|8974|4566)\b", lambda m: ports[m.group(1)], arg) for arg in argv[1:]
        ]

    def start(self, service: str, argv: list[str] | None = None) -> subprocess.Popen:
        argv = argv or self.command(COMPOSE["services"][service]["command"])
        log = (self.logs / f"{service}.log").open("ab")
        process = subprocess.Popen(
            argv,
            env=self.env(service),
            cwd=self.base,
            stdout=subprocess.PIPE if service == "local-glue" else log,
            stderr=log,
            start_new_session=True,
        )
        self.processes[service] = process
        # Its own session, so its process group can be ended if this test run is killed outright.
        self._group_kills[service] = owner_watch().kill_group(process.pid)
        return process

    def start_local_glue(self) -> str:
        """Run local-glue-init to completion, then start the local-glue service on loopback and a free
        port (depends_on: service_completed_successfully); returns its URL."""
        self.run_to_completion("local-glue-init")
        argv = self.command(COMPOSE["services"]["local-glue"]["command"])
        argv[argv.index("--host") + 1], argv[argv.index("--port") + 1] = "127.0.0.1", "0"
        process = self.start("local-glue", argv)
        self.glue_url = process.stdout.readline().decode().strip()
        assert self.glue_url.startswith("http://127.0.0.1:"), self.log_tail("local-glue")
        return self.glue_url

    def run_init(self) -> None:
        """airflow-init: runs to completion before the servers start (service_completed_successfully)."""
        self.run_to_completion("airflow-init")

    def run_to_completion(self, service: str, timeout: float = 600) -> None:
        """Run a one-off service (``restart: "no"``) and require exit code 0."""
        code = self.start(service).wait(timeout=timeout)
        assert code == 0, self.log_tail(service)

    def healthy(self, service: str) -> bool:
        test = COMPOSE["services"][service]["healthcheck"]["test"]
        assert test[0] == "CMD"
        result = subprocess.run(
            self.command(test[1:]), env=self.env(service), cwd=self.base, capture_output=True, timeout=60
        )
        return result.returncode == 0

    def wait_healthy(self, service: str, timeout: float = 120) -> None:
        """Run the service's compose healthcheck until it passes, as depends_on: service_healthy does."""
        interval = min(
            5.0, float(str(COMPOSE["services"][service]["healthcheck"].get("interval", "5s"))[:-1])
        )
        deadline = time.monotonic() + timeout
        started = time.monotonic()
        while not self.healthy(service):
            assert self.processes[service].poll() is None, f"{service} exited\n{self.log_tail(service)}"
            assert time.monotonic() < deadline, (
                f"{service} not healthy after {timeout} s\n{self.log_tail(service)}"
            )
            time.sleep(interval)
        print(f"{service} healthy after {time.monotonic() - started:.1f} s", flush=True)

    def log_tail(self, service: str, lines: int = 60) -> str:
        path = self.logs / f"{service}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        return f"--- {service} log ---\n" + "\n".join(text.splitlines()[-lines:])

    def log_text(self, service: str) -> str:
        return (self.logs / f"{service}.log").read_text(errors="replace")

    def stop(self) -> None:
        """SIGTERM every service's process group, newest first; SIGKILL what is left after 30 s."""
        for process in reversed(list(self.processes.values())):
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for service, process in self.processes.items():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # Children (task supervisors, gunicorn/uvicorn workers) share the group: end them too.
            _signal_group(process, signal.SIGKILL)
            owner_watch().cancel(self._group_kills.pop(service))
            if process.stdout:
                process.stdout.close()


def _signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def shell_join(argv: list[str]) -> str:
    return " ".join(shlex.quote(a) for a in argv)


def wait_for(
    check: Callable[[], Any], timeout: float, message: Callable[[], str], interval: float = 0.5
) -> Any:
    """Call ``check`` until it returns something truthy; fail with ``message()`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, message()
        time.sleep(interval)
