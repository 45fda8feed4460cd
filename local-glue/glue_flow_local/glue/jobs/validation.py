"""Job definition checks the local Glue makes where AWS makes them: CreateJob, UpdateJob, StartJobRun.

Every refusal is an ``InvalidInputException`` (the error CreateJob, UpdateJob and StartJobRun declare in
the Glue API for bad input). Rules and sources:

- ``Command.Name`` is ``glueetl``, ``gluestreaming``, ``pythonshell`` or ``glueray`` (JobCommand, Glue API).
- Python shell: ``MaxCapacity`` is 0.0625 or 1 DPU; no ``WorkerType`` / ``NumberOfWorkers``
  (Job.MaxCapacity, Glue API; AWS answers "Worker Type is not supported for Job Command pythonshell").
- Spark: ``MaxCapacity`` from 2 to 100 whole DPUs; not together with ``WorkerType`` / ``NumberOfWorkers``,
  which go together (Job.MaxCapacity, Job.WorkerType, Glue API; AWS answers "Please set both Worker Type
  and Number of Workers.").

Where AWS's message text is known it is used word for word; the other messages are the local Glue's own
(the README's fidelity table says which).
- Ray: Glue version 4.0 with worker type Z.2X (Job.WorkerType, Glue API).
- ``AllocatedCapacity`` and ``MaxCapacity`` are not both set.
- ``Timeout`` from 1 to 10080 minutes (Job.Timeout: "less than 7 days or 10080 minutes. Otherwise, the
  jobs will throw an exception"); ``MaxRetries`` and ``NumberOfWorkers`` not negative;
  ``ExecutionProperty.MaxConcurrentRuns`` at least 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from glue_flow_local.protocol.errors import GlueApiError

INVALID_INPUT = "InvalidInputException"
#: Glue versions each job command accepts (AWS Glue versions page: "PythonShell v3.6 is supported in Glue
#: version 1.0. PythonShell v3.9 is supported in Glue version 3.0.").
GLUE_VERSIONS: dict[str, frozenset[str]] = {
    "glueetl": frozenset({"0.9", "1.0", "2.0", "3.0", "4.0", "5.0"}),
    "gluestreaming": frozenset({"1.0", "2.0", "3.0", "4.0", "5.0"}),
    "pythonshell": frozenset({"1.0", "3.0"}),
    "glueray": frozenset({"4.0"}),
}
PYTHON_SHELL_CAPACITIES = (0.0625, 1.0)
SPARK_CAPACITY = (2.0, 100.0)
MAX_TIMEOUT_MINUTES = 10080
_CAPACITY_FIELDS = ("MaxCapacity", "AllocatedCapacity", "WorkerType", "NumberOfWorkers")


def validate_job(job: Mapping[str, Any]) -> None:
    """Check a job definition (a CreateJob request or an UpdateJob ``JobUpdate``) as AWS does.

    :param job: the definition's fields, named as in the Glue API.
    :raises GlueApiError: InvalidInputException naming the field and the rule.
    """
    command = job.get("Command") or {}
    kind = command.get("Name")
    if kind is not None and kind not in GLUE_VERSIONS:
        _fail(f"Invalid Command.Name {kind!r}: a job command is one of {', '.join(sorted(GLUE_VERSIONS))}")
    version = job.get("GlueVersion")
    if kind is not None and version is not None and version not in GLUE_VERSIONS[kind]:
        _fail(
            f"Glue version {version} is not supported for Job Command {kind}: use one of "
            f"{', '.join(sorted(GLUE_VERSIONS[kind]))}"
        )
    _check_range(job, "Timeout", 1, MAX_TIMEOUT_MINUTES, "minutes")
    _check_range(job, "MaxRetries", 0, None, "retries")
    concurrency = (job.get("ExecutionProperty") or {}).get("MaxConcurrentRuns")
    if concurrency is not None and int(concurrency) < 1:
        _fail(f"ExecutionProperty.MaxConcurrentRuns must be at least 1 (got {concurrency})")
    validate_capacity(kind, job)


def validate_capacity(kind: str | None, fields: Mapping[str, Any]) -> None:
    """Check ``MaxCapacity``, ``AllocatedCapacity``, ``WorkerType`` and ``NumberOfWorkers`` for a command.

    Used for a job definition and for StartJobRun's overrides of them.

    :param kind: the job's ``Command.Name`` (None when not given).
    :param fields: the fields, named as in the Glue API.
    :raises GlueApiError: InvalidInputException naming the field and the rule.
    """
    capacity = fields.get("MaxCapacity")
    worker_type = fields.get("WorkerType")
    workers = fields.get("NumberOfWorkers")
    if fields.get("AllocatedCapacity") is not None and capacity is not None:
        _fail("Please set only Allocated Capacity or Max Capacity")
    _check_range(fields, "NumberOfWorkers", 1, None, "workers")
    if kind == "pythonshell":
        if worker_type is not None:
            _fail("Worker Type is not supported for Job Command pythonshell")
        if workers is not None:
            _fail("Number of Workers is not supported for Job Command pythonshell")
        if capacity is not None and float(capacity) not in PYTHON_SHELL_CAPACITIES:
            _fail(f"MaxCapacity {capacity} is not valid for Job Command pythonshell: use 0.0625 or 1 DPU")
        return
    if (worker_type is None) != (workers is None):
        _fail("Please set both Worker Type and Number of Workers.")
    if capacity is not None and worker_type is not None:
        _fail("Do not set Max Capacity if using Worker Type and Number of Workers")
    if kind == "glueray" and worker_type is not None and worker_type != "Z.2X":
        _fail(f"Worker Type {worker_type} is not supported for Job Command glueray: use Z.2X")
    if kind in ("glueetl", "gluestreaming") and capacity is not None:
        low, high = SPARK_CAPACITY
        value = float(capacity)
        if not (low <= value <= high) or not value.is_integer():
            _fail(
                f"MaxCapacity {capacity} is not valid for Job Command {kind}: "
                f"use a whole number of DPUs from {low:g} to {high:g}"
            )


def validate_run(job: Mapping[str, Any], request: Mapping[str, Any]) -> None:
    """Check a StartJobRun request's overrides against its job.

    :param job: the job definition, as GetJob returns it.
    :param request: the StartJobRun request body.
    :raises GlueApiError: InvalidInputException naming the field and the rule.
    """
    _check_range(request, "Timeout", 1, MAX_TIMEOUT_MINUTES, "minutes")
    overrides = {key: request[key] for key in _CAPACITY_FIELDS if request.get(key) is not None}
    if not overrides:
        return
    # A run's capacity replaces the job's: its MaxCapacity drops the job's workers and the reverse.
    replaced: tuple[str, ...] = (
        ("MaxCapacity", "AllocatedCapacity")
        if "WorkerType" in overrides or "NumberOfWorkers" in overrides
        else ()
    )
    if "MaxCapacity" in overrides or "AllocatedCapacity" in overrides:
        replaced = ("WorkerType", "NumberOfWorkers", "MaxCapacity", "AllocatedCapacity")
    effective = {
        key: job[key] for key in _CAPACITY_FIELDS if job.get(key) is not None and key not in replaced
    }
    effective.update(overrides)
    validate_capacity((job.get("Command") or {}).get("Name"), effective)


def _check_range(fields: Mapping[str, Any], name: str, low: int, high: int | None, unit: str) -> None:
    value = fields.get(name)
    if value is None:
        return
    if int(value) < low or (high is not None and int(value) > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        _fail(f"{name} must be {bound} {unit} (got {value})")


def _fail(message: str) -> None:
    raise GlueApiError(INVALID_INPUT, message)
