"""Job runs in the local Glue: a Python-shell job's script really runs in a subprocess.

JobRunState goes STARTING -> RUNNING -> SUCCEEDED, FAILED (ErrorMessage = the exception line of the
script's traceback, else its last non-empty stderr line), TIMEOUT (the run's or job's Timeout, in
minutes), or STOPPED (BatchStopJobRun kills the process). stdout and stderr stream, line by line while
the script runs, to CloudWatch Logs groups ``/aws-glue/python-jobs/output`` and
``/aws-glue/python-jobs/error``, stream = run id. Spark (``glueetl``), streaming and Ray jobs end
FAILED: they do not run locally.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from airflow_glue_flow.local.clients import local_client
from airflow_glue_flow.local.crawler import CrawlError, parse_s3_uri
from airflow_glue_flow.local.errors import GlueApiError
from airflow_glue_flow.local.logs import LogStreamWriter
from airflow_glue_flow.local.settings import Settings

JOB_LOG_GROUP = "/aws-glue/python-jobs"
ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})
#: Longest wait for a finished script's last log lines to be written.
READER_JOIN_SECONDS = 60
#: Glue's default Timeout (minutes) for a Python-shell job.
DEFAULT_TIMEOUT_MINUTES = 2880
# Variables that would send the script's boto3 anywhere but the local Glue.
_AWS_ENV_TO_DROP = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@dataclass
class _Run:
    id: str
    region: str
    job: dict[str, Any]
    arguments: dict[str, str]
    timeout: int
    state: str = "STARTING"
    error_message: str | None = None
    started_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    last_modified_on: datetime = field(default_factory=lambda: datetime.now(UTC))
    completed_on: datetime | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    process: subprocess.Popen[bytes] | None = None
    stop_requested: bool = False

    def as_dict(self) -> dict[str, Any]:
        job = self.job
        end = self.finished if self.finished is not None else time.monotonic()
        run: dict[str, Any] = {
            "Id": self.id,
            "Attempt": 0,
            "JobName": job["Name"],
            "JobMode": "SCRIPT",
            "StartedOn": self.started_on,
            "LastModifiedOn": self.last_modified_on,
            "JobRunState": self.state,
            "Arguments": self.arguments,
            "PredecessorRuns": [],
            "ExecutionTime": int(end - self.started),
            "Timeout": self.timeout,
            "MaxCapacity": job.get("MaxCapacity", 0.0625),
            "LogGroupName": JOB_LOG_GROUP,
            "GlueVersion": job.get("GlueVersion") or "3.0",
            "ExecutionClass": job.get("ExecutionClass") or "STANDARD",
        }
        if self.completed_on is not None:
            run["CompletedOn"] = self.completed_on
        if self.error_message:
            run["ErrorMessage"] = self.error_message
        return run


class JobRuns:
    """Every job run, per region.

    :param settings: the server settings.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], list[_Run]] = {}

    def start(self, region: str, job: dict[str, Any], request: dict[str, Any]) -> str:
        """Start a run of a job definition (as GetJob returns it) and return its run id.

        :param region: the request's region.
        :param job: the job definition.
        :param request: the StartJobRun request body.
        :raises GlueApiError: ConcurrentRunsExceededException when MaxConcurrentRuns runs are active.
        """
        name = job["Name"]
        limit = int((job.get("ExecutionProperty") or {}).get("MaxConcurrentRuns") or 1)
        arguments = dict(request.get("Arguments") or {})
        timeout = int(request.get("Timeout") or job.get("Timeout") or DEFAULT_TIMEOUT_MINUTES)
        run = _Run(
            id=f"jr_{secrets.token_hex(32)}", region=region, job=job, arguments=arguments, timeout=timeout
        )
        with self._lock:
            runs = self._runs.setdefault((region, name), [])
            active = sum(r.state in ACTIVE_STATES for r in runs)
            if active >= limit:
                raise GlueApiError(
                    "ConcurrentRunsExceededException",
                    f"Concurrent runs exceeded for {name}: {active} active run(s), MaxConcurrentRuns is {limit}",
                )
            runs.append(run)
        threading.Thread(target=self._execute, args=(run,), name=f"job-{run.id[:12]}", daemon=True).start()
        return run.id

    def get(self, region: str, job_name: str, run_id: str) -> dict[str, Any]:
        """GetJobRun of one run.

        :param region: the request's region.
        :param job_name: the job name.
        :param run_id: the run id.
        :raises GlueApiError: EntityNotFoundException for an unknown run.
        """
        return self._find(region, job_name, run_id).as_dict()

    def list(self, region: str, job_name: str) -> list[dict[str, Any]]:
        """GetJobRuns of one job, newest first.

        :param region: the request's region.
        :param job_name: the job name.
        """
        with self._lock:
            runs = list(self._runs.get((region, job_name), []))
        return [run.as_dict() for run in reversed(runs)]

    def stop(self, region: str, job_name: str, run_ids: list[str]) -> dict[str, Any]:
        """BatchStopJobRun: stop each active run; the run ends STOPPED.

        :param region: the request's region.
        :param job_name: the job name.
        :param run_ids: the runs to stop.
        """
        done, errors = [], []
        for run_id in run_ids:
            try:
                run = self._find(region, job_name, run_id)
            except GlueApiError as err:
                errors.append(self._stop_error(job_name, run_id, err.code, err.message))
                continue
            with self._lock:
                if run.state not in ACTIVE_STATES or run.state == "STOPPING":
                    errors.append(
                        self._stop_error(
                            job_name,
                            run_id,
                            "InvalidInputException",
                            f"Job run {run_id} of job {job_name} is {run.state}",
                        )
                    )
                    continue
                run.stop_requested = True
                self._set(run, "STOPPING")
                process = run.process
            if process is not None:
                _kill(process)
            done.append({"JobName": job_name, "JobRunId": run_id})
        return {"SuccessfulSubmissions": done, "Errors": errors}

    def shutdown(self) -> None:
        """Kill every running script (the server is going away, and its state with it)."""
        with self._lock:
            processes = [
                run.process for runs in self._runs.values() for run in runs if run.process is not None
            ]
        for process in processes:
            if process.poll() is None:
                _kill(process)

    def _find(self, region: str, job_name: str, run_id: str) -> _Run:
        with self._lock:
            for run in self._runs.get((region, job_name), []):
                if run.id == run_id:
                    return run
        raise GlueApiError("EntityNotFoundException", f"Job run {run_id} of job {job_name} not found")

    @staticmethod
    def _stop_error(job_name: str, run_id: str, code: str, message: str) -> dict[str, Any]:
        return {
            "JobName": job_name,
            "JobRunId": run_id,
            "ErrorDetail": {"ErrorCode": code, "ErrorMessage": message},
        }

    def _set(self, run: _Run, state: str, error: str | None = None) -> None:
        run.state = state
        run.last_modified_on = datetime.now(UTC)
        if error is not None:
            run.error_message = error
        if state not in ACTIVE_STATES:
            run.completed_on = run.last_modified_on
            run.finished = time.monotonic()

    def _execute(self, run: _Run) -> None:
        try:
            outcome, error = self._run_script(run)
        except Exception as err:  # a run must always end; report the unexpected as FAILED
            outcome, error = "FAILED", f"Internal error while running the job: {type(err).__name__}: {err}"
        with self._lock:
            if run.stop_requested and outcome != "SUCCEEDED":
                outcome, error = "STOPPED", None
            self._set(run, outcome, error)

    def _run_script(self, run: _Run) -> tuple[str, str | None]:
        job, endpoint = run.job, self._settings.endpoint_url
        command = job.get("Command") or {}
        kind = command.get("Name", "")
        if kind != "pythonshell":
            return "FAILED", (
                f"Job {job['Name']} is a {kind or 'unknown'} job: Spark, streaming and Ray jobs don't run in the local "
                "Glue; only Python-shell jobs (Command.Name pythonshell) run locally. Run this job on AWS Glue."
            )
        location = command.get("ScriptLocation") or ""
        workdir = self._settings.state_dir / "runs" / run.id
        workdir.mkdir(parents=True, exist_ok=True)
        try:
            bucket, key = parse_s3_uri(location)
            body = (
                local_client(endpoint, "s3", run.region, self._settings.credentials)
                .get_object(Bucket=bucket, Key=key)["Body"]
                .read()
            )
        except CrawlError as err:
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
        logs = local_client(endpoint, "logs", run.region, self._settings.credentials)
        out = LogStreamWriter(logs, f"{JOB_LOG_GROUP}/output", run.id)
        err_writer = LogStreamWriter(logs, f"{JOB_LOG_GROUP}/error", run.id)
        error_line = ErrorLine()
        for writer in (out, err_writer):
            writer.open()
        with self._lock:
            if run.stop_requested:
                return "STOPPED", None
            process = subprocess.Popen(
                argv,
                cwd=workdir,
                env=self._script_env(run.region),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
            run.process = process
            self._set(run, "RUNNING")
        readers = [
            threading.Thread(target=_pump, args=(process.stdout, out, None), daemon=True),
            threading.Thread(target=_pump, args=(process.stderr, err_writer, error_line), daemon=True),
        ]
        for reader in readers:
            reader.start()
        timed_out = not _wait_for_exit(process, run.timeout * self._settings.timeout_unit_seconds)
        # The run is over once the script ends: whatever it left running goes with it (killed while the
        # script's process group still exists), which closes the pipes, so the readers finish and the run
        # ends with every log line written.
        _kill(process)
        returncode = process.wait()
        for reader in readers:
            reader.join(timeout=READER_JOIN_SECONDS)
        if timed_out:
            return (
                "TIMEOUT",
                f"Job run {run.id} of job {job['Name']} timed out after {run.timeout} minutes (Timeout)",
            )
        if run.stop_requested:
            return "STOPPED", None
        if returncode == 0:
            return "SUCCEEDED", None
        if error_line.message:
            return "FAILED", error_line.message
        return "FAILED", f"Command failed with exit code {returncode}"

    def _script_env(self, region: str) -> dict[str, str]:
        state_dir = self._settings.state_dir
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
                "AWS_ENDPOINT_URL": self._settings.endpoint_url,
                "AWS_ACCESS_KEY_ID": self._settings.credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self._settings.credentials.secret_access_key,
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


def _kill(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
