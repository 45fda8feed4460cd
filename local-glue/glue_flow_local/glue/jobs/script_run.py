"""One job run as the process side sees it (:class:`ScriptRun`), shared by the Python-shell and Spark paths.

Its own module so that :mod:`glue_flow_local.glue.jobs.process` (which starts runs) and
:mod:`glue_flow_local.glue.jobs.spark.prepare` (which prepares Spark runs for it) both import it and
neither imports the other's importer.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
