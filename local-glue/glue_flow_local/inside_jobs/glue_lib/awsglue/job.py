"""Job: ``init`` starts the run's bookkeeping, ``commit`` saves its job bookmark."""

from __future__ import annotations

from typing import Any

from ._bookmarks import current


class Job:
    """A Glue job run inside its script.

    :param glue_context: the GlueContext (or SparkSession).
    """

    @classmethod
    def job_bookmark_options(cls) -> list[str]:
        return ["--job-bookmark-option", "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"]

    @classmethod
    def id_params(cls) -> list[str]:
        return ["--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID", "--SECURITY_CONFIGURATION"]

    def __init__(self, glue_context: Any) -> None:
        self._glue_context = glue_context
        self._name: str | None = None
        self._committed = False

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        """Start the run's bookkeeping (bookmarks are read here)."""
        self._name = job_name
        current()

    def isInitialized(self) -> bool:  # noqa: N802
        return self._name is not None

    def commit(self) -> None:
        """Save the job bookmark (under job-bookmark-enable); a second commit is a no-op, as in Glue."""
        if self._name is None:
            raise RuntimeError("Job.commit() called before Job.init()")
        if not self._committed:
            current().commit()
            self._committed = True
