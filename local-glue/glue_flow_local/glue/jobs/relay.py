"""A run's output pipe to its log stream: read line by line on a thread of its own, held until the run's
log writer is attached.

A cold run attaches its writers as soon as its process starts; a warm Spark process
(:mod:`glue_flow_local.glue.jobs.spark.warm`) starts before its run exists, so what it prints while Spark
starts (the same lines a cold run prints) is kept and goes to the run's log when the run takes it.
"""

from __future__ import annotations

import threading
from typing import IO, Protocol


class LineWriter(Protocol):
    """Where lines go: a log stream writer."""

    def write(self, message: str) -> None: ...


class LineWatcher(Protocol):
    """What also sees every line (the run's :class:`~glue_flow_local.glue.jobs.process.ErrorLine`)."""

    def feed(self, line: str) -> None: ...


class Relay:
    """Copies one output pipe of a run's process to a log writer, line by line, from now on.

    :param stream: the pipe.
    """

    def __init__(self, stream: IO[bytes] | None) -> None:
        assert stream is not None
        self._stream = stream
        self._lock = threading.Lock()
        self._held: list[str] = []
        self._writer: LineWriter | None = None
        self._watcher: LineWatcher | None = None
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def attach(self, writer: LineWriter, watcher: LineWatcher | None = None) -> None:
        """Send the lines read so far, and every later one, to ``writer`` (and ``watcher``).

        :param writer: the run's log stream writer.
        :param watcher: also fed each line (empty ones too).
        """
        with self._lock:
            self._writer, self._watcher = writer, watcher
            for line in self._held:
                self._deliver(line)
            self._held.clear()

    def join(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the pipe's last line to be delivered.

        :param timeout: seconds.
        """
        self._thread.join(timeout=timeout)

    def _pump(self) -> None:
        for raw in iter(self._stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            with self._lock:
                if self._writer is None:
                    self._held.append(line)
                else:
                    self._deliver(line)
        self._stream.close()

    def _deliver(self, line: str) -> None:
        if self._watcher is not None:
            self._watcher.feed(line)
        if not line or self._writer is None:
            return  # CloudWatch Logs rejects empty events
        try:
            self._writer.write(line)
        except Exception:  # noqa: BLE001 - a lost log line must not stop the run
            pass
