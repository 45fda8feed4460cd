"""The one place that knows Airflow versions (3.1, 3.2, 3.3) and relies on Airflow internals.

**Names that moved.** Airflow 3.2 gathered the task SDK's public names in ``airflow.sdk`` and
``airflow.sdk.exceptions``; on 3.1 some of them live only in their older homes (``airflow.configuration``,
``airflow.exceptions``, ``airflow.timetables``). The package and the DAGs import them from here, in the
style of the amazon provider's ``version_compat`` and ``common.compat.sdk``; nothing else tests versions.

**Killing a deferred task.** From Airflow 3.3 on, the triggerer calls a trigger's ``on_kill()`` when a user
kills its deferred task (mark failed or success, clear). Before 3.3 it only cancels the trigger, as it also
does when it stops or hands the trigger to another triggerer; :func:`killed_while_deferred` tells these
apart the way the amazon provider's EMR Serverless trigger and Google's Dataproc and BigQuery triggers do
(``safe_to_cancel``): the task was killed when it is no longer deferred. :data:`TRIGGER_ON_KILL` says which
path the installed Airflow takes.

**Deferral timeouts.** Airflow has no public hook for "this task's deferral timed out" (``execution_timeout``
reached while the trigger still waits): the scheduler resumes the task only to raise
:class:`TaskDeferralTimeout` from ``BaseOperator.resume_execution``, which the task runner calls and no
public callback sees before the task fails. A Glue task must stop its job run at that moment, as its sync
mode does when ``execution_timeout`` kills it, so :class:`DeferralTimeoutHook` wraps ``resume_execution``.
It reads nothing internal: it catches the public exception and re-raises it.

``tests/test_compat.py`` checks the behaviour this relies on against the installed Airflow.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from airflow import __version__ as AIRFLOW_VERSION
from packaging.version import Version


@functools.cache
def airflow_version() -> tuple[int, int, int]:
    """The installed Airflow's (major, minor, micro), pre-release and local parts left out."""
    version = Version(AIRFLOW_VERSION)
    return version.major, version.minor, version.micro


AIRFLOW_V_3_2_PLUS = airflow_version() >= (3, 2, 0)
AIRFLOW_V_3_3_PLUS = airflow_version() >= (3, 3, 0)
#: Whether the triggerer calls ``on_kill()`` on the trigger of a deferred task that a user killed.
TRIGGER_ON_KILL = AIRFLOW_V_3_3_PLUS
#: Whether ``retry_exponential_backoff`` takes a multiplier (a float); on 3.1 it is a bool (doubling).
RETRY_BACKOFF_MULTIPLIER = AIRFLOW_V_3_2_PLUS

# mypy checks the package against the newest Airflow, where the first branch is the one taken.
if TYPE_CHECKING or AIRFLOW_V_3_2_PLUS:
    import airflow.sdk.exceptions as _exceptions
    from airflow.sdk import BaseXCom, Context, CronTriggerTimetable, conf
else:  # Airflow 3.1
    import airflow.exceptions as _exceptions
    from airflow.configuration import conf
    from airflow.sdk import Context
    from airflow.sdk.bases.xcom import BaseXCom
    from airflow.timetables.trigger import CronTriggerTimetable

# The exceptions tasks raise and catch: airflow.sdk.exceptions from 3.2, airflow.exceptions on 3.1.
AirflowException = _exceptions.AirflowException
AirflowRescheduleException = _exceptions.AirflowRescheduleException
AirflowSensorTimeout = _exceptions.AirflowSensorTimeout
AirflowSkipException = _exceptions.AirflowSkipException
AirflowTaskTimeout = _exceptions.AirflowTaskTimeout
ParamValidationError = _exceptions.ParamValidationError
TaskDeferralError = _exceptions.TaskDeferralError
TaskDeferralTimeout = _exceptions.TaskDeferralTimeout
TaskDeferred = _exceptions.TaskDeferred

#: The XCom key of a task's return value (``BaseXCom.XCOM_RETURN_KEY`` on the versions that have it).
XCOM_RETURN_KEY = "return_value"
#: The task state of a deferred task (``TaskInstanceState.DEFERRED``).
DEFERRED = "deferred"

__all__ = [
    "AIRFLOW_V_3_2_PLUS",
    "AIRFLOW_V_3_3_PLUS",
    "RETRY_BACKOFF_MULTIPLIER",
    "TRIGGER_ON_KILL",
    "XCOM_RETURN_KEY",
    "AirflowException",
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "AirflowTaskTimeout",
    "BaseXCom",
    "Context",
    "CronTriggerTimetable",
    "DeferralTimeoutHook",
    "ParamValidationError",
    "TaskDeferralError",
    "TaskDeferralTimeout",
    "TaskDeferred",
    "conf",
    "killed_while_deferred",
]


async def killed_while_deferred(task_instance: Any) -> bool:
    """Whether the deferred task of a cancelled trigger was killed, rather than the triggerer stopping.

    Read when a trigger is cancelled on an Airflow without :data:`TRIGGER_ON_KILL`: a user's mark
    failed/success or clear has moved the task out of the deferred state, while a triggerer that stops or
    hands its triggers over leaves it deferred (the trigger runs again elsewhere). The state is read
    through the task SDK's supervisor, as the triggerer lets triggers do; a task that no longer exists
    counts as killed (its DAG run was deleted), a trigger run without its task as not killed.

    :param task_instance: the trigger's ``task_instance`` (dag_id, task_id, run_id, map_index).
    """
    if task_instance is None:
        return False
    from airflow.sdk.execution_time.task_runner import RuntimeTaskInstance
    from asgiref.sync import sync_to_async

    ti = task_instance
    map_index = ti.map_index if ti.map_index is not None else -1
    states = await sync_to_async(RuntimeTaskInstance.get_task_states)(
        dag_id=ti.dag_id, task_ids=[ti.task_id], run_ids=[ti.run_id], map_index=map_index
    )
    # The execution API names a mapped task instance "<task_id>_<map_index>".
    key = ti.task_id if map_index < 0 else f"{ti.task_id}_{map_index}"
    return bool(states.get(ti.run_id, {}).get(key) != DEFERRED)


class DeferralTimeoutHook:
    """Mixin for a deferrable operator: call :meth:`on_deferral_timeout` when its deferral times out."""

    def resume_execution(self, next_method: str, next_kwargs: dict[str, Any] | None, context: Context) -> Any:
        """Resume as Airflow does; on a deferral timeout, run :meth:`on_deferral_timeout` first."""
        try:
            # BaseOperator, which this mixin comes before in the MRO, has it; mypy sees only ``object``.
            return super().resume_execution(next_method, next_kwargs, context)  # type: ignore[misc]
        except TaskDeferralTimeout:
            self.on_deferral_timeout(context)
            raise

    def on_deferral_timeout(self, context: Context) -> None:
        """Clean up after a deferral that timed out (e.g. stop the external run). The task still fails.

        :param context: the task's context.
        """
