"""Start, watch, stop and find Glue job runs, and forward their CloudWatch logs."""

from __future__ import annotations

import logging
import time
from typing import Any

from airflow.providers.amazon.aws.hooks.glue import GlueJobHook, format_glue_logs
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.exceptions import (
    GlueJobNotFoundError,
    GlueJobRunFailedError,
    GlueJobRunTimeoutError,
    GlueJobStartError,
)
from airflow_glue_flow.hooks.aws_errors import api_call_error, error_code, error_message
from airflow_glue_flow.states import JOB_RUNNING_STATES, JOB_SUCCESS_STATE

#: Error codes AWS services use for throttling (the set botocore's standard retry mode treats as throttling).
THROTTLING_ERROR_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
#: StartJobRun errors that go away by themselves, so they are retried with backoff.
RETRYABLE_START_ERROR_CODES = THROTTLING_ERROR_CODES | {"ConcurrentRunsExceededException"}

#: Job run argument that names the Airflow task instance which started the run, so a retry can find it.
RUN_TAG_ARGUMENT = "--airflow_ti"
#: Runs in these states can be reattached to (STOPPING is on its way out).
REATTACHABLE_STATES = frozenset({"STARTING", "RUNNING", "WAITING"})
#: Log group of Python-shell jobs, used when a run does not report its LogGroupName.
DEFAULT_LOG_GROUP = "/aws-glue/python-jobs"


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


