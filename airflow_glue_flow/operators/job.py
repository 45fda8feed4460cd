"""Operator that runs an existing Glue job and waits for its run, in the worker or in the triggerer."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.compat import DeferralTimeoutHook, conf
from airflow_glue_flow.exceptions import (
    GlueApiCallError,
    GlueFlowError,
    GlueJobRunTimeoutError,
    GlueTaskParameterError,
)
from airflow_glue_flow.hooks.job import REATTACHABLE_STATES, RUN_TAG_ARGUMENT, GlueJobFlowHook
from airflow_glue_flow.links.glue import GlueJobRunLink
from airflow_glue_flow.operators.params import coerce_count, coerce_seconds
from airflow_glue_flow.states import (
    GLUE_STATE_XCOM_KEY,
    JOB_RUNNING_STATES,
    JOB_SUCCESS_STATE,
    RUN_ID_XCOM_KEY,
)
from airflow_glue_flow.triggers.base import task_aws_fields
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from airflow_glue_flow.waits.job_run import job_run_error

__all__ = ["RUN_ID_XCOM_KEY", "GlueJobRunOperator", "normalise_script_args", "run_tag"]


def normalise_script_args(task_id: str, script_args: Mapping[str, Any] | None) -> dict[str, str]:
    """Turn ``{"KEY": value}`` or ``{"--KEY": value}`` into Glue run Arguments ``{"--KEY": "value"}``.

    :param task_id: the task, for the error message.
    :param script_args: job arguments; keys with or without the leading ``--``.
    :raises GlueTaskParameterError: not a mapping, an empty key, a None value, or one key given twice
        (``a`` and ``--a``).
    """
    if script_args is None:
        return {}
    if not isinstance(script_args, Mapping):
        problem = f"must be a dict of Glue job arguments, got {type(script_args).__name__}"
        raise GlueTaskParameterError(task_id, "script_args", repr(script_args), problem)
    arguments: dict[str, str] = {}
    for key, value in script_args.items():
        name = str(key).strip().removeprefix("--")
        if not name:
            raise GlueTaskParameterError(task_id, "script_args", repr(key), "is an empty argument name")
        if value is None:
            problem = "is None; Glue arguments need a value"
            raise GlueTaskParameterError(task_id, f"script_args[{key!r}]", "None", problem)
        if f"--{name}" in arguments:
            problem = f"names --{name} twice (with and without the leading --)"
            raise GlueTaskParameterError(task_id, "script_args", repr(dict(script_args)), problem)
        arguments[f"--{name}"] = str(value)
    return arguments


def run_tag(context: Context) -> str:
    """Identify the task instance (same for all its tries) in a job run's :data:`RUN_TAG_ARGUMENT`."""
    ti = context["ti"]
    tag = f"{ti.dag_id}/{ti.run_id}/{ti.task_id}"
    map_index = getattr(ti, "map_index", -1)
    return tag if map_index is None or map_index < 0 else f"{tag}/{map_index}"


def retry_of_same_try_series(ti: Any, retries: int) -> bool:
    """Whether this try is an automatic retry, not the first try after the DAG run started or was cleared.

    Airflow sets ``max_tries`` to ``try_number + retries`` when a task is cleared, so the first try of
    the current series is ``max_tries - retries + 1`` (as ``RuntimeTaskInstance.get_first_reschedule_date``
    computes it).

    :param ti: the running task instance.
    :param retries: the task's ``retries``.
    """
    max_tries = getattr(ti, "max_tries", None)
    if not isinstance(max_tries, int):
        return ti.try_number > 1
    return ti.try_number > max_tries - retries + 1


