"""Watch an event loop the way the triggerer's own loop is judged, without wall-clock timing.

:func:`watched_loop` charges every callback on the loop's own thread the CPU time of that thread
(``time.thread_time``), which other processes cannot inflate, and lists those over 50 ms; an audit hook
records file opens, DNS look-ups and imports of heavy modules made on the loop's thread; and every
garbage collection records how many objects it walks (a collection holds the GIL, so a big one stalls
the loop from any thread). This module imports nothing heavy itself, so a fresh process can use it to
watch a trigger's first wait.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: Longest CPU time one loop callback may take.
MAX_CALLBACK_CPU_S = 0.05
#: Files the import system opens; importing a module on first use is Python's cost, not a trigger's.
_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pth")

_watched: dict[str, Any] = {}


#: What the loop must not import: the amazon provider, botocore and aiobotocore take about half a second
#: of CPU to import, and the package's hooks bring them in.
HEAVY_MODULES = (
    "botocore",
    "boto3",
    "aiobotocore",
    "airflow.providers.amazon.aws",
    "airflow_glue_flow.hooks",
)


def _audit(event: str, args: tuple[Any, ...]) -> None:
    loop_thread = _watched.get("thread")
    if loop_thread is None or threading.get_ident() != loop_thread:
        return
    if event == "open" and isinstance(args[0], str | bytes) and not str(args[0]).endswith(_CODE_SUFFIXES):
        _watched["io"].append(f"open {args[0]!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname"):
        _watched["io"].append(f"{event} {args[0]!r}")
    elif event == "import" and str(args[0]).startswith(HEAVY_MODULES):
        _watched["io"].append(f"import {args[0]}")


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while a test watches a loop


@contextmanager
def watched_loop() -> Iterator[dict[str, Any]]:
    """Record blocking I/O and the CPU time of each callback on the event loop run inside the block.

    Only callbacks on this thread (the loop the test runs) are timed: a worker thread's private loop (the
    client pool builds clients on one) runs callbacks too, but on its own thread. A garbage collection that
    starts during a callback is taken out of its time (``gc.callbacks``), being the interpreter's pause;
    ``found["most_walked"]`` is the most objects any collection, in any thread, walked.
    """
    handle_run = asyncio.events.Handle._run
    loop_thread = threading.get_ident()
    found: dict[str, Any] = {"io": [], "slow": [], "gc_s": 0.0, "longest_s": 0.0, "most_walked": 0}
    collecting: list[float] = []

    def gc_timer(phase: str, info: dict[str, Any]) -> None:
        on_loop = threading.get_ident() == loop_thread
        if phase == "start":
            if on_loop:  # counting the objects below is the watch's own pause too
                collecting.append(time.thread_time())
            # A collection walks its generation and the younger ones (frozen objects are in none).
            walked = sum(len(gc.get_objects(generation=g)) for g in range(info["generation"] + 1))
            found["most_walked"] = max(found["most_walked"], walked)
        elif on_loop and collecting:
            found["gc_s"] += time.thread_time() - collecting.pop()

    def timed_run(handle: asyncio.events.Handle) -> None:
        if threading.get_ident() != loop_thread:
            handle_run(handle)
            return
        before, gc_before = time.thread_time(), found["gc_s"]
        handle_run(handle)
        spent = time.thread_time() - before - (found["gc_s"] - gc_before)
        found["longest_s"] = max(found["longest_s"], spent)
        if spent > MAX_CALLBACK_CPU_S:
            found["slow"].append((round(spent, 3), repr(handle)[:300]))

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]
    gc.callbacks.append(gc_timer)
    _watched.update(io=found["io"], thread=loop_thread)
    try:
        yield found
    finally:
        _watched.clear()
        gc.callbacks.remove(gc_timer)
        asyncio.events.Handle._run = handle_run  # type: ignore[method-assign]
