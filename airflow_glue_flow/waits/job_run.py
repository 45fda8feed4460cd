"""The wait for a Glue job run, written once: pure decisions on GetJobRun, GetLogEvents and GetJobRuns answers.

:class:`JobRunWait` is driven by :func:`~airflow_glue_flow.waits.drive.drive` in the worker and by
:func:`~airflow_glue_flow.waits.drive.drive_async` in the triggerer. Per check it reads the run once; with
``verbose`` it then pages the run's output and error streams (GetLogEvents) from where it stopped; then
it decides. With ``follow_retries`` a failed attempt of a job with ``MaxRetries`` is followed to the
attempt Glue starts next (``PreviousRunId``), so the wait ends with the last attempt of the chain.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import Any

from airflow.providers.amazon.aws.hooks.glue import format_glue_logs
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.exceptions import GlueFlowError, GlueJobRunFailedError, GlueJobRunTimeoutError
from airflow_glue_flow.hooks.aws_errors import api_call_error, error_code, error_message
from airflow_glue_flow.states import JOB_RUNNING_STATES, JOB_SUCCESS_STATE
from airflow_glue_flow.waits.drive import Request, Step, WaitLog

#: Log group of Python-shell jobs, used when a run does not report its LogGroupName.
DEFAULT_LOG_GROUP = "/aws-glue/python-jobs"
#: Checks (``poll_interval`` apart) a wait looks for the attempt Glue starts after a failed one before it
#: concludes that Glue did not start one.
SUCCESSOR_CHECKS = 3
#: The only state Glue's MaxRetries starts another attempt after ("retry this job after a JobRun fails",
#: https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-jobs-job.html); a stopped run is the user's
#: decision and a timed-out one is not retried.
_RETRIED_STATE = "FAILED"


def job_run_error(job_name: str, job_run: dict[str, Any]) -> GlueJobRunFailedError | None:
    """Return the error a terminal job run stands for, or None when it succeeded.

    :param job_name: the job's name.
    :param job_run: a ``JobRun`` from GetJobRun in a terminal state.
    """
    state = job_run["JobRunState"]
    if state == JOB_SUCCESS_STATE:
        return None
    return GlueJobRunFailedError(job_name, job_run["Id"], state, job_run.get("ErrorMessage", ""))


def log_group_names(job_run: dict[str, Any]) -> tuple[str, str]:
    """Return the output and error log groups of a job run (its stream is named after the run id)."""
    prefix = job_run.get("LogGroupName") or DEFAULT_LOG_GROUP
    return f"{prefix}/output", f"{prefix}/error"


def attempt_summary(job_run: dict[str, Any]) -> dict[str, Any]:
    """What the task log and the event say about one attempt of a retry chain."""
    return {
        "run_id": job_run["Id"],
        "attempt": job_run.get("Attempt", 0),
        "state": job_run["JobRunState"],
        "error_message": job_run.get("ErrorMessage", ""),
    }


class LogTokens:
    """Where log forwarding stopped in a run's output and error streams (CloudWatch forward tokens)."""

    def __init__(self, output: str | None = None, error: str | None = None) -> None:
        self.output = output
        self.error = error
        #: log groups that could not be read (e.g. no logs:GetLogEvents permission); not read again
        self.unreadable: set[str] = set()

    def readable(self, job_run: dict[str, Any]) -> list[tuple[str, str]]:
        """The run's (log group, token attribute) pairs, ``output`` then ``error``, minus unreadable groups.

        :param job_run: the run's ``JobRun``.
        """
        pairs = zip(log_group_names(job_run), ("output", "error"), strict=True)
        return [(group, attr) for group, attr in pairs if group not in self.unreadable]

    def advance(self, group: str, attr: str, token: str | None, lines: list[str], log: WaitLog) -> None:
        """Remember where reading ``group`` stopped and write the lines read to ``log``.

        :param group: the log group read.
        :param attr: ``"output"`` or ``"error"``.
        :param token: the forward token to go on from.
        :param lines: the messages read.
        :param log: logger to write to.
        """
        setattr(self, attr, token)
        if lines:
            log.info(format_glue_logs(lines, group))


def log_request(group: str, stream: str, token: str | None) -> Request:
    """GetLogEvents reading forward from ``token`` (from the stream's start when None)."""
    kwargs: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    if token:
        kwargs["nextToken"] = token
    return Request("logs", "get_log_events", kwargs)


