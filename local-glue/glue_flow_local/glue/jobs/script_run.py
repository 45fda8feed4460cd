"""One job run as the process side sees it (:class:`ScriptRun`), shared by the Python-shell and Spark paths.

Its own module so that :mod:`glue_flow_local.glue.jobs.process` (which starts runs) and
:mod:`glue_flow_local.glue.jobs.spark.prepare` (which prepares Spark runs for it) both import it and
neither imports the other's importer.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from glue_flow_local.glue.jobs import supervisor as job_supervisor

#: Starts the script under the run's lock: given a function that spawns the process, it spawns it and
#: marks the run RUNNING, or returns None when the run was stopped before it started.
Launch = Callable[[Callable[[], subprocess.Popen[bytes]]], "subprocess.Popen[bytes] | None"]


@dataclass
class ScriptRun:
    """What the process side needs to know of one run.

    :param id: the run id.
    :param region: the run's region.
    :param job: the job definition, as GetJob returns it.
    :param arguments: the run's own Arguments (StartJobRun).
    :param timeout_minutes: the run's Timeout.
    :param stop_requested: tells whether BatchStopJobRun asked the run to stop.
    """

    id: str
    region: str
    job: dict[str, Any]
    arguments: dict[str, str]
    timeout_minutes: int
    stop_requested: Callable[[], bool]


def spawn_supervised(
    command: list[str], workdir: Path, env: dict[str, str], pass_fds: Sequence[int] = ()
) -> subprocess.Popen[bytes]:
    """Start a run's command under its own supervisor (:mod:`glue_flow_local.glue.jobs.supervisor`), in a
    session of its own, stdin empty, stdout and stderr piped.

    :param command: the command (interpreter, script, arguments).
    :param workdir: its working folder.
    :param env: its whole environment.
    :param pass_fds: file descriptors it keeps.
    """
    return subprocess.Popen(
        [sys.executable, "-I", job_supervisor.__file__, *command],
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        pass_fds=tuple(pass_fds),
    )
