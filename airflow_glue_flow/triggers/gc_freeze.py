"""Keep the triggerer's one-time loads (imports, a client's first build) from setting off a full collection.

A full garbage collection walks every object the process tracks, holding the GIL: over an Airflow
triggerer's 300,000 objects that is about 0.25 s of CPU (a second of wall time on a loaded machine), and
the event loop, which every trigger shares, stands still meanwhile. CPython starts one when the objects
promoted to the oldest generation since the last one exceed a quarter of that generation; a wait's first
load brings in about 70,000 long-lived objects (the amazon provider, botocore and aiobotocore modules,
botocore's endpoint and service models), enough on its own. :func:`frozen_after` pauses the collector
while such a load runs in a worker thread, then moves every object that exists to the permanent
generation (:func:`gc.freeze`, which Airflow's DAG processor and LocalExecutor use too), so that no later
collection walks them again: later full collections walk only what the process made since.

It changes the whole triggerer process (every provider's triggers share it), so it is off unless Airflow's
configuration turns it on: ``[glue_flow] triggerer_gc_freeze = True`` (:mod:`~airflow_glue_flow.triggers.options`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from airflow_glue_flow.triggers.options import GC_FREEZE, option_enabled


class _Loads:
    """Loads running now; the collector is paused from the first one's start to the last one's end."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = 0
        self.collector_was_enabled = True


_LOADS = _Loads()


@contextmanager
def frozen_after() -> Iterator[None]:
    """Run a one-time load with the collector paused, then freeze every tracked object (see the module).

    Loads in several threads may overlap: the collector is paused from the first start to the last end,
    and is left disabled if it was disabled before. Without ``[glue_flow] triggerer_gc_freeze`` it only runs
    the load.
    """
    if not option_enabled(GC_FREEZE):
        yield
        return
    with _LOADS.lock:
        if _LOADS.running == 0:
            _LOADS.collector_was_enabled = gc.isenabled()
            gc.disable()
        _LOADS.running += 1
    try:
        yield
    finally:
        with _LOADS.lock:
            _LOADS.running -= 1
            if _LOADS.running == 0:
                gc.freeze()
                if _LOADS.collector_was_enabled:
                    gc.enable()
