"""Operator that runs an existing Glue job and waits for its run, in the worker or in the triggerer."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context, conf
from airflow.sdk.bases.operator import TRIGGER_FAIL_REPR, TriggerFailureReason
from botocore.exceptions import BotoCoreError, ClientError

from airflow_glue_flow.exceptions import GlueApiCallError, GlueFlowError, GlueJobRunTimeoutError
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT, GlueJobFlowHook, job_run_error
from airflow_glue_flow.links.glue import GlueJobRunLink
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY
from airflow_glue_flow.triggers.job import GlueJobRunTrigger

#: XCom key of the run id, pushed as soon as the run is known (before any waiting).
RUN_ID_XCOM_KEY = "glue_job_run_id"


def normalise_script_args(script_args: Mapping[str, Any] | None) -> dict[str, str]:
    """Turn ``{"KEY": value}`` or ``{"--KEY": value}`` into Glue run Arguments ``{"--KEY": "value"}``.

    :param script_args: job arguments; keys with or without the leading ``--``.
    :raises ValueError: not a mapping, an empty key, a None value, or one key given twice (``a`` and ``--a``).
    """
    if script_args is None:
        return {}
    if not isinstance(script_args, Mapping):
        raise ValueError(
            f"script_args must be a dict of Glue job arguments, got {type(script_args).__name__}"
        )
    arguments: dict[str, str] = {}
    for key, value in script_args.items():
        name = str(key).strip().removeprefix("--")
        if not name:
            raise ValueError(f"script_args has an empty argument name: {key!r}")
        if value is None:
            raise ValueError(f"script_args[{key!r}] is None; Glue arguments need a value")
        if f"--{name}" in arguments:
            raise ValueError(f"script_args names --{name} twice (with and without the leading --)")
        arguments[f"--{name}"] = str(value)
    return arguments


def run_tag(context: Context) -> str:
    """Identify the task instance (same for all its tries) in a job run's :data:`RUN_TAG_ARGUMENT`."""
    ti = context["ti"]
    tag = f"{ti.dag_id}/{ti.run_id}/{ti.task_id}"
    map_index = getattr(ti, "map_index", -1)
    return tag if map_index is None or map_index < 0 else f"{tag}/{map_index}"


