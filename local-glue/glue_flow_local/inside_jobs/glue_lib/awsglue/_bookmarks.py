"""Job bookmarks of one run: which files each ``transformation_ctx`` has already read.

The local Glue hands the run its job's bookmark in a JSON file named by ``GLUE_LOCAL_BOOKMARK_IN`` and
takes the new one from ``GLUE_LOCAL_BOOKMARK_OUT``, which ``Job.commit`` writes. The option comes from
the job's ``--job-bookmark-option`` argument, as Glue reads it (not from ``getResolvedOptions``).
A file counts as read when its path and modification time were recorded, so a new or rewritten file is
read by the next run.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

BOOKMARK_IN_ENV = "GLUE_LOCAL_BOOKMARK_IN"
BOOKMARK_OUT_ENV = "GLUE_LOCAL_BOOKMARK_OUT"
_OPTIONS = ("job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable")


def _option(argv: list[str]) -> str:
    for i, arg in enumerate(argv):
        if arg == "--job-bookmark-option" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--job-bookmark-option="):
            return arg.split("=", 1)[1]
    return "job-bookmark-disable"


class Bookmarks:
    """The bookmark state of this run.

    :param argv: the job's arguments.
    """

    def __init__(self, argv: list[str] | None = None) -> None:
        self.option = _option(sys.argv if argv is None else argv)
        if self.option not in _OPTIONS:
            raise ValueError(
                f"Invalid --job-bookmark-option {self.option!r}: use one of {', '.join(_OPTIONS)}"
            )
        source = os.environ.get(BOOKMARK_IN_ENV, "")
        self._saved: dict[str, dict[str, int]] = {}
        if self.option != "job-bookmark-disable" and source and os.path.exists(source):
            with open(source, encoding="utf-8") as handle:
                self._saved = (json.load(handle) or {}).get("files", {})
        self._seen: dict[str, dict[str, int]] = {}

    @property
    def active(self) -> bool:
        """True when reads skip files earlier runs read."""
        return self.option in ("job-bookmark-enable", "job-bookmark-pause")

    def select(self, ctx: str, files: list[tuple[str, int]]) -> list[str]:
        """The files of ``files`` (path, modification time) this read should take, and note them.

        :param ctx: the source's transformation_ctx ("" reads everything, as Glue does).
        :param files: every file under the source's paths.
        """
        if not self.active or not ctx:
            return [path for path, _ in files]
        done = self._saved.get(ctx, {})
        fresh = [(path, mtime) for path, mtime in files if done.get(path) != mtime]
        self._seen.setdefault(ctx, {}).update(dict(fresh))
        return [path for path, _ in fresh]

    def commit(self) -> None:
        """Save what this run read (only under job-bookmark-enable)."""
        target = os.environ.get(BOOKMARK_OUT_ENV, "")
        if self.option != "job-bookmark-enable" or not target:
            return
        merged: dict[str, Any] = {ctx: dict(files) for ctx, files in self._saved.items()}
        for ctx, files in self._seen.items():
            merged.setdefault(ctx, {}).update(files)
        with open(target, "w", encoding="utf-8") as handle:
            json.dump({"files": merged}, handle)


_current: Bookmarks | None = None


def current() -> Bookmarks:
    """This run's bookmarks (read once per process)."""
    global _current
    if _current is None:
        _current = Bookmarks()
    return _current
