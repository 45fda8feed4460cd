"""Trigger that waits for a Glue job run in the triggerer (deferrable GlueJobRunOperator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import TriggerEvent

from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY, RUN_ID_XCOM_KEY
from airflow_glue_flow.triggers.base import GlueFlowAwsTrigger

if TYPE_CHECKING:  # imported off the triggerer's loop when a wait runs (see triggers.base)
    from airflow_glue_flow.hooks.job import GlueJobFlowHook  # noqa: F401 - the quoted base class names it
    from airflow_glue_flow.waits.job_run import JobRunWait

#: The modules a job wait runs on, imported in a worker thread when it starts.
WAIT_MODULES = ("airflow_glue_flow.waits.job_run", "airflow_glue_flow.waits.drive")


def success_xcoms(event: dict[str, Any]) -> dict[str, Any]:
    """The XComs besides the return value that GlueJobRunOperator pushes when its wait succeeds.

    :param event: the wait's success event (the run id is the last attempt's).
    """
    return {GLUE_STATE_XCOM_KEY: event["state"], RUN_ID_XCOM_KEY: event["run_id"]}


class GlueJobRunTrigger(GlueFlowAwsTrigger["GlueJobFlowHook"]):
    """Wait for a Glue job run in the triggerer with the operator's own wait (:class:`JobRunWait`).

    Exactly one event is yielded: the wait's success or error event; with ``end_from_trigger`` a success
    ends the task here instead (return value: the run id; XComs ``glue_state`` and ``glue_job_run_id``).
    When a user kills the deferred task (mark failed/success, clear), the run is stopped: by :meth:`on_kill`
    on Airflow 3.3+, where the triggerer calls it; before 3.3 by :meth:`run` when the triggerer cancels it
    and the task is no longer deferred (:func:`~airflow_glue_flow.compat.killed_while_deferred`), so that a
    triggerer that stops or hands the trigger over leaves the run going.

    :param job_name: the job's name.
    :param run_id: the run to watch.
    :param poll_interval: seconds to wait before each check.
    :param max_attempts: checks before giving up with a timeout error event.
    :param verbose: forward the run's CloudWatch output and error lines to the task log at every check.
    :param stop_on_kill: stop the run when the deferred task is killed.
    :param follow_retries: follow Glue's own retries of a failed attempt (job ``MaxRetries``).
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    :param end_from_trigger: end the task from the triggerer on success.
    """

    hook_path = "airflow_glue_flow.hooks.job.GlueJobFlowHook"
    trigger_fields = (
        "job_name",
        "run_id",
        "poll_interval",
        "max_attempts",
        "verbose",
        "stop_on_kill",
        "follow_retries",
    )

    # The keyword arguments are the trigger_fields (serialize() returns exactly them) and mirror
    # JobRunWait's, which run() builds from them: the repetition is the serialization contract.
    def __init__(
        self,
        *,
        job_name: str,
        run_id: str,
        poll_interval: float,
        max_attempts: int,
        verbose: bool = False,
        stop_on_kill: bool = True,
        follow_retries: bool = False,
        **aws: Any,
    ) -> None:
        super().__init__(**aws)
        self.job_name = job_name
        self.run_id = run_id
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.verbose = verbose
        self.stop_on_kill = stop_on_kill
        self.follow_retries = follow_retries

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Wait for the run; yield one event for its outcome."""
        try:
            job_wait, waits = await self.load(*WAIT_MODULES)
            settings = ("poll_interval", "max_attempts", "verbose", "follow_retries")
            wait = job_wait.JobRunWait(
                self.job_name, self.run_id, log=self.log, **{f: getattr(self, f) for f in settings}
            )
            self._wait = wait  # a kill stops the attempt being waited for, which Glue's retries may change
            async with self.async_clients("glue", *(("logs",) if self.verbose else ())) as clients:
                event = await waits.drive_async(wait.first(), wait.advance, clients)
        except asyncio.CancelledError:
            await self._stop_if_killed()
            raise
        yield await self.outcome(event, event["run_id"], success_xcoms(event))

    async def _stop_if_killed(self) -> None:
        """On an Airflow whose triggerer calls no ``on_kill``: stop the run if the task was killed."""
        # Imported off the loop by load() (RUNTIME_MODULES), unless the trigger was cancelled before.
        from airflow_glue_flow import compat

        if not self.stop_on_kill or compat.TRIGGER_ON_KILL:
            return
        task_instance = getattr(self, "task_instance", None)
        try:
            killed = await compat.killed_while_deferred(task_instance)
        except Exception:
            self.log.warning(
                "Trigger of Glue job %s run %s cancelled; its task's state could not be read, so the run is"
                " left going",
                self.job_name,
                self.run_id,
                exc_info=True,
            )
            return
        if killed:
            await self._stop_run()
        else:
            self.log.info(
                "Trigger of Glue job %s run %s cancelled while its task is still deferred (the triggerer"
                " stopped or handed it over): the run goes on",
                self.job_name,
                self.run_id,
            )

    async def on_kill(self) -> None:
        """Stop the run when a user kills the deferred task (called by the triggerer on Airflow 3.3+).

        Not called when the triggerer restarts or hands the trigger to another triggerer (the run keeps
        going and is picked up again), nor on a trigger timeout (the operator stops the run then).
        """
        if self.stop_on_kill:
            await self._stop_run()

    async def _stop_run(self) -> None:
        """Stop the attempt being waited for."""
        wait: JobRunWait | None = getattr(self, "_wait", None)
        run_id = wait.run_id if wait is not None else self.run_id
        self.log.info("Task killed while deferred: stopping Glue job %s run %s", self.job_name, run_id)
        async with self.async_clients("glue") as clients:
            response = await clients["glue"].batch_stop_job_run(JobName=self.job_name, JobRunIds=[run_id])
        self.hook.log_stop(self.job_name, run_id, response)
