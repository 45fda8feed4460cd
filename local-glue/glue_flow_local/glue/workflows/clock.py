"""The clock SCHEDULED triggers and event batch windows run on: UTC, scaled like Glue's timeout minutes.

With ``timeout_unit_seconds`` = 60 (the default) it is the wall clock. A test server with 1 s "minutes"
runs the clock 60 times faster from the moment the server started, so ``cron(* * * * ? *)`` fires every
second and a 900 s batch window closes after 15 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_log = logging.getLogger(__name__)


def tick_until_stopped(
    clock: GlueClock, stopped: threading.Event, tick: Callable[[], None], what: str
) -> None:
    """Call ``tick`` every :attr:`GlueClock.tick_seconds` until ``stopped`` is set (a thread's target).

    :param what: what the ticks do, for the log of a tick that fails.
    """
    while not stopped.wait(clock.tick_seconds):
        try:
            tick()
        except Exception:  # noqa: BLE001 - the clock thread must outlive one bad tick
            _log.exception(what)


class GlueClock:
    """Scaled UTC time.

    :param unit_seconds: real seconds one Glue minute lasts.
    :param wall: the wall clock (a fake one in tests).
    :param monotonic: the monotonic clock (a fake one in tests).
    """

    def __init__(
        self,
        unit_seconds: float = 60.0,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.speed = 60.0 / unit_seconds
        self._monotonic = monotonic
        self._origin = wall()
        self._started = monotonic()

    @property
    def tick_seconds(self) -> float:
        """How often (real seconds) the trigger thread looks at the clock: four times a Glue minute, at most 1 s."""
        return min(1.0, 15.0 / self.speed)

    def now(self) -> datetime:
        """The current scaled time."""
        return self._origin + timedelta(seconds=(self._monotonic() - self._started) * self.speed)

    def elapsed(self, since: float) -> float:
        """Scaled seconds since a :meth:`stamp`."""
        return (self._monotonic() - since) * self.speed

    def stamp(self) -> float:
        """A point in time for :meth:`elapsed`."""
        return self._monotonic()
