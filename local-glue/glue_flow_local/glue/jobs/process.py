"""The process side of a local Glue job run: fetch the script, build its environment, run it, stream its logs.

The run's state machine (states, retries, validation) lives in :mod:`glue_flow_local.glue.jobs.runs`; it
hands this module one run and gets back the run's outcome and ErrorMessage. The script runs under a
per-run supervisor (:mod:`glue_flow_local.glue.jobs.supervisor`) that ends everything the script
started when the script ends or the run is stopped.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from glue_flow_local.clients import server_client
from glue_flow_local.glue.jobs.args import job_environment, merged_arguments, script_argv
from glue_flow_local.glue.jobs.env import (
    JobEnvironmentError,
    closest_interpreter,
    declared_version,
    ensure_environment,
    missing_libraries,
    requirements,
    syntax_error,
)
from glue_flow_local.glue.jobs.relay import Relay
from glue_flow_local.glue.jobs.script_run import Launch, ScriptRun, spawn_supervised
from glue_flow_local.glue.jobs.spark.prepare import SparkPrepareError, prepare_spark
from glue_flow_local.glue.jobs.spark.runtime import SPARK_LOG_GROUP, continuous_writers
from glue_flow_local.glue.jobs.spark.warm import WarmPool, WarmSpark, cold_reason, run_properties
from glue_flow_local.logs.streams import LogStreamWriter
from glue_flow_local.s3.uri import S3UriError, parse_s3_uri
from glue_flow_local.settings import Settings

JOB_LOG_GROUP = "/aws-glue/python-jobs"
#: Longest wait for a finished script's last log lines to be written.
READER_JOIN_SECONDS = 60
#: Longest wait for a stopped run's supervisor to end the run's processes before they are killed outright.
STOP_GRACE_SECONDS = 10


class RunFailed(Exception):
    """The run ends FAILED before its script starts; the message is its ErrorMessage."""


def run_script(
    settings: Settings, run: ScriptRun, launch: Launch, pool: WarmPool | None = None
) -> tuple[str, str | None]:
    """Run one job run's script to its end; return its final state and ErrorMessage.

    :param settings: the server settings.
    :param run: the run.
    :param launch: starts the process and marks the run RUNNING (see :data:`Launch`).
    :param pool: the server's warm Spark drivers (Spark runs take one when they can, then start the next).
    """
    job = run.job
    kind = (job.get("Command") or {}).get("Name", "")
    if kind not in ("pythonshell", "glueetl"):
        return "FAILED", (
            f"Job {job['Name']} is a {kind or 'unknown'} job: streaming and Ray jobs don't run in the local "
            "Glue; Python-shell (pythonshell) and Spark (glueetl) jobs do. Run this job on AWS Glue."
        )
    logs = server_client(settings.endpoint_url, "logs", run.region, settings.credentials)
    out = LogStreamWriter(logs, f"{log_group(job)}/output", run.id)
    err_writer = LogStreamWriter(logs, f"{log_group(job)}/error", run.id)
    for writer in (out, err_writer):
        writer.open()
    if kind == "glueetl":
        return _run_spark(settings, run, launch, pool, logs, out, err_writer)
    try:
        argv, env, workdir = _prepare(settings, run, err_writer)
    except RunFailed as err:
        return "FAILED", str(err)
    return _run_process(settings, run, launch, argv, env, workdir, out, err_writer)


def _run_spark(
    settings: Settings,
    run: ScriptRun,
    launch: Launch,
    pool: WarmPool | None,
    logs: Any,
    out: LogStreamWriter,
    err_writer: LogStreamWriter,
) -> tuple[str, str | None]:
    """Run a Spark job's script on a warm Spark when one is ready and the run can use it, else cold."""
    job = run.job
    arguments = merged_arguments(job, run.arguments)
    key = (str(job.get("GlueVersion") or ""), run.region)
    reason = cold_reason(arguments) if pool is not None and pool.enabled else None
    warm = pool.take(key) if pool is not None and reason is None else None
    workdir = warm.folder if warm is not None else settings.run_dir(run.id)
    try:
        argv, env, conf, finish = prepare_spark(settings, run, _download, workdir)
    except (RunFailed, SparkPrepareError) as err:
        if warm is not None:
            warm.discard()
        return "FAILED", str(err)
    out, err_writer = continuous_writers(logs, arguments, run.id, out, err_writer)
    added: dict[str, str] = {}
    if warm is not None:
        added, refused = run_properties(warm.conf, conf)
        differing = sorted(k for k in {*env, *warm.env} if env.get(k) != warm.env.get(k))
        if refused or differing or argv[:2] != [warm.env["PYSPARK_PYTHON"], "-u"]:
            reason = f"its settings differ from the warm Spark's ({', '.join([*refused, *differing])})"
            warm.discard(remove_folder=False)  # the folder is this run's now; it goes when the run ends
            warm = None
    if reason is not None:
        err_writer.write(f"INFO local Glue: this run starts a Spark of its own, not the warm Spark: {reason}")
    try:
        return _run_process(settings, run, launch, argv, env, workdir, out, err_writer, warm, added)
    finally:
        try:
            finish()  # what the Spark job wrote goes back to S3, its bookmark is kept
        finally:
            if workdir != settings.run_dir(run.id):
                shutil.rmtree(workdir, ignore_errors=True)
            if pool is not None:
                pool.replenish(key)


