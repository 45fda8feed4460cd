"""Deferred waits never block the triggerer's event loop, and resume from their serialized kwargs.

The triggerer runs every trigger in one asyncio loop: a trigger that blocks it stalls all the others
(Airflow logs "async thread was blocked ... badly-written trigger"). The checks here do not time the
loop by the wall clock, which a loaded machine stretches at random (asyncio's debug-mode
``slow_callback_duration`` is wall time: on a busy 2-core machine callbacks of 1 ms CPU took up to
120 ms). Instead :func:`~tests.triggers.loop_watch.watched_loop` charges every callback on the loop's own
thread the CPU time of that thread, lists file opens, DNS look-ups and heavy imports made on it, and counts
the objects each garbage collection walks. Work done in worker threads (the shared clients are built on a
private event loop in one) is not the loop's, so it is not charged; but a collection holds the GIL in
whichever thread runs it, so a first wait in a fresh process must not set off one that walks the
process's whole heap.
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import inspect
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow.triggers.base import GlueFlowAwsTrigger
from airflow_glue_flow.triggers.crawler import GlueCrawlerReadyTrigger
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.local_glue import SEED_CSV_PATH, SLEEPING_SCRIPT, create_python_job
from tests.triggers.loop_watch import HEAVY_MODULES, MAX_CALLBACK_CPU_S, watched_loop

REPO = Path(__file__).resolve().parents[2]
#: Most objects a collection may walk while a fresh process runs its first waits: a full collection of
#: the whole heap walks about 300,000 (Airflow's triggerer imports), holding the GIL for 0.25 s of CPU.
MOST_WALKED = 60_000


def _burn(seconds: float) -> None:
    deadline = time.thread_time() + seconds
    while time.thread_time() < deadline:
        pass


def test_the_watch_catches_a_trigger_that_blocks() -> None:
    """The check itself: a callback doing synchronous file reads and CPU work on the loop is caught."""

    async def bad_trigger() -> None:
        importlib.resources.files("botocore").joinpath("data/endpoints.json").read_bytes()
        _burn(0.08)

    with watched_loop() as found:
        asyncio.run(bad_trigger())
    assert any("endpoints.json" in line for line in found["io"])
    assert [spent for spent, _ in found["slow"]] and found["slow"][0][0] >= 0.08


def test_the_watch_does_not_charge_work_done_off_the_loop() -> None:
    """CPU spent in a worker thread, even in callbacks of a private loop there, is not the loop's.

    The client pool builds each shared client that way; an earlier version of the watch timed every
    thread's callbacks and blamed the triggers for a client build done off the loop.
    """

    async def busy_private_loop() -> None:
        _burn(0.08)

    async def good_trigger() -> None:
        await asyncio.to_thread(asyncio.run, busy_private_loop())
        await asyncio.to_thread(_burn, 0.08)

    with watched_loop() as found:
        asyncio.run(good_trigger())
    assert found["slow"] == []
    assert 0 < found["longest_s"] < MAX_CALLBACK_CPU_S


def test_the_watch_does_not_charge_garbage_collection_to_a_callback() -> None:
    """A collection that starts in a callback is the interpreter's pause, not the callback's work."""
    gc.disable()  # keep the cycles made here for the collection inside the loop
    try:
        garbage = [[i] for i in range(500_000)]
        for item in garbage:
            item.append(item)
        del garbage

        async def collecting_trigger() -> None:
            gc.collect()

        with watched_loop() as found:
            asyncio.run(collecting_trigger())
    finally:
        gc.enable()
    # The callback is charged a small fraction of the collection it ran (0.18 s here on a busy machine).
    assert found["gc_s"] > 0.01
    assert found["longest_s"] < found["gc_s"] / 10, found


@pytest.mark.parametrize("module", ["airflow_glue_flow.triggers.job", "airflow_glue_flow.triggers.crawler"])
def test_importing_a_trigger_module_imports_nothing_heavy(module: str) -> None:
    """In a fresh process with what the triggerer has loaded, the trigger's module adds no heavy import.

    The triggerer imports a trigger's module on its event loop, by the class path the trigger serialized.
    """
    program = f"""
import json, sys
import airflow.sdk, airflow.triggers.base
before = set(sys.modules)
import {module}
print(json.dumps(sorted(set(sys.modules) - before)))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    added = json.loads(done.stdout.strip().splitlines()[-1])
    assert module in added
    heavy = [name for name in added if name.split(".")[0] in HEAVY_MODULES or name.startswith(HEAVY_MODULES)]
    assert heavy == []


