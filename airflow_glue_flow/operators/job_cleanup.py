"""Teardown that stops Glue job runs which the tasks of a DAG run started and left running."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from airflow.providers.amazon.aws.operators.base_aws import AwsBaseOperator
from airflow.providers.amazon.aws.utils.mixins import aws_template_fields
from airflow.sdk import Context

from airflow_glue_flow.hooks.job import GlueJobFlowHook
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY

#: Run states a left-behind run can be stopped in (STOPPING is already on its way out).
_LEFT_RUNNING = frozenset({"STARTING", "RUNNING", "WAITING"})


class GlueJobRunCleanupOperator(AwsBaseOperator[GlueJobFlowHook]):
    """Stop the Glue runs that job tasks of this DAG run left running when they ended without a result.

    Use it as a teardown of the job tasks (``job_task >> cleanup.as_teardown()``): Airflow runs a
    teardown after its upstream tasks end in any state, also when a user marked one failed or success.
    That closes the one case a deferred task's kill cannot cover: a task marked failed after it
    deferred but before the triggerer started its trigger. The trigger is then deleted without ever
    running, so its ``on_kill`` never stops the run.

    A task that reached a result pushed ``glue_state``; its run has ended, or was left running on
    purpose after a wait ran out of checks (so a retry can reattach). Those runs are not touched. For
    any other job task, the runs it tagged (``--airflow_ti``, see ``reattach_on_retry``) that are
    still STARTING, RUNNING or WAITING are stopped with BatchStopJobRun.

    :param jobs: ``{task_id: job_name}`` of the job tasks to clean up after (templated).
    :param aws_conn_id: Airflow AWS connection.
    :param region_name: AWS region; the connection's when None.
    :param verify: SSL certificate verification for the client.
    :param botocore_config: botocore client configuration.
    :return: ``{task_id: [stopped run ids]}``.
    """

    aws_hook_class = GlueJobFlowHook
    template_fields: Sequence[str] = aws_template_fields("jobs")
    ui_color = "#ededed"

    def __init__(self, *, jobs: Mapping[str, str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.jobs = dict(jobs)

    def execute(self, context: Context) -> dict[str, list[str]]:
        ti = context["ti"]
        stopped: dict[str, list[str]] = {}
        for task_id, job_name in self.jobs.items():
            if ti.xcom_pull(task_ids=task_id, key=GLUE_STATE_XCOM_KEY) is not None:
                continue
            tag = f"{ti.dag_id}/{ti.run_id}/{task_id}"
            stopped[task_id] = []
            # The newest tagged run is the task's run (a retry reattaches to it rather than start another)
            # or the last attempt of Glue's own retries of it.
            left = self.hook.find_tagged_run(job_name, tag)
            if left is None or left["JobRunState"] not in _LEFT_RUNNING:
                continue
            self.log.warning(
                "Task %s ended without a result while Glue job %s run %s was %s: stopping it",
                task_id,
                job_name,
                left["Id"],
                left["JobRunState"],
            )
            if self.hook.stop_job_run(job_name, left["Id"]):
                stopped[task_id].append(left["Id"])
        return stopped