def log_group(job: dict[str, Any]) -> str:
    """The log group prefix of a job's runs: Spark jobs log under ``/aws-glue/jobs``.

    :param job: the job definition.
    """
    return SPARK_LOG_GROUP if (job.get("Command") or {}).get("Name") == "glueetl" else JOB_LOG_GROUP


def _run_process(
    settings: Settings,
    run: ScriptRun,
    launch: Launch,
    argv: list[str],
    env: dict[str, str],
    workdir: Path,
    out: LogStreamWriter,
    err_writer: LogStreamWriter,
    warm: WarmSpark | None = None,
    added: dict[str, str] | None = None,
) -> tuple[str, str | None]:
    """Start the prepared script (or give it to a warm Spark driver with the Spark properties it ``added``),
    stream its output, wait for it; return its final state and ErrorMessage."""
    job = run.job
    error_line = ErrorLine()
    if warm is None:
        process = launch(lambda: spawn_supervised(argv, workdir, env))
    else:
        process = launch(lambda: warm.process)
    if process is None:
        if warm is not None:
            warm.discard(remove_folder=False)
        return "STOPPED", None
    relays = warm.relays if warm is not None else (Relay(process.stdout), Relay(process.stderr))
    relays[0].attach(out)
    relays[1].attach(err_writer, error_line)  # a warm Spark's start-up lines come first, as in a cold run
    if warm is not None:
        warm.give(argv[2:], added or {})
    timed_out = not _wait_for_exit(process, run.timeout_minutes * settings.timeout_unit_seconds)
    if timed_out:
        stop(process)
        _wait_for_exit(process, STOP_GRACE_SECONDS)
    # The supervisor has ended the script's processes; killing its process group (still reserved: the
    # supervisor is not reaped yet) also covers systems without a child subreaper.
    _kill_group(process)
    returncode = process.wait()
    for relay in relays:
        relay.join(timeout=READER_JOIN_SECONDS)
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


def _prepare(
    settings: Settings, run: ScriptRun, err_writer: LogStreamWriter
) -> tuple[list[str], dict[str, str], Path]:
    """Download the script and its files, build its environment; return argv, env and working dir."""
    job = run.job
    command = job.get("Command") or {}
    arguments = merged_arguments(job, run.arguments)
    # --scriptLocation overrides the command's ScriptLocation, as on AWS.
    location = arguments.pop("--scriptLocation", None) or command.get("ScriptLocation") or ""
    if "--extra-files" in arguments:
        # https://docs.aws.amazon.com/glue/latest/dg/add-job-python.html#python-shell-limitations
        raise RunFailed("The --extra-files option cannot be used with Python shell jobs")
    workdir = settings.run_dir(run.id)
    workdir.mkdir(parents=True, exist_ok=True)
    s3 = server_client(settings.endpoint_url, "s3", run.region, settings.credentials)
    try:
        parse_s3_uri(location)
    except S3UriError as err:
        raise RunFailed(f"Invalid ScriptLocation of job {job['Name']}: {err}") from None
    body = _download(s3, location, "script")
    script = workdir / (location.rsplit("/", 1)[-1] or "script.py")
    script.write_bytes(body)
    python_path = []
    for uri in filter(None, (u.strip() for u in arguments.get("--extra-py-files", "").split(","))):
        name = uri.rsplit("/", 1)[-1]
        if name.endswith(".egg"):
            raise RunFailed(
                f"--extra-py-files {uri}: Python shell jobs on Python 3.9 can't use .egg files; use .whl"
            )
        (workdir / name).write_bytes(_download(s3, uri, "--extra-py-files"))
        if not name.endswith(".py"):  # .zip and .whl are imported from the archive; .py from the workdir
            python_path.append(workdir / name)
    try:
        declared = declared_version(command)
        interpreter = closest_interpreter(declared)
        if interpreter.version != declared:
            error = syntax_error(body, str(script), declared)
            if error:
                for line in error:
                    if line.strip():
                        err_writer.write(line)
                raise RunFailed(error[-1])
        modules = arguments.get("--additional-python-modules", "")
        wanted = requirements(arguments.get("--library-set", ""), interpreter.version, declared, modules)
        python = ensure_environment(
            interpreter,
            wanted,
            [m.strip() for m in modules.split(",") if m.strip()],
            shlex.split(arguments.get("--python-modules-installer-option", "")),
        )
        for line in missing_libraries(python):
            err_writer.write(f"WARNING local Glue: {line}")
    except JobEnvironmentError as err:
        raise RunFailed(str(err)) from None
    argv = [str(python), "-u", *script_argv(script, location, arguments, run.region, job["Name"], run.id)]
    env = job_environment(settings, run.region, python, workdir, python_path)
    return argv, env, workdir


def _download(s3: Any, uri: str, what: str) -> bytes:
    try:
        bucket, key = parse_s3_uri(uri)
    except S3UriError as err:
        raise RunFailed(str(err)) from None
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as err:  # botocore's ClientError text names the code and the message
        raise RunFailed(f"Failed to download {what} {uri}: {err}") from None


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


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a run's script: its supervisor kills the script and everything it started, then exits.

    :param process: the run's supervisor process.
    """
    try:
        process.send_signal(signal.SIGTERM)
    except ProcessLookupError:
        pass


def stop_all(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop every run (server shutdown) and wait until their processes are gone.

    :param processes: the runs' supervisor processes.
    """
    running = [process for process in processes if process.poll() is None]
    for process in running:
        stop(process)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in running:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(process)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