@pytest.fixture
def running_job_and_crawl(glue_client: Any, s3_client: Any, bucket: str, unique: Any) -> dict[str, str]:
    """A job run that keeps running and a crawl just started, on the local Glue."""
    job, database, crawler = unique("job"), unique("db"), unique("crawler")
    create_python_job(glue_client, s3_client, bucket, job, SLEEPING_SCRIPT)
    s3_client.put_object(Bucket=bucket, Key="csv/csvlog.csv", Body=SEED_CSV_PATH.read_bytes())
    glue_client.create_database(DatabaseInput={"Name": database})
    glue_client.create_crawler(
        Name=crawler,
        Role="glue-role",
        DatabaseName=database,
        Targets={"S3Targets": [{"Path": f"s3://{bucket}/csv/"}]},
    )
    started_at = datetime.now(UTC).isoformat()
    glue_client.start_crawler(Name=crawler)
    run_id = glue_client.start_job_run(JobName=job)["JobRunId"]
    yield {"job": job, "run_id": run_id, "crawler": crawler, "started_at": started_at}
    glue_client.batch_stop_job_run(JobName=job, JobRunIds=[run_id])


def triggers(where: dict[str, str], aws_conn_id: str) -> list[Any]:
    """Three job waits (one quiet, two forwarding logs) and three crawl waits on the same run and crawl."""
    waits = {"max_attempts": 5, "aws_conn_id": aws_conn_id}
    job, crawl = {"job_name": where["job"], "run_id": where["run_id"]}, {"crawler_name": where["crawler"]}
    return [
        *(
            GlueJobRunTrigger(**job, poll_interval=0.2, verbose=verbose, **waits)
            for verbose in (False, True, True)
        ),
        *(
            GlueCrawlerReadyTrigger(**crawl, started_after=where["started_at"], wait_time=0.2, **waits)
            for _ in range(3)
        ),
    ]


async def fire(trigger: Any) -> list[dict[str, Any]]:
    return [event.payload async for event in trigger.run()]


@pytest.mark.slow
def test_job_and_crawler_triggers_never_block_the_loop(
    running_job_and_crawl: dict[str, str], aws_conn_id: str
) -> None:
    async def main() -> list[list[dict[str, Any]]]:
        return await asyncio.gather(*(fire(t) for t in triggers(running_job_and_crawl, aws_conn_id)))

    with watched_loop() as found:
        events = asyncio.run(main())
    assert [len(e) for e in events] == [1] * 6  # every wait ended with one event (a timeout for the jobs)
    assert [e[0]["status"] for e in events[:3]] == ["error"] * 3
    assert not found["io"], found["io"]
    # CPU of the loop's own thread: a loaded machine cannot push it over the limit (callbacks take about
    # 3 ms here), while a trigger doing blocking work on the loop (a client build, a model load) exceeds it.
    assert not found["slow"], found["slow"]


@pytest.mark.slow
def test_waits_deferred_together_share_their_checks_and_each_ends_with_its_own_run(
    glue_client: Any, s3_client: Any, bucket: str, unique: Any, aws_conn_id: str, monkeypatch: Any
) -> None:
    """Five runs of one job deferred at once, with ``[glue_flow] merged_checks`` on: their checks become
    GetJobRuns calls, each wait its run's."""
    from aiobotocore.client import AioBaseClient

    monkeypatch.setenv("AIRFLOW__GLUE_FLOW__MERGED_CHECKS", "True")

    job = unique("job")
    script = b"import sys, time\ntime.sleep(2)\nsys.exit(1 if '--fail' in sys.argv else 0)\n"
    create_python_job(glue_client, s3_client, bucket, job, script, ExecutionProperty={"MaxConcurrentRuns": 5})
    run_ids = [
        glue_client.start_job_run(JobName=job, Arguments={"--fail": "yes"} if i == 2 else {})["JobRunId"]
        for i in range(5)
    ]
    made: list[str] = []
    make_call = AioBaseClient._make_api_call

    async def recorded(self: Any, operation: str, params: Any) -> Any:
        made.append(operation)
        return await make_call(self, operation, params)

    async def main() -> list[list[dict[str, Any]]]:
        waits = [
            GlueJobRunTrigger(
                job_name=job, run_id=r, poll_interval=0.5, max_attempts=240, aws_conn_id=aws_conn_id
            )
            for r in run_ids
        ]
        return await asyncio.gather(*(fire(t) for t in waits))

    with mock.patch.object(AioBaseClient, "_make_api_call", recorded), watched_loop() as found:
        events = asyncio.run(main())
    assert [e[0]["run_id"] for e in events] == run_ids
    assert [e[0]["state"] for e in events] == ["SUCCEEDED", "SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED"]
    assert "GetJobRuns" in made
    assert not found["slow"], found["slow"]


