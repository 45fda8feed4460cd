"""Per-run supervisor: runs a job's command and, when it ends, ends everything it started.

Run as a script (``python -I job_supervisor.py COMMAND...``), never imported by the server: it uses the
standard library only. It becomes a child subreaper (Linux ``prctl(PR_SET_CHILD_SUBREAPER)``), so every
process the job starts stays its descendant, even one that starts its own session or double-forks into
a daemon. When the job's command exits, or the supervisor gets SIGTERM (stop, timeout, server
shutdown), it kills all its descendants and exits with the command's status (128 + signal number when
the command was killed by a signal). No leftover keeps the job's stdout open, so the run ends at once.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from types import FrameType

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> bool:
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(option, value, 0, 0, 0) == 0)


def _children() -> set[int]:
    me = os.getpid()
    pids: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{me}/task"):
            with open(f"/proc/{me}/task/{task}/children") as handle:
                pids.update(int(pid) for pid in handle.read().split())
        return pids
    except OSError:  # kernels without /proc/<pid>/task/<tid>/children: scan every process
        pass
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    # The command name (field 2) may hold spaces and parentheses: parse after the last ")".
                    if int(handle.read().rsplit(")", 1)[1].split()[1]) == me:
                        pids.add(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def _end_everything() -> None:
    """Kill every descendant; return once none is left (orphans of killed ones come back to us)."""
    while True:
        for pid in _children():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def main(command: list[str]) -> int:
    linux = sys.platform.startswith("linux")
    subreaper = linux and _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    if linux:
        # The server thread that started us died without stopping us: end the run too.
        _prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    stopping = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    # A stop that arrives while the job starts waits until the handler below can act on it.
    signal.pthread_sigmask(signal.SIG_BLOCK, stopping)
    job = os.posix_spawnp(
        command[0],
        command,
        os.environ,
        file_actions=[(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)],
        setsigmask=(),
    )
    ended = False

    def stop(signum: int | None, frame: FrameType | None) -> None:
        if not ended:
            os.kill(job, signal.SIGKILL)

    for signum in stopping:
        signal.signal(signum, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stopping)
    if os.getppid() == 1:  # the server was gone before PDEATHSIG was set
        stop(None, None)
    status = None
    while status is None:
        try:
            pid, raw = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == job:
            ended, status = True, raw
    if subreaper:
        _end_everything()  # without a subreaper (not Linux) the server kills the process group instead
    if status is None:
        return 1
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
