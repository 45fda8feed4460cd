"""Start, watch, stop and find Glue job runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from airflow.providers.amazon.aws.hooks.glue import GlueJobHook
from botocore.exceptions import ClientError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from airflow_glue_flow.exceptions import GlueJobNotFoundError, GlueJobStartError
from airflow_glue_flow.hooks.aws_errors import StandardRetriesMixin, error_code, error_message
from airflow_glue_flow.waits.drive import drive
from airflow_glue_flow.waits.job_run import JobRunWait

#: Job run argument that names the Airflow task instance which started the run, so a retry can find it.
RUN_TAG_ARGUMENT = "--airflow_ti"
#: Runs in these states can be reattached to (STOPPING is on its way out).
REATTACHABLE_STATES = frozenset({"STARTING", "RUNNING", "WAITING"})


def _concurrent_runs_exceeded(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error_code(error) == "ConcurrentRunsExceededException"


class GlueJobFlowHook(StandardRetriesMixin, GlueJobHook):
    """Glue job runs for airflow-glue-flow: start with backoff, wait, stop and find a task's runs.

    Extends the amazon provider's :class:`~airflow.providers.amazon.aws.hooks.glue.GlueJobHook` (same
    connection handling, ``aws_conn_id``/``region_name`` keyword arguments) for jobs that already exist.
    Throttled calls are retried by botocore (``standard`` retry mode unless configured otherwise).
    """

    def start_job_run(
        self,
        job_name: str,
        arguments: dict[str, str] | None = None,
        *,
        retry_interval: float = 1.0,
        retry_max_attempts: int = 3,
        retry_backoff_rate: float = 2.0,
        sleep: Callable[[float], None] | None = None,
    ) -> str:
        """Start a run of ``job_name`` and return its run id.

        ``ConcurrentRunsExceededException`` (the job is at its MaxConcurrentRuns) is retried like a Step
        Functions ``Retry``: wait ``retry_interval`` seconds, multiply the wait by ``retry_backoff_rate``
        after each retry, and give up after ``retry_max_attempts`` retries. Throttling is botocore's to
        retry (its retry modes know AWS's throttling codes), so it is not retried again here.

        :param job_name: an existing Glue job.
        :param arguments: run ``Arguments`` (``--KEY``: value); they override the job's DefaultArguments.
        :param retry_interval: seconds before the first retry.
        :param retry_max_attempts: retries after the first call; 0 disables retrying.
        :param retry_backoff_rate: factor applied to the wait after each retry.
        :param sleep: how to wait between retries (default :func:`time.sleep`).
        :raises GlueJobNotFoundError: the job does not exist.
        :raises GlueJobStartError: the run could not be started (retries exhausted or another error).
        """
        retrying = Retrying(
            retry=retry_if_exception(_concurrent_runs_exceeded),
            wait=wait_exponential(multiplier=retry_interval, exp_base=retry_backoff_rate),
            stop=stop_after_attempt(retry_max_attempts + 1),
            sleep=sleep or time.sleep,
            before_sleep=lambda state: self.log.warning(
                "Glue job %s did not start (%s); retry %d of %d in %g s",
                job_name,
                state.outcome.exception() if state.outcome else "",
                state.attempt_number,
                retry_max_attempts,
                state.next_action.sleep if state.next_action else 0,
            ),
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    run_id = self.conn.start_job_run(JobName=job_name, Arguments=arguments or {})["JobRunId"]
        except ClientError as error:
            code, message = error_code(error), error_message(error)
            if code == "EntityNotFoundException":
                raise GlueJobNotFoundError(job_name, message) from error
            raise GlueJobStartError(job_name, code, message, attempts) from error
        self.log.info("Started Glue job %s run %s", job_name, run_id)
        return run_id

    def stop_job_run(self, job_name: str, run_id: str) -> bool:
        """Ask Glue to stop a run (BatchStopJobRun); return whether Glue accepted the request.

        :param job_name: the job's name.
        :param run_id: the run id.
        """
        response = self.conn.batch_stop_job_run(JobName=job_name, JobRunIds=[run_id])
        return self.log_stop(job_name, run_id, response)

    def log_stop(self, job_name: str, run_id: str, response: dict[str, Any]) -> bool:
        """Log what a BatchStopJobRun ``response`` says; return whether Glue accepted the stop."""
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

    def find_tagged_run(self, job_name: str, tag: str, max_pages: int = 10) -> dict[str, Any] | None:
        """Return the newest run of ``job_name`` whose ``--airflow_ti`` argument is ``tag``, in any state.

        GetJobRuns lists the newest runs first; only the first ``max_pages`` pages of 200 are read. Glue's
        own retries of a run keep its arguments, so the newest tagged run is the last attempt.

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
                if (job_run.get("Arguments") or {}).get(RUN_TAG_ARGUMENT) == tag:
                    return job_run
        return None

    def wait_for_job_run(
        self, job_name: str, run_id: str, *, sleep: Callable[[float], None] | None = None, **settings: Any
    ) -> dict[str, Any]:
        """Wait here for a run to end; return the wait's event.

        The decisions are :class:`~airflow_glue_flow.waits.job_run.JobRunWait`'s, shared with the trigger.

        :param job_name: the job's name.
        :param run_id: the run id.
        :param sleep: how to wait (default :func:`time.sleep`).
        :param settings: :class:`JobRunWait` keyword arguments (``poll_interval``, ``max_attempts``,
            ``verbose``, ``follow_retries``).
        """
        wait = JobRunWait(job_name, run_id, log=self.log, **settings)
        clients = {"glue": self.conn, **({"logs": self.logs_hook.get_conn()} if wait.verbose else {})}
        return drive(wait.first(), wait.advance, clients, sleep or time.sleep)