@pytest.mark.slow
def test_a_new_triggerer_process_resumes_the_wait_from_the_serialized_kwargs(
    running_job_and_crawl: dict[str, str], aws_conn_id: str, glue_client: Any
) -> None:
    """A triggerer restart: the trigger is rebuilt from ``serialize()`` in a fresh process and waits on."""

    where = running_job_and_crawl
    first = GlueJobRunTrigger(
        job_name=where["job"],
        run_id=where["run_id"],
        poll_interval=0.5,
        max_attempts=200,
        verbose=True,
        aws_conn_id=aws_conn_id,
    )
    classpath, kwargs = first.serialize()
    own = set(inspect.signature(GlueJobRunTrigger.__init__).parameters) - {"self", "aws"}
    aws = set(inspect.signature(GlueFlowAwsTrigger.__init__).parameters) - {"self"}
    assert set(kwargs) == own | aws  # exactly the __init__ keyword arguments
    assert type(first)(**kwargs).serialize() == (classpath, kwargs)

    # Airflow stores the kwargs as JSON and the new process imports the class by its path.
    program = f"""
import asyncio, importlib, json, sys
module, _, name = {classpath!r}.rpartition(".")
trigger = getattr(importlib.import_module(module), name)(**json.loads(sys.stdin.read()))
async def main():
    return [event.payload async for event in trigger.run()]
print(json.dumps(asyncio.run(main())))
"""
    glue_client.batch_stop_job_run(JobName=where["job"], JobRunIds=[where["run_id"]])
    done = subprocess.run(
        [sys.executable, "-c", program], input=json.dumps(kwargs), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (event,) = json.loads(done.stdout.strip().splitlines()[-1])
    assert (event["run_id"], event["state"]) == (where["run_id"], "STOPPED")


#: A fresh triggerer process: Airflow's triggerer imported, then the waits' classes imported by their
#: paths, built and run on the loop, as the triggerer does with its first triggers.
FIRST_WAITS = """
import asyncio, importlib, json, sys
import airflow.jobs.triggerer_job_runner
from tests.triggers.loop_watch import watched_loop

async def fire(trigger):
    return [event.payload async for event in trigger.run()]

async def main(serialized):
    triggers = []
    for classpath, kwargs in serialized:
        module, _, name = classpath.rpartition(".")
        triggers.append(getattr(importlib.import_module(module), name)(**kwargs))
    return await asyncio.gather(*(fire(t) for t in triggers))

with watched_loop() as found:
    events = asyncio.run(main(json.loads(sys.stdin.read())))
print(json.dumps({"events": events, **found}, default=str))
"""


@pytest.mark.slow
def test_the_first_waits_in_a_fresh_triggerer_process_never_block_the_loop(
    running_job_and_crawl: dict[str, str], aws_conn_id: str
) -> None:
    """Imports and first client builds happen off the loop, and (with ``[glue_flow] triggerer_gc_freeze``)
    set off no collection of the whole heap.

    A collection holds the GIL in whatever thread runs it: one walking the triggerer's heap stalls the
    loop for 0.25 s of CPU (Airflow then logs "async thread was blocked"), even when it runs in the
    worker thread that builds the first client.
    """
    serialized = [t.serialize() for t in triggers(running_job_and_crawl, aws_conn_id)]
    # The option that keeps first loads from setting off a full collection (off by default).
    freeze = {**os.environ, "AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE": "True"}
    done = subprocess.run(
        [sys.executable, "-c", FIRST_WAITS],
        input=json.dumps(serialized),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env=freeze,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert [len(e) for e in found["events"]] == [1] * 6
    assert found["io"] == []  # no heavy import, file read or DNS look-up on the loop
    assert found["slow"] == []
    assert 0 < found["most_walked"] < MOST_WALKED
