"""Errors raised by airflow-glue-flow.

Every error names the Glue resource (crawler, job, S3 key), the run id and state where there is one,
and AWS's own error message, so a failed task log says what went wrong without opening the console.

Each error class declares its fields once, as dataclass fields: they are its constructor's arguments,
its attributes and its ``fields`` (what a trigger sends in its event, so the deferred task can raise the
very same error class with the very same message). Its ``template`` words the message from them.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, dataclass_transform

from airflow_glue_flow.compat import AirflowException, AirflowSensorTimeout


@dataclass_transform(eq_default=False)
class GlueFlowError(AirflowException):
    """Base class of every airflow-glue-flow error.

    A subclass declares its fields as annotated class attributes and becomes a dataclass (identity
    equality, hashing and repr stay the exception's own). Its message is ``template`` formatted with the
    fields, an empty one reading as its entry in ``unset`` (AWS sent no message); a message that needs
    more than a template overrides :meth:`describe`.

    :param message: the message, for an error of this base class itself.
    """

    template: ClassVar[str] = "{message}"
    unset: ClassVar[dict[str, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("__annotations__"):
            # Only a class that declares fields: one without keeps the constructor it inherits.
            dataclasses.dataclass(eq=False, repr=False)(cls)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, Any] = {}

    def __post_init__(self) -> None:
        # A subclass's dataclass __init__ has stored the fields; now the message and the event payload.
        GlueFlowError.__init__(self, self.describe())
        self.fields = self._field_values()

    def _field_values(self) -> dict[str, Any]:
        return {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}  # type: ignore[arg-type]

    def describe(self) -> str:
        """The message: :attr:`template` formatted with the fields."""
        shown = {name: value or self.unset.get(name, value) for name, value in self._field_values().items()}
        return self.template.format(**shown)

    def to_event(self) -> dict[str, Any]:
        """Describe this error as a JSON-serialisable trigger event payload."""
        return {
            "status": "error",
            "error_type": type(self).__name__,
            "error": self.fields,
            "message": self.message,
        }

    @staticmethod
    def from_event(event: dict[str, Any]) -> GlueFlowError:
        """Rebuild the error a trigger described with :meth:`to_event`.

        :param event: the trigger event payload.
        """
        cls = _error_classes().get(event.get("error_type", ""), GlueFlowError)
        if cls is GlueFlowError:
            return GlueFlowError(event.get("message", "unknown error"))
        return cls(**event["error"])


#: What an error's message says where AWS sent none.
NOT_FOUND = {"aws_message": "EntityNotFoundException"}
NO_AWS_MESSAGE = {"error_message": "no error message from AWS"}


class GlueCrawlerNotFoundError(GlueFlowError):
    """The named crawler does not exist."""

    template = "Glue crawler {crawler_name!r} does not exist: {aws_message}"
    unset = NOT_FOUND
    crawler_name: str
    aws_message: str = ""


class GlueCrawlerRunningError(GlueFlowError):
    """The crawler was already crawling and the operator was told not to adopt that crawl."""

    template = "Glue crawler {crawler_name!r} is already {state} (if_running='fail'): {aws_message}"
    unset = {"aws_message": "CrawlerRunningException"}
    crawler_name: str
    state: str
    aws_message: str = ""


class GlueCrawlFailedError(GlueFlowError):
    """The crawl ended READY with LastCrawl.Status FAILED or CANCELLED."""

    template = "Glue crawler {crawler_name!r} crawl {status}: {error_message}"
    unset = NO_AWS_MESSAGE
    crawler_name: str
    status: str
    error_message: str = ""
    log_group: str = ""
    log_stream: str = ""

    def describe(self) -> str:
        where = f" (logs: {self.log_group} / {self.log_stream})" if self.log_group or self.log_stream else ""
        return super().describe() + where


class GlueCrawlTimeoutError(GlueFlowError):
    """The crawler was still not READY after ``max_attempts`` checks."""

    template = "Glue crawler {crawler_name!r} still {state} after {checks} checks over {seconds:g} s"
    crawler_name: str
    state: str
    checks: int
    seconds: float


class GlueJobNotFoundError(GlueFlowError):
    """The named job does not exist."""

    template = "Glue job {job_name!r} does not exist: {aws_message}"
    unset = NOT_FOUND
    job_name: str
    aws_message: str = ""


class GlueJobStartError(GlueFlowError):
    """StartJobRun kept failing (throttling, concurrent runs exceeded) after every retry."""

    template = "Glue job {job_name!r} could not start after {attempts} attempts: {error_code}: {aws_message}"
    job_name: str
    error_code: str
    aws_message: str
    attempts: int


class GlueJobRunFailedError(GlueFlowError):
    """The job run ended in FAILED, TIMEOUT, STOPPED, ERROR or EXPIRED."""

    template = "Glue job {job_name!r} run {run_id} ended {state}: {error_message}"
    unset = NO_AWS_MESSAGE
    job_name: str
    run_id: str
    state: str
    error_message: str = ""


class GlueJobRunTimeoutError(GlueFlowError):
    """The wait for a job run ran out of attempts before the run ended."""

    template = "Glue job {job_name!r} run {run_id} still {state} after {checks} checks over {seconds:g} s"
    job_name: str
    run_id: str
    state: str
    checks: int
    seconds: float


class GlueApiCallError(GlueFlowError):
    """A Glue API call failed after botocore's own retries (access denied, throttling, network, ...)."""

    resource: str
    name: str
    operation: str
    error_code: str
    aws_message: str
    run_id: str = ""

    def describe(self) -> str:
        run = f" run {self.run_id}" if self.run_id else ""
        return (
            f"Glue {self.resource} {self.name!r}{run}: {self.operation} failed: "
            f"{self.error_code}: {self.aws_message}"
        )


class GlueConditionError(GlueFlowError, ValueError):
    """A Glue-style trigger predicate is invalid (raised when the DAG file is parsed)."""

    template = "Conditional trigger {task_id!r}: {problem}"
    task_id: str
    problem: str


class GlueConditionTimeoutError(GlueFlowError, AirflowSensorTimeout):
    """A conditional trigger's predicate was still undecided when its wait ran out (a sensor timeout)."""

    task_id: str
    pending: list[str]
    seconds: float

    def describe(self) -> str:
        return (
            f"Conditional trigger {self.task_id!r} still undecided after {self.seconds:g} s; "
            f"waiting on: {', '.join(self.pending) or 'nothing'}"
        )


class GlueTaskParameterError(GlueFlowError, ValueError):
    """A task parameter (often rendered from a template or params) is unusable; raised when the task starts."""

    template = "Task {task_id!r}: {name}={value} {problem}"
    task_id: str
    name: str
    value: str
    problem: str


class GlueFlowFailedStepsError(GlueFlowError):
    """A DAG run contained a Glue step that ended in a non-success state nobody marked as handled."""

    failed: list[str]

    def describe(self) -> str:
        return "Glue steps ended in a non-success state: " + "; ".join(self.failed)


class S3EncodingConversionError(GlueFlowError):
    """One or more S3 objects could not be converted; the others were."""

    bucket: str
    failed: dict[str, str]

    def describe(self) -> str:
        lines = "\n".join(
            f"  s3://{self.bucket}/{key}: {reason}" for key, reason in sorted(self.failed.items())
        )
        return f"{len(self.failed)} object(s) in s3://{self.bucket} could not be converted:\n{lines}"


def _error_classes() -> dict[str, type[GlueFlowError]]:
    """Every error class of this module by name, so any of them can come back from a trigger event."""
    found: dict[str, type[GlueFlowError]] = {}
    pending = [GlueFlowError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(sub for sub in cls.__subclasses__() if sub.__module__ == __name__)
    return found
