"""Errors raised by airflow-glue-flow.

Every error names the Glue resource (crawler, job, S3 key), the run id and state where there is one,
and AWS's own error message, so a failed task log says what went wrong without opening the console.

Each error keeps the keyword arguments it was built from (``fields``), so a trigger can send them in
its event and the deferred task can raise the very same error class with the very same message.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException, AirflowSensorTimeout


class GlueFlowError(AirflowException):
    """Base class of every airflow-glue-flow error.

    Each subclass passes its own ``__init__`` arguments on as ``fields``, name for name: that repetition is
    the contract :meth:`from_event` rebuilds the error from, so it is kept written out in every class.
    """

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

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


class GlueCrawlerNotFoundError(GlueFlowError):
    """The named crawler does not exist."""

    def __init__(self, crawler_name: str, aws_message: str = "") -> None:
        super().__init__(
            f"Glue crawler {crawler_name!r} does not exist: {aws_message or 'EntityNotFoundException'}",
            crawler_name=crawler_name,
            aws_message=aws_message,
        )


class GlueCrawlerRunningError(GlueFlowError):
    """The crawler was already crawling and the operator was told not to adopt that crawl."""

    def __init__(self, crawler_name: str, state: str, aws_message: str = "") -> None:
        super().__init__(
            f"Glue crawler {crawler_name!r} is already {state} (if_running='fail'): "
            f"{aws_message or 'CrawlerRunningException'}",
            crawler_name=crawler_name,
            state=state,
            aws_message=aws_message,
        )


class GlueCrawlFailedError(GlueFlowError):
    """The crawl ended READY with LastCrawl.Status FAILED or CANCELLED."""

    def __init__(
        self,
        crawler_name: str,
        status: str,
        error_message: str = "",
        log_group: str = "",
        log_stream: str = "",
    ) -> None:
        where = f" (logs: {log_group} / {log_stream})" if log_group or log_stream else ""
        super().__init__(
            f"Glue crawler {crawler_name!r} crawl {status}: {error_message or 'no error message from AWS'}{where}",
            crawler_name=crawler_name,
            status=status,
            error_message=error_message,
            log_group=log_group,
            log_stream=log_stream,
        )


class GlueCrawlTimeoutError(GlueFlowError):
    """The crawler was still not READY after ``max_attempts`` checks."""

    def __init__(self, crawler_name: str, state: str, checks: int, seconds: float) -> None:
        super().__init__(
            f"Glue crawler {crawler_name!r} still {state} after {checks} checks over {seconds:g} s",
            crawler_name=crawler_name,
            state=state,
            checks=checks,
            seconds=seconds,
        )


class GlueJobNotFoundError(GlueFlowError):
    """The named job does not exist."""

    def __init__(self, job_name: str, aws_message: str = "") -> None:
        super().__init__(
            f"Glue job {job_name!r} does not exist: {aws_message or 'EntityNotFoundException'}",
            job_name=job_name,
            aws_message=aws_message,
        )


class GlueJobStartError(GlueFlowError):
    """StartJobRun kept failing (throttling, concurrent runs exceeded) after every retry."""

    def __init__(self, job_name: str, error_code: str, aws_message: str, attempts: int) -> None:
        super().__init__(
            f"Glue job {job_name!r} could not start after {attempts} attempts: {error_code}: {aws_message}",
            job_name=job_name,
            error_code=error_code,
            aws_message=aws_message,
            attempts=attempts,
        )


class GlueJobRunFailedError(GlueFlowError):
    """The job run ended in FAILED, TIMEOUT, STOPPED, ERROR or EXPIRED."""

    def __init__(self, job_name: str, run_id: str, state: str, error_message: str = "") -> None:
        super().__init__(
            f"Glue job {job_name!r} run {run_id} ended {state}: {error_message or 'no error message from AWS'}",
            job_name=job_name,
            run_id=run_id,
            state=state,
            error_message=error_message,
        )


class GlueJobRunTimeoutError(GlueFlowError):
    """The wait for a job run ran out of attempts before the run ended."""

    def __init__(self, job_name: str, run_id: str, state: str, checks: int, seconds: float) -> None:
        super().__init__(
            f"Glue job {job_name!r} run {run_id} still {state} after {checks} checks over {seconds:g} s",
            job_name=job_name,
            run_id=run_id,
            state=state,
            checks=checks,
            seconds=seconds,
        )


class GlueApiCallError(GlueFlowError):
    """A Glue API call failed after botocore's own retries (access denied, throttling, network, ...)."""

    def __init__(
        self, resource: str, name: str, operation: str, error_code: str, aws_message: str, run_id: str = ""
    ) -> None:
        run = f" run {run_id}" if run_id else ""
        super().__init__(
            f"Glue {resource} {name!r}{run}: {operation} failed: {error_code}: {aws_message}",
            resource=resource,
            name=name,
            operation=operation,
            error_code=error_code,
            aws_message=aws_message,
            run_id=run_id,
        )


class GlueConditionError(GlueFlowError, ValueError):
    """A Glue-style trigger predicate is invalid (raised when the DAG file is parsed)."""

    def __init__(self, task_id: str, problem: str) -> None:
        super().__init__(f"Conditional trigger {task_id!r}: {problem}", task_id=task_id, problem=problem)


class GlueConditionTimeoutError(GlueFlowError, AirflowSensorTimeout):
    """A conditional trigger's predicate was still undecided when its wait ran out (a sensor timeout)."""

    def __init__(self, task_id: str, pending: list[str], seconds: float) -> None:
        super().__init__(
            f"Conditional trigger {task_id!r} still undecided after {seconds:g} s; "
            f"waiting on: {', '.join(pending) or 'nothing'}",
            task_id=task_id,
            pending=pending,
            seconds=seconds,
        )


class GlueTaskParameterError(GlueFlowError, ValueError):
    """A task parameter (often rendered from a template or params) is unusable; raised when the task starts."""

    def __init__(self, task_id: str, name: str, value: str, problem: str) -> None:
        super().__init__(
            f"Task {task_id!r}: {name}={value} {problem}",
            task_id=task_id,
            name=name,
            value=value,
            problem=problem,
        )


class GlueFlowFailedStepsError(GlueFlowError):
    """A DAG run contained a Glue step that ended in a non-success state nobody marked as handled."""

    def __init__(self, failed: list[str]) -> None:
        super().__init__(
            "Glue steps ended in a non-success state: " + "; ".join(failed),
            failed=failed,
        )


class S3EncodingConversionError(GlueFlowError):
    """One or more S3 objects could not be converted; the others were."""

    def __init__(self, bucket: str, failed: dict[str, str]) -> None:
        lines = "\n".join(f"  s3://{bucket}/{key}: {reason}" for key, reason in sorted(failed.items()))
        super().__init__(
            f"{len(failed)} object(s) in s3://{bucket} could not be converted:\n{lines}",
            bucket=bucket,
            failed=failed,
        )


def _error_classes() -> dict[str, type[GlueFlowError]]:
    """Every error class of this module by name, so any of them can come back from a trigger event."""
    found: dict[str, type[GlueFlowError]] = {}
    pending = [GlueFlowError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(sub for sub in cls.__subclasses__() if sub.__module__ == __name__)
    return found
