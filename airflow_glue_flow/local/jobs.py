"""Job runs in the local Glue: a Python-shell job's script really runs in a subprocess.

JobRunState goes STARTING -> RUNNING -> SUCCEEDED, FAILED (ErrorMessage = the exception line of the
script's traceback, else its last non-empty stderr line), TIMEOUT (the run's or job's Timeout, in
minutes), or STOPPED (BatchStopJobRun kills the process). stdout and stderr stream, line by line while
the script runs, to CloudWatch Logs groups ``/aws-glue/python-jobs/output`` and
``/aws-glue/python-jobs/error``, stream = run id. Spark (``glueetl``), streaming and Ray jobs end
FAILED: they do not run locally.
"""

from __future__ import annotations

import secrets
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from airflow_glue_flow.local.errors import GlueApiError
from airflow_glue_flow.local.job_process import JOB_LOG_GROUP, ScriptRun, kill, run_script
from airflow_glue_flow.local.settings import Settings

ACTIVE_STATES = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})
#: Glue's default Timeout (minutes) for a Python-shell job.
DEFAULT_TIMEOUT_MINUTES = 2880


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
                kill(process)
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
                kill(process)

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
        def launch(spawn: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes] | None:
            with self._lock:
                if run.stop_requested:
                    return None
                run.process = spawn()
                self._set(run, "RUNNING")
                return run.process

        script_run = ScriptRun(
            id=run.id,
            region=run.region,
            job=run.job,
            arguments=run.arguments,
            timeout_minutes=run.timeout,
            stop_requested=lambda: run.stop_requested,
        )
        return run_script(self._settings, script_run, launch)
