"""Trigger that waits for a Glue job run in the triggerer (deferrable GlueJobRunOperator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_glue_flow.exceptions import GlueApiCallError, GlueJobRunTimeoutError
from airflow_glue_flow.hooks.job import GlueJobFlowHook, LogTokens, job_run_error
from airflow_glue_flow.states import JOB_RUNNING_STATES
from airflow_glue_flow.triggers.base import GlueFlowAwsTrigger


class GlueJobRunTrigger(GlueFlowAwsTrigger[GlueJobFlowHook]):
    """Poll a Glue job run until it ends, with the same checks and outcomes as the operator's sync wait.

    Each check waits ``poll_interval`` seconds, then reads the run once. Exactly one event is yielded:
    ``{"status": "success", "run_id", "state"}`` for SUCCEEDED, or an error event
    (:meth:`~airflow_glue_flow.exceptions.GlueFlowError.to_event` plus ``run_id`` and ``state``) for a
    failed run, a wait out of attempts, or a GetJobRun call that failed after botocore's retries. When a
    user kills the deferred task (mark failed/success, clear) on Airflow 3.3+, :meth:`on_kill` stops the
    run.

    :param job_name: the job's name.
    :param run_id: the run to watch.
    :param poll_interval: seconds to wait before each check.
    :param max_attempts: checks before giving up with a timeout error event.
    :param verbose: forward the run's CloudWatch output and error lines to the task log at every check.
    :param stop_on_kill: stop the run when the deferred task is killed.
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    """

    hook_class = GlueJobFlowHook
    trigger_fields = ("job_name", "run_id", "poll_interval", "max_attempts", "verbose", "stop_on_kill")

    def __init__(
        self,
        *,
        job_name: str,
        run_id: str,
        poll_interval: float,
        max_attempts: int,
        verbose: bool = False,
        stop_on_kill: bool = True,
        **aws: Any,
    ) -> None:
        super().__init__(**aws)
        self.job_name = job_name
        self.run_id = run_id
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.verbose = verbose
        self.stop_on_kill = stop_on_kill

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll the run; yield one event for its outcome."""
        tokens = LogTokens()
        state = "UNKNOWN"
        async with self.async_clients("glue", *(("logs",) if self.verbose else ())) as clients:
            for check in range(1, self.max_attempts + 1):
                await asyncio.sleep(self.poll_interval)
                try:
                    job_run = await self.hook.async_get_job_run(clients["glue"], self.job_name, self.run_id)
                except GlueApiCallError as error:
                    # The task fails with this error, as the sync wait does; the run itself is not touched.
                    yield TriggerEvent({**error.to_event(), "run_id": self.run_id, "state": state})
                    return
                state = job_run["JobRunState"]
                if self.verbose:
                    await self.hook.async_forward_logs(clients["logs"], job_run, tokens, log=self.log)
                if state not in JOB_RUNNING_STATES:
                    self.log.info("Glue job %s run %s ended %s", self.job_name, self.run_id, state)
                    error = job_run_error(self.job_name, job_run)
                    if error is None:
                        yield TriggerEvent({"status": "success", "run_id": self.run_id, "state": state})
                    else:
                        yield TriggerEvent({**error.to_event(), "run_id": self.run_id, "state": state})
                    return
                self.log.info(
                    "Glue job %s run %s is %s (check %d of %d)",
                    self.job_name,
                    self.run_id,
                    state,
                    check,
                    self.max_attempts,
                )
            timeout = GlueJobRunTimeoutError(
                self.job_name, self.run_id, state, self.max_attempts, self.max_attempts * self.poll_interval
            )
            yield TriggerEvent({**timeout.to_event(), "run_id": self.run_id, "state": state})

    async def on_kill(self) -> None:
        """Stop the run when a user kills the deferred task (called by the triggerer on Airflow 3.3+).

        Not called when the triggerer restarts or hands the trigger to another triggerer (the run keeps
        going and is picked up again), nor on a trigger timeout (the operator stops the run then).
        """
        if self.stop_on_kill:
            self.log.info(
                "Task killed while deferred: stopping Glue job %s run %s", self.job_name, self.run_id
            )
            async with self.async_clients("glue") as clients:
                await self.hook.async_stop_job_run(clients["glue"], self.job_name, self.run_id)