class GlueJobRunOperator(AwsBaseOperator[GlueJobFlowHook]):
    """Start a run of an existing Glue job and, by default, wait until it ends (``startJobRun.sync``).

    SUCCEEDED is success. FAILED, TIMEOUT, STOPPED, ERROR and EXPIRED raise
    :class:`~airflow_glue_flow.exceptions.GlueJobRunFailedError` (job, run id, state, ``JobRun.ErrorMessage``);
    a wait that runs out of checks raises :class:`~airflow_glue_flow.exceptions.GlueJobRunTimeoutError`.
    The run's last Glue state is pushed to XCom key ``glue_state`` before either error is raised.
    Both waiting modes reach the same outcomes with the same errors.

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
    :param stop_on_kill: stop the run when the task is killed, times out, or is killed while deferred.
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
        stop_on_kill: bool = True,
        **kwargs: Any,
    ) -> None:
        # aws_conn_id="aws_default", region_name, verify and botocore_config are AwsBaseOperator's; it
        # builds the hook from them on first use, never at DAG parse time.
        super().__init__(**kwargs)
        self.job_name = job_name
        self.script_args = script_args
        self.wait_for_completion = wait_for_completion
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.deferrable = deferrable
        self.verbose = verbose
        self.retry_interval = retry_interval
        self.retry_max_attempts = retry_max_attempts
        self.retry_backoff_rate = retry_backoff_rate
        self.reattach_on_retry = reattach_on_retry
        self.stop_on_kill = stop_on_kill
        self._run_id: str | None = None

    def execute(self, context: Context) -> str:
        """Start (or reattach to) the run, then wait here or defer; see the class docstring."""
        arguments = self._checked_arguments()
        run_id = self._start_or_reattach(context, arguments)
        if not self.wait_for_completion:
            return run_id
        if self.deferrable:
            self.defer(trigger=self._trigger(run_id), method_name="execute_complete")
        return self._wait(context, run_id)

    def execute_complete(self, context: Context, event: dict[str, Any]) -> str:
        """Finish after the trigger fired: same XCom and same error class and message as the sync wait."""
        error = GlueFlowError.from_event(event) if event.get("status") == "error" else None
        if isinstance(error, GlueApiCallError):
            # The run's state is unknown (the sync wait raises the same error from GetJobRun).
            raise error
        return self._conclude(context, event["run_id"], event["state"], error)

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Stop the run when the deferral times out (``execution_timeout``), as the sync mode's kill does."""
        timed_out = (next_kwargs or {}).get("error") == TriggerFailureReason.TRIGGER_TIMEOUT
        if next_method == TRIGGER_FAIL_REPR and timed_out and self.stop_on_kill:
            ti = context["ti"]
            run_id = ti.xcom_pull(task_ids=ti.task_id, key=RUN_ID_XCOM_KEY)
            if run_id:
                self.log.info("Deferral timed out: stopping Glue job %s run %s", self.job_name, run_id)
                self._stop_run(run_id)
        return super().resume_execution(next_method, next_kwargs, context)

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
            raise ValueError(f"job_name must be a non-empty string, got {self.job_name!r}")
        try:
            self.poll_interval = float(self.poll_interval)
            self.max_attempts = int(self.max_attempts)
        except (TypeError, ValueError) as error:
            raise ValueError(f"poll_interval and max_attempts must be numbers: {error}") from None
        if self.poll_interval < 0 or self.max_attempts < 1:
            raise ValueError(
                f"poll_interval must be >= 0 and max_attempts >= 1, got {self.poll_interval} and {self.max_attempts}"
            )
        if self.retry_interval < 0 or self.retry_max_attempts < 0 or self.retry_backoff_rate < 1:
            raise ValueError("retry_interval and retry_max_attempts must be >= 0 and retry_backoff_rate >= 1")
        return normalise_script_args(self.script_args)

    def _start_or_reattach(self, context: Context, arguments: dict[str, str]) -> str:
        """Return the run id: a still-running run of an earlier try of this task, or a new run."""
        ti = context["ti"]
        run_id = None
        if self.reattach_on_retry:
            tag = arguments.setdefault(RUN_TAG_ARGUMENT, run_tag(context))
            if ti.try_number > 1 and (earlier := self._earlier_run(tag)):
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
        GlueJobRunLink.persist(
            context=context,
            operator=self,
            region_name=self.hook.conn_region_name,
            aws_partition=self.hook.conn_partition,
            job_name=urllib.parse.quote(self.job_name, safe=""),
            job_run_id=run_id,
        )
        return run_id

    def _trigger(self, run_id: str) -> GlueJobRunTrigger:
        return GlueJobRunTrigger(
            job_name=self.job_name,
            run_id=run_id,
            poll_interval=self.poll_interval,
            max_attempts=self.max_attempts,
            verbose=self.verbose,
            stop_on_kill=self.stop_on_kill,
            aws_conn_id=self.aws_conn_id,
            region_name=self.region_name,
            verify=self.verify,
            botocore_config=self.botocore_config,
        )

    def _wait(self, context: Context, run_id: str) -> str:
        """Wait in the worker with the same checks the trigger makes."""
        try:
            job_run = self.hook.wait_for_job_run(
                self.job_name,
                run_id,
                poll_interval=self.poll_interval,
                max_attempts=self.max_attempts,
                verbose=self.verbose,
            )
        except GlueJobRunTimeoutError as error:
            return self._conclude(context, run_id, error.fields["state"], error)
        return self._conclude(context, run_id, job_run["JobRunState"], job_run_error(self.job_name, job_run))

    def _earlier_run(self, tag: str) -> dict[str, Any] | None:
        try:
            return self.hook.find_running_run(self.job_name, tag)
        except ClientError as error:
            # Without glue:GetJobRuns permission a retry cannot look; it starts a new run as it would without tag.
            self.log.warning("Could not look for a run of an earlier try (%s); starting a new run", error)
            return None

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
