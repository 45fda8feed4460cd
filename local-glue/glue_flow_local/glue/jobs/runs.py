"""Job runs in the local Glue: a Python-shell job's script really runs in a subprocess.

JobRunState goes STARTING -> RUNNING -> SUCCEEDED, FAILED (ErrorMessage = the exception line of the
script's traceback, else its last non-empty stderr line), TIMEOUT (the run's or job's Timeout, in
minutes), or STOPPED (BatchStopJobRun kills the process). stdout and stderr stream, line by line while
the script runs, to CloudWatch Logs groups ``/aws-glue/python-jobs/output`` and
``/aws-glue/python-jobs/error``, stream = run id. Spark (``glueetl``), streaming and Ray jobs end
FAILED: they do not run locally. A FAILED run of a job with MaxRetries starts its next attempt as a new
run (``Attempt`` + 1, ``PreviousRunId``, id ``<first id>_attempt_<n>``), as Glue does.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from glue_flow_local.glue.jobs.bookmarks import BookmarkStore
from glue_flow_local.glue.jobs.process import log_group, run_script, stop, stop_all
from glue_flow_local.glue.jobs.script_run import ScriptRun
from glue_flow_local.glue.jobs.spark.warm import WarmPool
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.settings import Settings

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
    finished: float | None = None
    process: subprocess.Popen[bytes] | None = None
    stop_requested: bool = False
    attempt: int = 0
    previous_run_id: str | None = None
    running_since: float | None = None
    capacity: dict[str, Any] = field(default_factory=dict)

    def retry(self) -> _Run:
        """The next attempt of this failed run: Attempt + 1, PreviousRunId = this run, the same input."""
        root = self.id.split("_attempt_", 1)[0]
        attempt = self.attempt + 1
        return _Run(
            id=f"{root}_attempt_{attempt}",
            region=self.region,
            job=self.job,
            arguments=self.arguments,
            timeout=self.timeout,
            attempt=attempt,
            previous_run_id=self.id,
            capacity=self.capacity,
        )

    def as_dict(self) -> dict[str, Any]:
        job = self.job
        run: dict[str, Any] = {
            "Id": self.id,
            "Attempt": self.attempt,
            "JobName": job["Name"],
            "JobMode": "SCRIPT",
            "StartedOn": self.started_on,
            "LastModifiedOn": self.last_modified_on,
            "JobRunState": self.state,
            "Arguments": self.arguments,
            "PredecessorRuns": [],
            "ExecutionTime": self.execution_time(),
            "Timeout": self.timeout,
            "LogGroupName": log_group(job),
            "GlueVersion": job.get("GlueVersion") or "3.0",
            "ExecutionClass": job.get("ExecutionClass") or "STANDARD",
        }
        run.update(self.capacity)
        if self.previous_run_id is not None:
            run["PreviousRunId"] = self.previous_run_id
        if self.completed_on is not None:
            run["CompletedOn"] = self.completed_on
        if self.error_message:
            run["ErrorMessage"] = self.error_message
        return run

    def execution_time(self) -> int:
        """Seconds the run used resources: 0 until it ends, then from RUNNING to its end, as AWS reports."""
        if self.finished is None or self.running_since is None:
            return 0
        return round(self.finished - self.running_since)


def run_capacity(job: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """The run's MaxCapacity or WorkerType + NumberOfWorkers: StartJobRun's when given, else the job's.

    :param job: the job definition.
    :param request: the StartJobRun request body.
    """
    workers = ("WorkerType", "NumberOfWorkers")
    for source in (request, job):
        if any(source.get(key) is not None for key in workers):
            return {key: request.get(key) or job.get(key) for key in workers}
        if source.get("MaxCapacity") is not None:
            return {"MaxCapacity": float(source["MaxCapacity"])}
    # Glue's default: 0.0625 DPU for a Python-shell job, 10 DPUs for a Spark job.
    kind = (job.get("Command") or {}).get("Name")
    return {"MaxCapacity": 0.0625 if kind == "pythonshell" else 10.0}


class JobRuns:
    """Every job run, per region.

    :param settings: the server settings.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        #: Job bookmarks of Spark jobs (GetJobBookmark, ResetJobBookmark).
        self.bookmarks = BookmarkStore(settings.state_dir)
        #: Spark drivers started ahead of the next Spark run.
        self.warm_spark = WarmPool(settings)
        self._lock = threading.Lock()
        self._runs: dict[tuple[str, str], list[_Run]] = {}
        #: Called with (region, job name, GetJobRun's JobRun, retrying) when a run ends; ``retrying`` is
        #: true for a FAILED attempt that MaxRetries runs again (the workflow engine fires triggers here).
        self.on_end: list[Callable[[str, str, dict[str, Any], bool], None]] = []

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
            id=f"jr_{secrets.token_hex(32)}",
            region=region,
            job=job,
            arguments=arguments,
            timeout=timeout,
            previous_run_id=request.get("JobRunId"),
            capacity=run_capacity(job, request),
        )
        with self._lock:
            runs = self._runs.setdefault((region, name), [])
            active = sum(r.state in ACTIVE_STATES for r in runs)
            if active >= limit:
                # AWS's own text, as a StartJobRun refusal shows it (the job name, nothing more).
                raise GlueApiError("ConcurrentRunsExceededException", f"Concurrent runs exceeded for {name}")
            runs.append(run)
        self._launch(run)
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

    def stop(self, region: str, job_name: str, run_ids: Sequence[str]) -> dict[str, Any]:
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
                stop(process)
            done.append({"JobName": job_name, "JobRunId": run_id})
        return {"SuccessfulSubmissions": done, "Errors": errors}

    def shutdown(self) -> None:
        """Kill every running script (the server is going away, and its state with it)."""
        self.warm_spark.shutdown()
        with self._lock:
            processes = [
                run.process for runs in self._runs.values() for run in runs if run.process is not None
            ]
        stop_all(processes)

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

    def _launch(self, run: _Run) -> None:
        threading.Thread(target=self._execute, args=(run,), name=f"job-{run.id[:12]}", daemon=True).start()

    def _set(self, run: _Run, state: str, error: str | None = None) -> None:
        run.state = state
        run.last_modified_on = datetime.now(UTC)
        if state == "RUNNING":
            run.running_since = time.monotonic()
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
        finally:
            # Like Glue's container, the run's working directory goes when the run ends: the server keeps
            # only the run's record (GetJobRun) and its log events, not its files.
            shutil.rmtree(self._settings.run_dir(run.id), ignore_errors=True)
        retry = None
        with self._lock:
            if run.stop_requested and outcome != "SUCCEEDED":
                outcome, error = "STOPPED", None
            self._set(run, outcome, error)
            run.process = None  # the ended process and its closed pipes are not kept with the record
            # Glue retries a FAILED run (not a stopped or timed-out one) MaxRetries times, each attempt
            # a new run; the failed run keeps its state and ErrorMessage.
            if outcome == "FAILED" and run.attempt < int(run.job.get("MaxRetries") or 0):
                retry = run.retry()
                self._runs.setdefault((run.region, run.job["Name"]), []).append(retry)
        if retry is not None:
            self._launch(retry)
        for listener in self.on_end:
            try:
                listener(run.region, run.job["Name"], run.as_dict(), retry is not None)
            except Exception:  # noqa: BLE001 - a listener must not undo the run's end
                logging.getLogger(__name__).exception("after job run %s of %s ended", run.id, run.job["Name"])

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
        return run_script(self._settings, script_run, launch, self.warm_spark)
