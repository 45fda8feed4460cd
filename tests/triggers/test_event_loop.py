"""Deferred waits never block the triggerer's event loop, and resume from their serialized kwargs.

The triggerer runs every trigger in one asyncio loop: a trigger that blocks it stalls all the others
(Airflow logs "async thread was blocked ... badly-written trigger"). The check here is deterministic
rather than timed: an audit hook records file opens and DNS look-ups made on the loop's thread while
the triggers run, so any file or DNS I/O on the loop fails the test. :func:`watched_loop` also charges
every loop callback the CPU time of the loop thread and lists those over 50 ms (the self-test asserts
it catches them; the trigger test does not yet, see the README's limits).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from airflow_glue_flow.triggers.base import GlueFlowAwsTrigger
from airflow_glue_flow.triggers.crawler import GlueCrawlerReadyTrigger
from airflow_glue_flow.triggers.job import GlueJobRunTrigger
from tests.local_glue import SEED_CSV_PATH, SLEEPING_SCRIPT, create_python_job

#: Longest CPU time one loop callback may take.
MAX_CALLBACK_CPU_S = 0.05
#: Files the import system opens; importing a module on first use is Python's cost, not a trigger's.
_CODE_SUFFIXES = (".py", ".pyc", ".so", ".pth")

_watched: dict[str, Any] = {}


def _audit(event: str, args: tuple[Any, ...]) -> None:
    loop_thread = _watched.get("thread")
    if loop_thread is None or threading.get_ident() != loop_thread:
        return
    if event == "open" and isinstance(args[0], str | bytes) and not str(args[0]).endswith(_CODE_SUFFIXES):
        _watched["io"].append(f"open {args[0]!r}")
    elif event in ("socket.getaddrinfo", "socket.gethostbyname"):
        _watched["io"].append(f"{event} {args[0]!r}")


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only while a test watches a loop


@contextmanager
def watched_loop() -> Iterator[dict[str, Any]]:
    """Record blocking I/O and the CPU time of each callback on the event loop run inside the block."""
    handle_run = asyncio.events.Handle._run
    found: dict[str, Any] = {"io": [], "slow": []}

    def timed_run(handle: asyncio.events.Handle) -> None:
        before = time.thread_time()
        handle_run(handle)
        spent = time.thread_time() - before
        if spent > MAX_CALLBACK_CPU_S:
            found["slow"].append((round(spent, 3), repr(handle)[:300]))

    asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]
    _watched.update(io=found["io"], thread=threading.get_ident())
    try:
        yield found
    finally:
        _watched.clear()
        asyncio.events.Handle._run = handle_run  # type: ignore[method-assign]


def test_the_watch_catches_a_trigger_that_blocks() -> None:
    """The check itself: a callback doing synchronous file reads and CPU work on the loop is caught."""

    async def bad_trigger() -> None:
        importlib.resources.files("botocore").joinpath("data/endpoints.json").read_bytes()
        deadline = time.thread_time() + 0.08
        while time.thread_time() < deadline:
            pass

    with watched_loop() as found:
        asyncio.run(bad_trigger())
    assert any("endpoints.json" in line for line in found["io"])
    assert found["slow"]


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


@pytest.mark.slow
def test_a_new_triggerer_process_resumes_the_wait_from_the_serialized_kwargs(
    running_job_and_crawl: dict[str, str], aws_conn_id: str, glue_client: Any
) -> None:
    """A triggerer restart: the trigger is rebuilt from ``serialize()`` in a fresh process and waits on."""
    import json
    import subprocess

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
