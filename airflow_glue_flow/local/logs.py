"""Write log lines to CloudWatch Logs in the local Glue, as Glue does for crawls and job runs."""

from __future__ import annotations

import threading
import time
from typing import Any


class LogStreamWriter:
    """Append lines to one CloudWatch Logs stream, creating its group and stream on first use.

    :param logs: a boto3 CloudWatch Logs client pointed at the local Glue.
    :param group: the log group name.
    :param stream: the log stream name.
    """

    def __init__(self, logs: Any, group: str, stream: str) -> None:
        self._logs = logs
        self.group = group
        self.stream = stream
        self._lock = threading.Lock()
        self._ready = False

    def open(self) -> None:
        """Create the log group and stream now (Glue creates a run's streams when it starts)."""
        with self._lock:
            if not self._ready:
                self._create()

    def write(self, message: str) -> None:
        """Append one log event (timestamped now).

        :param message: the event text.
        """
        with self._lock:
            if not self._ready:
                self._create()
            self._logs.put_log_events(
                logGroupName=self.group,
                logStreamName=self.stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
            )

    def _create(self) -> None:
        for call, kwargs in (
            (self._logs.create_log_group, {"logGroupName": self.group}),
            (self._logs.create_log_stream, {"logGroupName": self.group, "logStreamName": self.stream}),
        ):
            try:
                call(**kwargs)
            except self._logs.exceptions.ResourceAlreadyExistsException:
                pass
        self._ready = True
