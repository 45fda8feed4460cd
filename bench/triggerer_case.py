"""One case of bench_triggerer.py, run in a process of its own: N deferred waits in one asyncio event loop,
measured over a window after a warm-up (CPU and AWS calls per poll, RSS per wait, event-loop stalls, full
garbage collections).

Only the measured trigger class is imported, and only when the case starts, so that the case's RSS holds
no other trigger module.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import time
from typing import Any

from scripted_glue import CRAWLER, JOB  # bench/ is on sys.path when this runs

#: The Airflow connection the cases' triggers use (bench_triggerer.py passes it in the environment).
CONN_ID = "bench_glue"


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _trigger(kind: str, waits: dict[str, Any], interval: float) -> Any:
    """The trigger of one case: ours or the amazon provider's, on the bench's job run or crawl.

    Only the measured class is imported, so a case's RSS holds no other trigger module.
    """
    job = {"job_name": JOB, "run_id": waits["run_id"]}
    amazon = {"waiter_delay": int(interval), "waiter_max_attempts": 10**6}
    ours = {"max_attempts": 10**6}
    classes_and_arguments = {
        "ours-job": (
            "airflow_glue_flow.triggers.job.GlueJobRunTrigger",
            {**job, **ours, "poll_interval": interval},
        ),
        "amazon-job": (
            "airflow.providers.amazon.aws.triggers.glue.GlueJobCompleteTrigger",
            {**job, **amazon},
        ),
        "ours-crawler": (
            "airflow_glue_flow.triggers.crawler.GlueCrawlerReadyTrigger",
            {
                "crawler_name": CRAWLER,
                "started_after": waits.get("started_at"),
                "wait_time": interval,
                **ours,
            },
        ),
        "amazon-crawler": (
            "airflow.providers.amazon.aws.triggers.glue_crawler.GlueCrawlerCompleteTrigger",
            {"crawler_name": CRAWLER, **amazon},
        ),
    }
    path, arguments = classes_and_arguments[kind]
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(**arguments, aws_conn_id=CONN_ID)


async def run_case(
    kind: str, n: int, interval: float, warmup: float, window: float, waits: dict[str, Any]
) -> dict:
    import logging

    from aiobotocore.client import AioBaseClient

    logging.disable(logging.INFO)  # per-poll progress lines are the task log's business, not the bench's
    # A poll is one wait's read of its run or crawler; calls are the AWS calls made. The amazon triggers
    # make one call per poll; ours merge the polls that fall due in the same turn of the loop.
    polls = calls = 0
    make_call = AioBaseClient._make_api_call
    ours = kind.startswith("ours")

    async def counted(self: Any, operation: str, params: Any) -> Any:
        nonlocal polls, calls
        calls += 1
        polls += not ours
        return await make_call(self, operation, params)

    AioBaseClient._make_api_call = counted  # type: ignore[method-assign]
    if ours:
        # Counted where a wait asks its Glue client for a read. The class is reached through the first
        # wait's clients, not imported here: importing botocore before the waits would keep it out of
        # the freeze a first wait's loads get (triggers/gc_freeze.py), and every full collection of the
        # case would walk it, which a triggerer does not.
        from airflow_glue_flow.triggers.base import WaitClients

        def counting(read: Any) -> Any:
            async def poll(self: Any, **kwargs: Any) -> Any:
                nonlocal polls
                polls += 1
                return await read(self, **kwargs)

            return poll

        enter, counted_classes = WaitClients.__aenter__, set()

        async def counting_enter(self: Any) -> dict[str, Any]:
            clients = await enter(self)
            face = type(clients["glue"])
            if face not in counted_classes:
                counted_classes.add(face)
                for name in ("get_job_run", "get_crawler"):
                    setattr(face, name, counting(getattr(face, name)))
            return clients

        WaitClients.__aenter__ = counting_enter  # type: ignore[method-assign]
    stall = stall_cpu = 0.0
    # Full garbage collections in the window: each walks every object not frozen, holding the GIL.
    full_collections: list[float] = []
    collection_started = [0.0]

    def time_full_collections(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] == 2 and measuring:
            if phase == "start":
                collection_started[0] = time.process_time()
            else:
                full_collections.append(time.process_time() - collection_started[0])

    gc.callbacks.append(time_full_collections)
    measuring = False

    async def probe() -> None:
        # The CPU this process spent during the longest stall tells a loop kept busy by the waits (or
        # the garbage collector) from a process the machine's other work kept off the CPU.
        nonlocal stall, stall_cpu
        while True:
            before, cpu_before = time.perf_counter(), time.process_time()
            await asyncio.sleep(0.01)
            late = time.perf_counter() - before - 0.01
            if measuring and late > stall:
                stall, stall_cpu = late, time.process_time() - cpu_before

    _trigger(kind, waits, interval)  # imports the trigger's modules: a process cost, not a wait's
    rss_before = _rss_mb()
    prober = asyncio.create_task(probe())
    tasks = []
    spread = float(waits.get("spread_s", 0))  # start the waits evenly over this many seconds
    for i in range(n):
        trigger = _trigger(kind, waits, interval)
        tasks.append(asyncio.create_task(_drain(trigger, i * spread / n)))
    await asyncio.sleep(warmup)
    measuring = True
    polls_before, calls_before = polls, calls
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    await asyncio.sleep(window)
    cpu, wall, made = (
        time.process_time() - cpu_before,
        time.perf_counter() - wall_before,
        polls - polls_before,
    )
    calls_made = calls - calls_before
    rss_after = _rss_mb()
    ended = [t for t in tasks if t.done()]
    first_end = repr(ended[0].exception())[:1000] if ended else None
    for task in [*tasks, prober]:
        task.cancel()
    await asyncio.gather(*tasks, prober, return_exceptions=True)
    return {
        "case": kind,
        "waits": n,
        "interval_s": interval,
        "polls": made,
        "calls_per_poll": calls_made / made if made else float("nan"),
        "cpu_ms_per_poll": 1000 * cpu / made if made else float("nan"),
        "polls_per_trigger_per_s": made / n / wall,
        "rss_mb_per_wait": (rss_after - rss_before) / n,
        "longest_stall_ms": 1000 * stall,
        "longest_stall_cpu_ms": 1000 * stall_cpu,
        "full_collections": len(full_collections),
        "longest_full_collection_cpu_ms": 1000 * max(full_collections, default=0.0),
        "ended_early": len(ended),
        "first_end": first_end,
    }


async def _drain(trigger: Any, delay: float) -> None:
    await asyncio.sleep(delay)
    async for event in trigger.run():
        raise RuntimeError(f"a bench wait ended: {event.payload}")
