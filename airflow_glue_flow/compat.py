"""The one place where the package relies on Airflow behaviour that is not public API.

Airflow has no public hook for "this task's deferral timed out" (``execution_timeout`` reached while the
trigger still waits): the scheduler resumes the task only to raise
:class:`~airflow.sdk.exceptions.TaskDeferralTimeout` from ``BaseOperator.resume_execution``, which the
task runner calls and no public callback sees before the task fails. A Glue task must stop its job run
at that moment, as its sync mode does when ``execution_timeout`` kills it, so :class:`DeferralTimeoutHook`
wraps ``resume_execution``. It reads nothing internal: it catches the public exception and re-raises it.
``tests/test_compat.py`` checks the behaviour this relies on against the installed Airflow.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import Context
from airflow.sdk.exceptions import TaskDeferralTimeout


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
