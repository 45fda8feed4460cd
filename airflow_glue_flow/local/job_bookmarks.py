"""Job bookmarks of the local Glue: per job, the files each ``transformation_ctx`` has read.

A run gets its job's bookmark as a file and hands back the new one when the script calls
``Job.commit()``; ``GetJobBookmark`` and ``ResetJobBookmark`` answer from here
(https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from airflow_glue_flow.local.errors import GlueApiError


class BookmarkStore:
    """Bookmarks by (region, job name), in memory like the rest of the server's state."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], dict[str, Any]] = {}

    def write_state(self, key: tuple[str, str], target: Path) -> None:
        """Write the job's bookmark for a starting run (an empty one when there is none).

        :param key: (region, job name).
        :param target: the file the run reads.
        """
        with self._lock:
            entry = self._entries.get(key)
        target.write_text(entry["JobBookmark"] if entry else "{}")

    def commit(self, key: tuple[str, str], source: Path, run_id: str) -> None:
        """Keep the bookmark a run committed (nothing when it did not commit).

        :param key: (region, job name).
        :param source: the file ``Job.commit()`` wrote.
        :param run_id: the run id.
        """
        if not source.exists():
            return
        state = json.loads(source.read_text() or "{}")
        with self._lock:
            previous = self._entries.get(key)
            run = (previous or {}).get("Run", 0) + 1
            self._entries[key] = {
                "JobName": key[1],
                "Version": run,
                "Run": run,
                "Attempt": 0,
                "PreviousRunId": (previous or {}).get("RunId", ""),
                "RunId": run_id,
                "JobBookmark": json.dumps(state, sort_keys=True),
            }

    def get(self, key: tuple[str, str]) -> dict[str, Any]:
        """GetJobBookmark's entry.

        :param key: (region, job name).
        :raises GlueApiError: EntityNotFoundException when the job has no bookmark.
        """
        with self._lock:
            entry = self._entries.get(key)
        if entry is None:
            raise GlueApiError("EntityNotFoundException", f"Continuation for job {key[1]} not found")
        return dict(entry)

    def reset(self, key: tuple[str, str]) -> dict[str, Any]:
        """ResetJobBookmark: forget what the job read; answer the entry as it was.

        :param key: (region, job name).
        :raises GlueApiError: EntityNotFoundException when the job has no bookmark.
        """
        entry = self.get(key)
        with self._lock:
            self._entries.pop(key, None)
        return entry
