"""The process side of a local Glue job run: fetch the script, start it, stream its logs, wait for it.

The run's state machine (states, retries, validation) lives in :mod:`airflow_glue_flow.local.jobs`; it
hands this module one run and gets back the run's outcome and ErrorMessage.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from airflow_glue_flow.local.clients import server_client
from airflow_glue_flow.local.logs import LogStreamWriter
from airflow_glue_flow.local.s3uri import S3UriError, parse_s3_uri
from airflow_glue_flow.local.settings import Settings

JOB_LOG_GROUP = "/aws-glue/python-jobs"
#: Longest wait for a finished script's last log lines to be written.
READER_JOIN_SECONDS = 60
# Variables that would send the script's boto3 anywhere but the local Glue.
_AWS_ENV_TO_DROP = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)

#: Starts the script under the run's lock: given a function that spawns the process, it spawns it and
#: marks the run RUNNING, or returns None when the run was stopped before it started.
Launch = Callable[[Callable[[], subprocess.Popen[bytes]]], "subprocess.Popen[bytes] | None"]


@dataclass
class ScriptRun:
    """What the process side needs to know of one run.

    :param id: the run id.
    :param region: the run's region.
    :param job: the job definition, as GetJob returns it.
    :param arguments: the run's own Arguments (StartJobRun).
    :param timeout_minutes: the run's Timeout.
    :param stop_requested: tells whether BatchStopJobRun asked the run to stop.
    """

    id: str
    region: str
    job: dict[str, Any]
    arguments: dict[str, str]
    timeout_minutes: int
    stop_requested: Callable[[], bool]


def run_script(settings: Settings, run: ScriptRun, launch: Launch) -> tuple[str, str | None]:
    """Run one job run's script to its end; return its final state and ErrorMessage.

    :param settings: the server settings.
    :param run: the run.
    :param launch: starts the process and marks the run RUNNING (see :data:`Launch`).
    """
    job, endpoint = run.job, settings.endpoint_url
    command = job.get("Command") or {}
    kind = command.get("Name", "")
    if kind != "pythonshell":
        return "FAILED", (
            f"Job {job['Name']} is a {kind or 'unknown'} job: Spark, streaming and Ray jobs don't run in the local "
            "Glue; only Python-shell jobs (Command.Name pythonshell) run locally. Run this job on AWS Glue."
        )
    location = command.get("ScriptLocation") or ""
    workdir = settings.state_dir / "runs" / run.id
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        bucket, key = parse_s3_uri(location)
        body = (
            server_client(endpoint, "s3", run.region, settings.credentials)
            .get_object(Bucket=bucket, Key=key)["Body"]
            .read()
        )
    except S3UriError as err:
        return "FAILED", f"Invalid ScriptLocation of job {job['Name']}: {err}"
    except Exception as err:  # botocore's ClientError text names the code and the message
        return "FAILED", f"Failed to download script {location}: {err}"
    script = workdir / (key.rsplit("/", 1)[-1] or "script.py")
    script.write_bytes(body)
    argv = [sys.executable, "-u", str(script), "--JOB_NAME", job["Name"], "--JOB_RUN_ID", run.id]
    merged = {
        **(job.get("DefaultArguments") or {}),
        **run.arguments,
        **(job.get("NonOverridableArguments") or {}),
    }
    for name, value in merged.items():
        argv += [name if name.startswith("--") else f"--{name}", str(value)]
    logs = server_client(endpoint, "logs", run.region, settings.credentials)
    out = LogStreamWriter(logs, f"{JOB_LOG_GROUP}/output", run.id)
    err_writer = LogStreamWriter(logs, f"{JOB_LOG_GROUP}/error", run.id)
    error_line = ErrorLine()
    for writer in (out, err_writer):
        writer.open()
    process = launch(
        lambda: subprocess.Popen(
            argv,
            cwd=workdir,
            env=script_env(settings, run.region),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    )
    if process is None:
        return "STOPPED", None
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, out, None), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, err_writer, error_line), daemon=True),
    ]
    for reader in readers:
        reader.start()
    timed_out = not _wait_for_exit(process, run.timeout_minutes * settings.timeout_unit_seconds)
    # The run is over once the script ends: whatever it left running goes with it (killed while the
    # script's process group still exists), which closes the pipes, so the readers finish and the run
    # ends with every log line written.
    kill(process)
    returncode = process.wait()
    for reader in readers:
        reader.join(timeout=READER_JOIN_SECONDS)
    if timed_out:
        return (
            "TIMEOUT",
            f"Job run {run.id} of job {job['Name']} timed out after {run.timeout_minutes} minutes (Timeout)",
        )
    if run.stop_requested():
        return "STOPPED", None
    if returncode == 0:
        return "SUCCEEDED", None
    if error_line.message:
        return "FAILED", error_line.message
    return "FAILED", f"Command failed with exit code {returncode}"


def script_env(settings: Settings, region: str) -> dict[str, str]:
    """The environment a job script runs with.

    :param settings: the server settings.
    :param region: the run's region.
    """
    state_dir = settings.state_dir
    config = state_dir / "aws-config"
    if not config.exists():
        # Path-style S3 addressing: bucket.<host> does not resolve for a local endpoint.
        config.write_text("[default]\ns3 =\n    addressing_style = path\n")
        (state_dir / "aws-credentials").write_text("")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _AWS_ENV_TO_DROP and not k.startswith("AWS_ENDPOINT_URL")
    }
    env.update(
        {
            "AWS_ENDPOINT_URL": settings.endpoint_url,
            "AWS_ACCESS_KEY_ID": settings.credentials.access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.credentials.secret_access_key,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
            "AWS_CONFIG_FILE": str(config),
            "AWS_SHARED_CREDENTIALS_FILE": str(state_dir / "aws-credentials"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


class ErrorLine:
    """The line a failed run reports as its ErrorMessage, fed the script's stderr line by line.

    That is the exception line of the script's last traceback (``ValueError: ...``), as Glue reports it;
    tracebacks Python prints as "Exception ignored in ..." (finalizers, often at interpreter exit) do not
    count. Without a traceback it is the last non-empty line.
    """

    def __init__(self) -> None:
        self._exception: str | None = None
        self._last: str | None = None
        self._in_traceback = False
        self._ignored = False

    @property
    def message(self) -> str | None:
        """The ErrorMessage so far, or None when stderr had no non-empty line."""
        return self._exception or self._last

    def feed(self, line: str) -> None:
        """Take one stderr line (without its line ending).

        :param line: the line.
        """
        text = line.strip()
        if not text:
            return
        self._last = text
        if text.startswith("Exception ignored"):
            self._ignored = True
        elif text == "Traceback (most recent call last):":
            self._in_traceback = True
        elif not line[:1].isspace():
            # The first unindented line after the frames (or right after "Exception ignored in ...", which
            # may come without frames) is "ExceptionType: message".
            if self._in_traceback and not self._ignored:
                self._exception = text
            self._in_traceback = self._ignored = False


def _pump(stream: IO[bytes] | None, writer: LogStreamWriter, error_line: ErrorLine | None) -> None:
    assert stream is not None
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if error_line is not None:
            error_line.feed(line)
        if not line:
            continue  # CloudWatch Logs rejects empty events
        try:
            writer.write(line)
        except Exception:  # noqa: BLE001 - a lost log line must not stop the run
            pass
    stream.close()


def _wait_for_exit(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for the script to exit, without reaping it; True if it exited.

    Left unreaped, the script keeps its process group id reserved, so killing the group afterwards cannot
    reach a process that reused the id.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            if os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                return True
        except ChildProcessError:  # already reaped (the server shutting down polled it)
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def kill(process: subprocess.Popen[bytes]) -> None:
    """Kill a script and everything in its process group.

    :param process: the script's process.
    """
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