def take_page(response: dict[str, Any], token: str | None, lines: list[str]) -> tuple[str | None, bool]:
    """Add a GetLogEvents page's messages to ``lines``; return the token to go on from and whether to stop.

    At the end of a stream GetLogEvents answers with the very token it was given
    (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html); an
    empty page also stops, keeping the old token so that the next check reads from there again.
    """
    lines.extend(event["message"] for event in response.get("events") or [])
    next_token = response.get("nextForwardToken")
    if not response.get("events") or next_token == token:
        return token, True
    return next_token, False


def log_read_failed(tokens: LogTokens, group: str, error: ClientError | BotoCoreError, log: WaitLog) -> None:
    """Handle a failed GetLogEvents: the logs are extra, so reading them never decides the task."""
    if isinstance(error, ClientError) and error_code(error) == "ResourceNotFoundException":
        return  # the run creates its streams only once it starts; until then there is nothing to read
    tokens.unreadable.add(group)
    reason = f"{error_code(error)}: {error_message(error)}" if isinstance(error, ClientError) else str(error)
    log.warning("Cannot read Glue job logs from %s (%s); waiting for the run without them", group, reason)


@dataclass(eq=False)
class JobRunWait:
    """Pure decisions of the wait for one job run (and, with ``follow_retries``, Glue's retries of it).

    The event it ends with is ``{"status": "success", "run_id", "state", "attempts"}`` for SUCCEEDED, or
    an error event (:meth:`~airflow_glue_flow.exceptions.GlueFlowError.to_event` plus ``run_id``,
    ``state`` and ``attempts``) for a failed run, a wait out of checks, or a GetJobRun call that failed.
    ``run_id`` is the last attempt's; ``attempts`` lists every attempt seen (:func:`attempt_summary`).

    :param job_name: the job's name.
    :param run_id: the run to wait for.
    :param poll_interval: seconds to wait before each check.
    :param max_attempts: checks before the wait ends with :class:`GlueJobRunTimeoutError`.
    :param verbose: forward the run's new CloudWatch output and error lines to ``log`` at each check.
    :param follow_retries: follow a failed attempt to the one Glue starts next (job ``MaxRetries``).
    :param log: logger for progress and log lines (the task's or the trigger's).
    """

    job_name: str
    run_id: str
    _: KW_ONLY
    poll_interval: float
    max_attempts: int
    verbose: bool = False
    follow_retries: bool = True
    log: WaitLog

    def __post_init__(self) -> None:
        self.checks = 0
        self.state = "UNKNOWN"
        self.job_run: dict[str, Any] = {"Id": self.run_id, "JobRunState": self.state}
        self.attempts: dict[str, dict[str, Any]] = {}
        self.tokens = LogTokens()
        self.max_retries: int | None = None
        self._successor_checks = 0
        self._pending_logs: list[tuple[str, str]] = []
        self._page: tuple[str, str, str | None, list[str]] | None = None
        self._request: Request | None = None

    # --- steps ------------------------------------------------------------------------------------

    def first(self) -> Step:
        """The first check: read the run after one ``poll_interval``."""
        return self._call(self._get_run(), self.poll_interval)

    def advance(self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None) -> Step:
        """Decide from the answer to the last call (see :data:`~airflow_glue_flow.waits.drive.Advance`)."""
        assert self._request is not None
        handler = {
            "get_job_run": self._on_job_run,
            "get_log_events": self._on_log_page,
            "get_job": self._on_job,
            "get_job_runs": self._on_job_runs,
        }[self._request.operation]
        return handler(response, error)

    def _call(self, request: Request, delay: float | None = None) -> Step:
        self._request = request
        return Step.call(request, delay)

    def _get_run(self) -> Request:
        return Request(
            "glue",
            "get_job_run",
            {"JobName": self.job_name, "RunId": self.run_id, "PredecessorsIncluded": False},
        )

    def _on_job_run(self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None) -> Step:
        if error is not None:
            # The run's state is unknown; the run itself is not touched.
            failure = api_call_error("job", self.job_name, "GetJobRun", error, self.run_id)
            return self._end(failure)
        assert response is not None
        self.checks += 1
        return self._seen(response["JobRun"])

    def _seen(self, job_run: dict[str, Any]) -> Step:
        """A fresh ``JobRun`` of the current attempt: forward its logs (verbose), then decide."""
        self.job_run, self.state = job_run, job_run["JobRunState"]
        self.attempts[job_run["Id"]] = attempt_summary(job_run)
        if self.verbose:
            self._pending_logs = self.tokens.readable(job_run)
            return self._next_log_group()
        return self._decide()

    def _next_log_group(self) -> Step:
        if not self._pending_logs:
            return self._decide()
        group, attr = self._pending_logs.pop(0)
        token = getattr(self.tokens, attr)
        self._page = (group, attr, token, [])
        return self._call(log_request(group, self.run_id, token))

    def _on_log_page(
        self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None
    ) -> Step:
        assert self._page is not None
        group, attr, token, lines = self._page
        if error is not None:
            log_read_failed(self.tokens, group, error, self.log)
            done = True
        else:
            assert response is not None
            token, done = take_page(response, token, lines)
        if not done:
            self._page = (group, attr, token, lines)
            return self._call(log_request(group, self.run_id, token))
        self.tokens.advance(group, attr, token, lines, self.log)
        return self._next_log_group()

    def _decide(self) -> Step:
        if self.state in JOB_RUNNING_STATES:
            self.log.info(
                "Glue job %s run %s is %s (check %d of %d)",
                self.job_name,
                self.run_id,
                self.state,
                self.checks,
                self.max_attempts,
            )
            if self.checks >= self.max_attempts:
                return self._timeout()
            return self._call(self._get_run(), self.poll_interval)
        self.log.info("Glue job %s run %s ended %s", self.job_name, self.run_id, self.state)
        if self.state != JOB_SUCCESS_STATE and self._may_be_retried():
            if self.max_retries is None:
                return self._call(Request("glue", "get_job", {"JobName": self.job_name}))
            if self.job_run.get("Attempt", 0) < self.max_retries:
                return self._call(self._list_runs())
        return self._end(job_run_error(self.job_name, self.job_run))

    def _may_be_retried(self) -> bool:
        return self.follow_retries and self.state == _RETRIED_STATE and self.max_retries != 0

    def _list_runs(self) -> Request:
        # The next attempt is among the newest runs: GetJobRuns lists the newest first.
        return Request("glue", "get_job_runs", {"JobName": self.job_name, "MaxResults": 50})

    def _on_job(self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None) -> Step:
        if error is not None:
            self.log.warning("Cannot read Glue job %s (%s); not following its retries", self.job_name, error)
            self.max_retries = 0
        else:
            assert response is not None
            self.max_retries = int(response["Job"].get("MaxRetries") or 0)
        return self._decide()

    def _on_job_runs(
        self, response: dict[str, Any] | None, error: ClientError | BotoCoreError | None
    ) -> Step:
        if error is not None:
            self.log.warning(
                "Cannot list runs of Glue job %s (%s); not following its retries", self.job_name, error
            )
            return self._end(job_run_error(self.job_name, self.job_run))
        assert response is not None
        successor = next(
            (run for run in response.get("JobRuns") or [] if run.get("PreviousRunId") == self.run_id), None
        )
        if successor is not None:
            self.log.info(
                "Glue retries job %s: attempt %s is run %s (after run %s ended %s)",
                self.job_name,
                successor.get("Attempt"),
                successor["Id"],
                self.run_id,
                self.state,
            )
            self.run_id, self.tokens, self._successor_checks = successor["Id"], LogTokens(), 0
            return self._seen(successor)
        self._successor_checks += 1
        if self._successor_checks > SUCCESSOR_CHECKS or self.checks >= self.max_attempts:
            return self._end(job_run_error(self.job_name, self.job_run))
        self.checks += 1
        return self._call(self._list_runs(), self.poll_interval)

    def _timeout(self) -> Step:
        seconds = self.max_attempts * self.poll_interval
        return self._end(
            GlueJobRunTimeoutError(self.job_name, self.run_id, self.state, self.max_attempts, seconds)
        )

    def _end(self, error: GlueFlowError | None) -> Step:
        where = {"run_id": self.run_id, "state": self.state, "attempts": list(self.attempts.values())}
        if error is None:
            return Step.end({"status": "success", **where})
        return Step.end({**error.to_event(), **where})