class GlueJobFlowHook(GlueJobHook):
    """Glue job runs for airflow-glue-flow: start with backoff, poll, stop, reattach and stream logs.

    Extends the amazon provider's :class:`~airflow.providers.amazon.aws.hooks.glue.GlueJobHook` (same
    connection handling, ``aws_conn_id``/``region_name`` keyword arguments) for jobs that already exist.
    """

    def start_job_run(
        self,
        job_name: str,
        arguments: dict[str, str] | None = None,
        *,
        retry_interval: float = 1.0,
        retry_max_attempts: int = 3,
        retry_backoff_rate: float = 2.0,
    ) -> str:
        """Start a run of ``job_name`` and return its run id.

        Throttling and ``ConcurrentRunsExceededException`` are retried like a Step Functions ``Retry``:
        wait ``retry_interval`` seconds, multiply the wait by ``retry_backoff_rate`` after each retry,
        and give up after ``retry_max_attempts`` retries (so at most ``retry_max_attempts + 1`` calls).

        :param job_name: an existing Glue job.
        :param arguments: run ``Arguments`` (``--KEY``: value); they override the job's DefaultArguments.
        :param retry_interval: seconds before the first retry.
        :param retry_max_attempts: retries after the first call; 0 disables retrying.
        :param retry_backoff_rate: factor applied to the wait after each retry.
        :raises GlueJobNotFoundError: the job does not exist.
        :raises GlueJobStartError: the run could not be started (retries exhausted or a non-retryable error).
        """
        delay = retry_interval
        attempt = 0
        while True:
            attempt += 1
            try:
                run_id = self.conn.start_job_run(JobName=job_name, Arguments=arguments or {})["JobRunId"]
            except ClientError as error:
                code, message = error_code(error), error_message(error)
                if code == "EntityNotFoundException":
                    raise GlueJobNotFoundError(job_name, message) from error
                if code not in RETRYABLE_START_ERROR_CODES or attempt > retry_max_attempts:
                    raise GlueJobStartError(job_name, code, message, attempt) from error
                self.log.warning(
                    "Glue job %s did not start (%s: %s); retry %d of %d in %g s",
                    job_name,
                    code,
                    message,
                    attempt,
                    retry_max_attempts,
                    delay,
                )
                time.sleep(delay)
                delay *= retry_backoff_rate
                continue
            self.log.info("Started Glue job %s run %s", job_name, run_id)
            return run_id

    def get_job_run(self, job_name: str, run_id: str) -> dict[str, Any]:
        """Return the ``JobRun`` of one run (GetJobRun).

        :param job_name: the job's name.
        :param run_id: the run id.
        :raises GlueApiCallError: GetJobRun failed after botocore's retries.
        """
        try:
            response = self.conn.get_job_run(JobName=job_name, RunId=run_id, PredecessorsIncluded=False)
        except (ClientError, BotoCoreError) as error:
            raise api_call_error("job", job_name, "GetJobRun", error, run_id) from error
        return response["JobRun"]

    async def async_get_job_run(self, client: Any, job_name: str, run_id: str) -> dict[str, Any]:
        """Return the ``JobRun`` of one run, with an open async Glue client (for triggers).

        :param client: an open aiobotocore Glue client.
        :param job_name: the job's name.
        :param run_id: the run id.
        :raises GlueApiCallError: GetJobRun failed after botocore's retries.
        """
        try:
            response = await client.get_job_run(JobName=job_name, RunId=run_id, PredecessorsIncluded=False)
        except (ClientError, BotoCoreError) as error:
            raise api_call_error("job", job_name, "GetJobRun", error, run_id) from error
        return response["JobRun"]

    def stop_job_run(self, job_name: str, run_id: str) -> bool:
        """Ask Glue to stop a run (BatchStopJobRun); return whether Glue accepted the request.

        :param job_name: the job's name.
        :param run_id: the run id.
        """
        response = self.conn.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
        return self._stop_accepted(job_name, run_id, response)

    async def async_stop_job_run(self, client: Any, job_name: str, run_id: str) -> bool:
        """Ask Glue to stop a run with an open async Glue client (for triggers).

        :param client: an open aiobotocore Glue client.
        :param job_name: the job's name.
        :param run_id: the run id.
        """
        response = await client.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
        return self._stop_accepted(job_name, run_id, response)

    def _stop_accepted(self, job_name: str, run_id: str, response: dict[str, Any]) -> bool:
        if response.get("SuccessfulSubmissions"):
            self.log.info("Asked Glue to stop job %s run %s", job_name, run_id)
            return True
        # Glue refuses to stop a run that has already ended; say why instead of failing the kill.
        details = [e.get("ErrorDetail", {}) for e in response.get("Errors", [])]
        reasons = "; ".join(f"{d.get('ErrorCode', '')}: {d.get('ErrorMessage', '')}" for d in details)
        self.log.warning(
            "Glue did not stop job %s run %s: %s", job_name, run_id, reasons or "no reason given"
        )
        return False

    def find_running_run(self, job_name: str, tag: str, max_pages: int = 10) -> dict[str, Any] | None:
        """Return the newest still-running run of ``job_name`` whose ``--airflow_ti`` argument is ``tag``.

        GetJobRuns lists the newest runs first; only the first ``max_pages`` pages of 200 are read.

        :param job_name: the job's name.
        :param tag: the value the run was started with under :data:`RUN_TAG_ARGUMENT`.
        :param max_pages: pages of GetJobRuns to read at most.
        """
        paginator = self.conn.get_paginator("get_job_runs")
        pages = paginator.paginate(
            JobName=job_name, PaginationConfig={"MaxItems": 200 * max_pages, "PageSize": 200}
        )
        for page in pages:
            for job_run in page.get("JobRuns", []):
                arguments = job_run.get("Arguments") or {}
                if arguments.get(RUN_TAG_ARGUMENT) == tag and job_run["JobRunState"] in REATTACHABLE_STATES:
                    return job_run
        return None

    def wait_for_job_run(
        self,
        job_name: str,
        run_id: str,
        *,
        poll_interval: float,
        max_attempts: int,
        verbose: bool = False,
    ) -> dict[str, Any]:
        """Wait for a run to end and return its terminal ``JobRun``.

        Each check waits ``poll_interval`` seconds, then reads the run once.

        :param job_name: the job's name.
        :param run_id: the run id.
        :param poll_interval: seconds to wait before each check.
        :param max_attempts: checks before giving up.
        :param verbose: forward the run's new CloudWatch log lines to the task log at every check.
        :raises GlueJobRunTimeoutError: the run was still going after ``max_attempts`` checks.
        """
        tokens = LogTokens()
        state = "UNKNOWN"
        for check in range(1, max_attempts + 1):
            time.sleep(poll_interval)
            job_run = self.get_job_run(job_name, run_id)
            state = job_run["JobRunState"]
            if verbose:
                self.forward_logs(job_run, tokens)
            if state not in JOB_RUNNING_STATES:
                self.log.info("Glue job %s run %s ended %s", job_name, run_id, state)
                return job_run
            self.log.info(
                "Glue job %s run %s is %s (check %d of %d)", job_name, run_id, state, check, max_attempts
            )
        raise GlueJobRunTimeoutError(job_name, run_id, state, max_attempts, max_attempts * poll_interval)

    def forward_logs(
        self, job_run: dict[str, Any], tokens: LogTokens, log: logging.Logger | None = None
    ) -> None:
        """Write the run's new output and error log lines to ``log`` (the task log by default).

        :param job_run: the run's ``JobRun`` (names its log group; the stream is its id).
        :param tokens: where the previous call stopped reading; updated in place.
        :param log: logger to write to; this hook's own when None.
        """
        client, log = self.logs_hook.get_conn(), log or self.log
        for group, attr in tokens.readable(job_run):
            token, lines = getattr(tokens, attr), []
            try:
                done = False
                while not done:
                    response = client.get_log_events(**_log_request(group, job_run["Id"], token))
                    token, done = _take_page(response, token, lines)
            except (ClientError, BotoCoreError) as error:
                _log_read_failed(tokens, group, error, log)
            tokens.advance(group, attr, token, lines, log)

    async def async_forward_logs(
        self, client: Any, job_run: dict[str, Any], tokens: LogTokens, log: logging.Logger | None = None
    ) -> None:
        """Async twin of :meth:`forward_logs`, with an open async CloudWatch Logs client (for triggers).

        :param client: an open aiobotocore CloudWatch Logs client.
        :param job_run: the run's ``JobRun``.
        :param tokens: where the previous call stopped reading; updated in place.
        :param log: logger to write to (the trigger's, so lines reach the task log); this hook's when None.
        """
        log = log or self.log
        for group, attr in tokens.readable(job_run):
            token, lines = getattr(tokens, attr), []
            try:
                done = False
                while not done:
                    response = await client.get_log_events(**_log_request(group, job_run["Id"], token))
                    token, done = _take_page(response, token, lines)
            except (ClientError, BotoCoreError) as error:
                _log_read_failed(tokens, group, error, log)
            tokens.advance(group, attr, token, lines, log)


