"""Clean up after a test process that dies without running its own clean-up (SIGKILL, OOM kill).

The test process starts one watcher child and holds the write end of a pipe to it. The kernel closes
that pipe when the test process ends, however it ends; the watcher then runs the clean-up actions still
registered, newest first: end process groups, run commands (stop a database), remove temp dirs. A test
process that cleans up normally cancels what it has done itself, so the watcher does nothing twice.

The watcher runs this file as a script (``python -I owner_watch.py``) and uses the standard library only.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


class OwnerWatch:
    """The test process's side: register clean-up actions, cancel those it carried out itself."""

    def __init__(self) -> None:
        self._keys = itertools.count(1)
        # Its own session: Ctrl-C in a terminal reaches the test process, not the watcher.
        self._process = subprocess.Popen(
            [sys.executable, "-I", __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _send(self, message: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(message).encode() + b"\n")
        self._process.stdin.flush()

    def _add(self, action: str, **fields: Any) -> int:
        key = next(self._keys)
        self._send({"add": key, "action": action, **fields})
        return key

    def remove_tree(self, path: Path | str) -> int:
        """Remove ``path`` if the test process dies first; returns the key for :meth:`cancel`."""
        return self._add("rmtree", path=str(path))

    def kill_group(self, pgid: int) -> int:
        """SIGKILL process group ``pgid`` if the test process dies first (a session it started)."""
        return self._add("killpg", pgid=pgid)

    def run(self, argv: list[str], user: str | None = None) -> int:
        """Run ``argv`` (as ``user``) if the test process dies first."""
        return self._add("run", argv=argv, user=user)

    def cancel(self, key: int) -> None:
        """Forget an action: the test process has carried it out (a pid or pgid may be reused later)."""
        self._send({"cancel": key})


_WATCH: OwnerWatch | None = None


def owner_watch() -> OwnerWatch:
    """The watcher of this process, started on first use."""
    global _WATCH
    if _WATCH is None:
        _WATCH = OwnerWatch()
    return _WATCH


def _carry_out(action: dict[str, Any]) -> None:
    kind = action["action"]
    if kind == "killpg":
        # Then wait until the group is gone, so that its processes have let go of the folders removed next.
        deadline = time.monotonic() + 10
        try:
            os.killpg(action["pgid"], signal.SIGKILL)
            while time.monotonic() < deadline:
                time.sleep(0.1)
                os.killpg(action["pgid"], 0)
        except (ProcessLookupError, PermissionError):
            pass
    elif kind == "run":
        try:
            subprocess.run(action["argv"], user=action["user"], capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            pass
    elif kind == "rmtree":
        shutil.rmtree(action["path"], ignore_errors=True)


def _watch() -> None:
    """Read actions until the test process closes the pipe (it ended), then carry out those left."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    actions: dict[int, dict[str, Any]] = {}
    for line in sys.stdin.buffer:
        message = json.loads(line)
        if "cancel" in message:
            actions.pop(message["cancel"], None)
        else:
            actions[message["add"]] = message
    for key in sorted(actions, reverse=True):
        _carry_out(actions[key])


if __name__ == "__main__":
    _watch()