class GlueJobRunOperator(DeferralTimeoutHook, AwsBaseOperator[GlueJobFlowHook]):
    """Start a run of an existing Glue job and, by default, wait until it ends (``startJobRun.sync``).

    SUCCEEDED is success. FAILED, TIMEOUT, STOPPED, ERROR and EXPIRED raise
    :class:`~airflow_glue_flow.exceptions.GlueJobRunFailedError` (job, run id, state, ``JobRun.ErrorMessage``);
    a wait that runs out of checks raises :class:`~airflow_glue_flow.exceptions.GlueJobRunTimeoutError`.
    The run's last Glue state is pushed to XCom key ``glue_state`` before either error is raised.
    Both waiting modes run the same wait (:class:`~airflow_glue_flow.waits.job_run.JobRunWait`) and reach
    the same outcomes with the same errors.

    When the job has ``MaxRetries``, Glue starts a new attempt after a failed one (``Attempt`` + 1,
    ``PreviousRunId``); the task follows that chain to its last attempt and logs every attempt's run id,
    state and error. A retry of the task reattaches to the run an earlier try started (``--airflow_ti``
    tag) while it still runs, and adopts it when it already SUCCEEDED, so a task that failed for a reason
    outside Glue (a lost worker, a scheduler race) heals without a second job run. The amazon provider's
    ``GlueJobOperator`` reattaches too (``durable``, Airflow's ``ResumableJobMixin``), but only in its sync
    mode through the task state store, and not to a run that already SUCCEEDED while a deferred task was
    failed by the scheduler; this operator keeps its tag lookup, which works the same in both modes.

    :param job_name: an existing Glue job.
    :param script_args: run arguments ``{"KEY": value}``; ``--`` is added to keys that lack it and values
        are turned into strings. They override the job's DefaultArguments key by key.
    :param wait_for_completion: wait for the run to end; when False, return right after the start.
    :param poll_interval: seconds to wait before each check of the run.
    :param max_attempts: checks before :class:`GlueJobRunTimeoutError`. The default (5760 checks of 30 s,
        48 h) matches Glue's default job timeout, so Glue normally ends the run first.
    :param deferrable: wait in the triggerer instead of the worker.
    :param verbose: stream the run's CloudWatch output and error logs into the task log while waiting.
    :param retry_interval: seconds before the first StartJobRun retry (throttling, concurrent runs exceeded).
    :param retry_max_attempts: StartJobRun retries after the first call (Step Functions ``MaxAttempts``).
    :param retry_backoff_rate: factor applied to the retry wait after each retry.
    :param reattach_on_retry: tag the run with the task instance (``--airflow_ti``) so that a later try of
        this task reattaches to the run while it is still going instead of starting another one.
    :param rerun_failed_on_retry: when False, an automatic retry whose earlier run already ended in
        failure ends with that run's error instead of starting the job again. With it, ``retries`` only
        heal failures outside Glue (a lost worker, the scheduler failing a deferred task) and never run a
        failed job twice; the ready DAGs use it so.
    :param stop_on_kill: stop the run when the task is killed, times out, or is killed while deferred.
    :param follow_retries: follow Glue's own retries of a failed attempt (job ``MaxRetries``) to the last one.
    :param end_from_trigger: in deferrable mode, end the task from the triggerer when the run succeeds
        (pushing the same XComs), so no worker resumes it; a failure still resumes the task, which raises
        the error the sync mode raises.
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client (templated).
    :param botocore_config: botocore client configuration.
    :return: the run id.
    """

    glue_resource_type: ClassVar[str] = "job"
    aws_hook_class = GlueJobFlowHook
    template_fields: Sequence[str] = aws_template_fields(
        "job_name", "script_args", "poll_interval", "max_attempts"
    )
    template_fields_renderers = {"script_args": "json"}
    operator_extra_links = (GlueJobRunLink(),)
    ui_color = "#ededed"

    def __init__(
        self,
        *,
        job_name: str,
        script_args: dict[str, Any] | None = None,
        wait_for_completion: bool = True,
        poll_interval: float = 30,
        max_attempts: int = 5760,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        verbose: bool = False,
        retry_interval: float = 1,
        retry_max_attempts: int = 3,
        retry_backoff_rate: float = 2.0,
        reattach_on_retry: bool = True,
        rerun_failed_on_retry: bool = True,
        stop_on_kill: bool = True,
        follow_retries: bool = True,
        end_from_trigger: bool = True,
        **kwargs: Any,
    ) -> None:
        # aws_conn_id="aws_default", region_name, verify and botocore_config are AwsBaseOperator's; it
        # builds the hook from them on first use, never at DAG parse time.
        super().__init__(**kwargs)
        self.job_name, self.script_args = job_name, script_args
        # How the run is waited for: the same settings in the worker and in the trigger.
        self.wait_for_completion, self.deferrable = wait_for_completion, deferrable
        self.poll_interval, self.max_attempts = poll_interval, max_attempts
        self.verbose, self.follow_retries = verbose, follow_retries
        self.end_from_trigger = end_from_trigger
        # StartJobRun's retry policy, in Step Functions' terms (IntervalSeconds, MaxAttempts, BackoffRate).
        self.retry_interval, self.retry_max_attempts = retry_interval, retry_max_attempts
        self.retry_backoff_rate = retry_backoff_rate
        # What a later try of the task, or a kill, does with the run.
        self.reattach_on_retry, self.rerun_failed_on_retry = reattach_on_retry, rerun_failed_on_retry
        self.stop_on_kill = stop_on_kill
        self._run_id: str | None = None

    def execute(self, context: Context) -> str:
        """Start (or reattach to) the run, then wait here or defer; see the class docstring."""
        arguments = self._checked_arguments()
        run_id, earlier = self._start_or_reattach(context, arguments)
        if earlier is not None and earlier["JobRunState"] not in REATTACHABLE_STATES:
            # The earlier try's run has already ended (SUCCEEDED, or failed with rerun_failed_on_retry off).
            return self._conclude(
                context, run_id, earlier["JobRunState"], job_run_error(self.job_name, earlier)
            )
        if not self.wait_for_completion:
            return run_id
        if self.deferrable:
            self.defer(trigger=self._trigger(run_id), method_name="execute_complete")
        event = self.hook.wait_for_job_run(self.job_name, run_id, **self._wait_settings())
        return self._finish(context, event)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        """Finish after the trigger fired: same XComs and same error class and message as the sync wait."""
        return self._finish(context, event)

    def on_deferral_timeout(self, context: Context) -> None:
        """Stop the run when the deferral times out (``execution_timeout``), as the sync mode's kill does."""
        ti = context["ti"]
        run_id = ti.xcom_pull(task_ids=ti.task_id, key=RUN_ID_XCOM_KEY)
        if self.stop_on_kill and run_id:
            self.log.info("Deferral timed out: stopping Glue job %s run %s", self.job_name, run_id)
            self._stop_run(run_id)

    def on_kill(self) -> None:
        """Stop the run this task is waiting for (task killed or timed out while waiting in the worker)."""
        if self.stop_on_kill and self._run_id:
            self.log.info("Task killed: stopping Glue job %s run %s", self.job_name, self._run_id)
            self._stop_run(self._run_id)

    def _stop_run(self, run_id: str) -> None:
        # A failed stop must not hide why the task is being stopped (timeout, kill): log it and go on.
        try:
            self.hook.stop_job_run(self.job_name, run_id)
        except (ClientError, BotoCoreError):
            self.log.exception(
                "Could not stop Glue job %s run %s; stop it in the Glue console", self.job_name, run_id
            )

    def _checked_arguments(self) -> dict[str, str]:
        """Validate the rendered parameters and return the run Arguments (bad input fails the task here)."""
        if not self.job_name or not isinstance(self.job_name, str):
            raise GlueTaskParameterError(
                self.task_id, "job_name", repr(self.job_name), "must be a non-empty string"
            )
        self.poll_interval = coerce_seconds(self.task_id, "poll_interval", self.poll_interval)
        self.max_attempts = coerce_count(self.task_id, "max_attempts", self.max_attempts)
        coerce_seconds(self.task_id, "retry_interval", self.retry_interval)
        coerce_count(self.task_id, "retry_max_attempts", self.retry_max_attempts, minimum=0)
        if coerce_seconds(self.task_id, "retry_backoff_rate", self.retry_backoff_rate) < 1:
            raise GlueTaskParameterError(
                self.task_id, "retry_backoff_rate", repr(self.retry_backoff_rate), "must be at least 1"
            )
        return normalise_script_args(self.task_id, self.script_args)

    def _start_or_reattach(
        self, context: Context, arguments: dict[str, str]
    ) -> tuple[str, dict[str, Any] | None]:
        """Return (run id, the earlier try's ``JobRun`` carried on with, or None for a new run)."""
        ti = context["ti"]
        run_id, earlier = None, None
        if self.reattach_on_retry:
            tag = arguments.setdefault(RUN_TAG_ARGUMENT, run_tag(context))
            if ti.try_number > 1 and (earlier := self._earlier_run(ti, tag)):
                run_id = earlier["Id"]
                self.log.info(
                    "Reattaching to Glue job %s run %s (%s), started by an earlier try of this task",
                    self.job_name,
                    run_id,
                    earlier["JobRunState"],
                )
        if run_id is None:
            run_id = self.hook.start_job_run(
                self.job_name,
                arguments,
                retry_interval=self.retry_interval,
                retry_max_attempts=self.retry_max_attempts,
                retry_backoff_rate=self.retry_backoff_rate,
            )
        self._run_id = run_id
        ti.xcom_push(key=RUN_ID_XCOM_KEY, value=run_id)
        GlueJobRunLink.persist_for_task(
            context, self, job_name=urllib.parse.quote(self.job_name, safe=""), job_run_id=run_id
        )
        return run_id, earlier

    def _wait_settings(self) -> dict[str, Any]:
        """How the run is waited for: the same in the worker (sync) and in the trigger (deferrable)."""
        return {
            "poll_interval": self.poll_interval,
            "max_attempts": self.max_attempts,
            "verbose": self.verbose,
            "follow_retries": self.follow_retries,
        }

    def _trigger(self, run_id: str) -> GlueJobRunTrigger:
        return GlueJobRunTrigger(
            job_name=self.job_name,
            run_id=run_id,
            stop_on_kill=self.stop_on_kill,
            **self._wait_settings(),
            **task_aws_fields(self),
        )

    def _earlier_run(self, ti: Any, tag: str) -> dict[str, Any] | None:
        """The run of an earlier try to carry on with, if any (a failed one is not: this try runs again)."""
        try:
            earlier = self.hook.find_tagged_run(self.job_name, tag)
        except ClientError as error:
            # Without glue:GetJobRuns permission a retry cannot look; it starts a new run as it would without tag.
            self.log.warning("Could not look for a run of an earlier try (%s); starting a new run", error)
            return None
        if earlier is None:
            return None
        state = earlier["JobRunState"]
        if state in REATTACHABLE_STATES:
            return earlier
        if not retry_of_same_try_series(ti, self.retries or 0):
            return None  # a task cleared by a user is a new series of tries: it runs the job again
        if state == JOB_SUCCESS_STATE or (state not in JOB_RUNNING_STATES and not self.rerun_failed_on_retry):
            # The run has ended and is this task's outcome; only the task failed (e.g. the scheduler failed
            # it after the trigger fired, or the worker was lost).
            return earlier
        return None

    def _finish(self, context: Context, event: dict[str, Any]) -> str:
        """End the task from the wait's event (sync wait or trigger), the same way in both modes."""
        error = GlueFlowError.from_event(event) if event.get("status") == "error" else None
        if isinstance(error, GlueApiCallError):
            # The run's state is unknown (GetJobRun failed); the run itself is not touched.
            raise error
        attempts = event.get("attempts") or []
        if len(attempts) > 1:
            self.log.info("Glue ran job %s %d times (MaxRetries):", self.job_name, len(attempts))
            for attempt in attempts:
                self.log.info(
                    "  attempt %s: run %s %s%s",
                    attempt["attempt"],
                    attempt["run_id"],
                    attempt["state"],
                    f": {attempt['error_message']}" if attempt["error_message"] else "",
                )
            context["ti"].xcom_push(key=RUN_ID_XCOM_KEY, value=event["run_id"])
        return self._conclude(context, event["run_id"], event["state"], error)

    def _conclude(self, context: Context, run_id: str, state: str, error: GlueFlowError | None) -> str:
        """Push the run's last state to XCom, then raise ``error`` if there is one, else return the run id."""
        context["ti"].xcom_push(key=GLUE_STATE_XCOM_KEY, value=state)
        if not isinstance(error, GlueJobRunTimeoutError):
            # The run has ended: a later kill of this task has nothing left to stop.
            self._run_id = None
        if error is not None:
            raise error
        self.log.info("Glue job %s run %s %s", self.job_name, run_id, state)
        return run_id