def _log_request(group: str, stream: str, token: str | None) -> dict[str, Any]:
    """GetLogEvents arguments reading forward from ``token`` (from the stream's start when None)."""
    request: dict[str, Any] = {"logGroupName": group, "logStreamName": stream, "startFromHead": True}
    if token:
        request["nextToken"] = token
    return request


def _log_read_failed(
    tokens: LogTokens, group: str, error: ClientError | BotoCoreError, log: logging.Logger
) -> None:
    """Handle a failed GetLogEvents: the logs are extra, so reading them never decides the task."""
    if isinstance(error, ClientError) and error_code(error) == "ResourceNotFoundException":
        return  # the run creates its streams only once it starts; until then there is nothing to read
    tokens.unreadable.add(group)
    reason = f"{error_code(error)}: {error_message(error)}" if isinstance(error, ClientError) else str(error)
    log.warning("Cannot read Glue job logs from %s (%s); waiting for the run without them", group, reason)


def _take_page(response: dict[str, Any], token: str | None, lines: list[str]) -> tuple[str | None, bool]:
    """Add a GetLogEvents page's messages to ``lines``; return the token to go on from and whether to stop."""
    lines.extend(event["message"] for event in response["events"])
    next_token = response.get("nextForwardToken")
    if not response["events"] or next_token == token:
        return token, True
    return next_token, False


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

    def advance(
        self, group: str, attr: str, token: str | None, lines: list[str], log: logging.Logger
    ) -> None:
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
