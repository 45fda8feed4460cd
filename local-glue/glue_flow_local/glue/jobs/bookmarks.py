"""Job bookmarks of the local Glue: per job, the files each ``transformation_ctx`` has read.

A run gets its job's bookmark as a file and hands back the new one when the script calls
``Job.commit()``; ``GetJobBookmark`` and ``ResetJobBookmark`` answer from here
(https://docs.aws.amazon.com/glue/latest/dg/monitor-continuations.html). They live as long as the
server's state folder.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from glue_flow_local.protocol.errors import GlueApiError

_LOCK = threading.Lock()


class BookmarkStore:
    """Bookmarks by (region, job name), one JSON file each under the server's state folder, so the
    runs and the API handlers share them without sharing an object.

    :param state_dir: the server's state folder.
    """

    def __init__(self, state_dir: Path) -> None:
        self._root = state_dir / "bookmarks"

    def _file(self, key: tuple[str, str]) -> Path:
        region, job = key
        return self._root / region / f"{quote(job, safe='')}.json"

    def _read(self, key: tuple[str, str]) -> dict[str, Any] | None:
        path = self._file(key)
        return json.loads(path.read_text()) if path.exists() else None

    def write_state(self, key: tuple[str, str], target: Path) -> None:
        """Write the job's bookmark for a starting run (an empty one when there is none).

        :param key: (region, job name).
        :param target: the file the run reads.
        """
        with _LOCK:
            entry = self._read(key)
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
        with _LOCK:
            previous = self._read(key) or {}
            run = previous.get("Run", 0) + 1
            entry = {
                "JobName": key[1],
                "Version": run,
                "Run": run,
                "Attempt": 0,
                "PreviousRunId": previous.get("RunId", ""),
                "RunId": run_id,
                "JobBookmark": json.dumps(state, sort_keys=True),
            }
            path = self._file(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(entry))

    def get(self, key: tuple[str, str]) -> dict[str, Any]:
        """GetJobBookmark's entry.

        :param key: (region, job name).
        :raises GlueApiError: EntityNotFoundException when the job has no bookmark.
        """
        with _LOCK:
            return self._existing(key)

    def reset(self, key: tuple[str, str]) -> dict[str, Any]:
        """ResetJobBookmark: forget what the job read; answer the entry as it was.

        :param key: (region, job name).
        :raises GlueApiError: EntityNotFoundException when the job has no bookmark.
        """
        with _LOCK:
            entry = self._existing(key)
            self._file(key).unlink()
        return entry

    def _existing(self, key: tuple[str, str]) -> dict[str, Any]:
        entry = self._read(key)
        if entry is None:
            raise GlueApiError("EntityNotFoundException", f"Continuation for job {key[1]} not found")
        return entry
