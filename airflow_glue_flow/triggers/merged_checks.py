"""Checks of many waits that fall due in the same turn of the event loop, merged into one Glue call.

Waits that defer together (the mapped tasks of one DAG run, a burst of runs of one job) keep checking
together: their timers end in the same turn of the triggerer's loop. Their GetJobRun calls on runs of one
job then become one GetJobRuns call, and their GetCrawler calls one BatchGetCrawlers call, at about a
tenth of the CPU per wait (bench/bench_triggerer.py). Each wait still gets what its own call would give:

- only calls made in the same turn are merged: no check waits for another;
- a run or crawler the merged answer does not hold (a run older than the page, a crawler that does not
  exist) is read with its own call, so its answer, or AWS's error for it, is the single call's;
- a merged call that fails falls back to the single calls; one that is denied (no ``glue:GetJobRuns`` or
  ``glue:BatchGetCrawlers`` permission) is not tried again on that client;
- fewer than :data:`MIN_MERGED` calls in a turn are made one by one (a merged call costs more than a few).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from botocore.exceptions import ClientError

from airflow_glue_flow.hooks.aws_errors import error_code

#: The fewest same-turn calls worth one merged call (it reads a page of runs, not just the ones asked for).
MIN_MERGED = 4
#: Runs a GetJobRuns page holds beyond the runs asked for: newer runs of the job are listed first.
PAGE_SLACK = 25
#: The most GetJobRuns lists in one page, and BatchGetCrawlers names in one call (Glue API reference).
MOST_RUNS, MOST_CRAWLERS = 200, 100

log = logging.getLogger(__name__)

_Call = tuple[dict[str, Any], "asyncio.Future[dict[str, Any]]"]
_MERGING: weakref.WeakKeyDictionary[Any, MergingGlue] = weakref.WeakKeyDictionary()


def merging(client: Any) -> MergingGlue:
    """The one :class:`MergingGlue` of a shared aiobotocore Glue ``client``."""
    facade = _MERGING.get(client)
    if facade is None:
        facade = _MERGING[client] = MergingGlue(client)
    return facade


class MergingGlue:
    """A Glue client whose same-turn GetJobRun and GetCrawler calls are merged (see the module).

    Every other operation, and calls with arguments a merged call cannot honour, go to the client as is.
    """

    def __init__(self, client: Any) -> None:
        # A weak reference: the client's entry in _MERGING lives as long as the client, which the client
        # pool closes and lets go when its last wait ends; a strong one would keep both forever.
        self._client = weakref.ref(client)
        self._runs: dict[str, list[_Call]] = {}
        self._crawlers: list[_Call] = []
        self._denied: set[str] = set()
        self._answering: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    @property
    def client(self) -> Any:
        """The shared client (alive while any wait uses this face)."""
        return self._client()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def get_job_run(self, **kwargs: Any) -> dict[str, Any]:
        """GetJobRun, merged with the same turn's calls on runs of the same job."""
        if "GetJobRuns" in self._denied or kwargs.get("PredecessorsIncluded"):
            return await self.client.get_job_run(**kwargs)
        job = kwargs["JobName"]
        pending = self._runs.setdefault(job, [])
        return await self._queue(pending, kwargs, lambda: self._answer_runs(self._runs.pop(job)))

    async def get_crawler(self, **kwargs: Any) -> dict[str, Any]:
        """GetCrawler, merged with the same turn's calls on any crawler."""
        if "BatchGetCrawlers" in self._denied:
            return await self.client.get_crawler(**kwargs)
        return await self._queue(self._crawlers, kwargs, self._take_crawlers)

    def _take_crawlers(self) -> Coroutine[Any, Any, None]:
        calls, self._crawlers = self._crawlers, []
        return self._answer_crawlers(calls)

    async def _queue(
        self, pending: list[_Call], kwargs: dict[str, Any], answer: Callable[[], Coroutine[Any, Any, None]]
    ) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        if not pending:  # the turn's first such call: answer them all once this turn's waits have asked
            loop.call_soon(self._start, answer)
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        pending.append((kwargs, future))
        return await future

    def _start(self, answer: Callable[[], Coroutine[Any, Any, None]]) -> None:
        task = asyncio.get_running_loop().create_task(answer())
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer_runs(self, calls: list[_Call]) -> None:
        async def merged(live: list[_Call]) -> dict[str, dict[str, Any]]:
            job = live[0][0]["JobName"]
            size = min(MOST_RUNS, len({kw["RunId"] for kw, _ in live}) + PAGE_SLACK)
            page = await self.client.get_job_runs(JobName=job, MaxResults=size)
            meta = page.get("ResponseMetadata", {})
            return {run["Id"]: {"JobRun": run, "ResponseMetadata": meta} for run in page.get("JobRuns", [])}

        await self._answer("GetJobRuns", calls, merged, "RunId", self.client.get_job_run)

    async def _answer_crawlers(self, calls: list[_Call]) -> None:
        async def merged(live: list[_Call]) -> dict[str, dict[str, Any]]:
            names = list(dict.fromkeys(kw["Name"] for kw, _ in live))
            found: dict[str, dict[str, Any]] = {}
            for start in range(0, len(names), MOST_CRAWLERS):
                batch = await self.client.batch_get_crawlers(
                    CrawlerNames=names[start : start + MOST_CRAWLERS]
                )
                meta = batch.get("ResponseMetadata", {})
                found.update({c["Name"]: {"Crawler": c, "ResponseMetadata": meta} for c in batch["Crawlers"]})
            return found

        await self._answer("BatchGetCrawlers", calls, merged, "Name", self.client.get_crawler)

    async def _answer(
        self,
        operation: str,
        calls: list[_Call],
        merged: Callable[[list[_Call]], Awaitable[dict[str, dict[str, Any]]]],
        key: str,
        single: Callable[..., Awaitable[dict[str, Any]]],
    ) -> None:
        """Answer ``calls`` from one ``merged`` call, and the rest (or all, if it fails) one by one."""
        try:
            live = [call for call in calls if not call[1].done()]  # a cancelled wait no longer asks
            found: dict[str, dict[str, Any]] = {}
            if len(live) >= MIN_MERGED and operation not in self._denied:
                try:
                    found = await merged(live)
                except Exception as error:  # noqa: BLE001 - every wait then makes its own call
                    if isinstance(error, ClientError) and error_code(error) == "AccessDeniedException":
                        self._denied.add(operation)
                        log.warning("%s is denied (%s); checks are made one call each", operation, error)
                    else:
                        log.info(
                            "%s failed (%s); this turn's checks are made one call each", operation, error
                        )
            rest = []
            for kwargs, future in live:
                if kwargs[key] in found:
                    if not future.done():
                        future.set_result(found[kwargs[key]])
                else:
                    rest.append((kwargs, future))
            await asyncio.gather(*(_single_call(single, kwargs, future) for kwargs, future in rest))
        finally:
            for _, future in calls:  # this task was cancelled (the loop is closing): so are its waits
                if not future.done():
                    future.cancel()


async def _single_call(
    single: Callable[..., Awaitable[dict[str, Any]]], kwargs: dict[str, Any], future: asyncio.Future[Any]
) -> None:
    """One wait's own call; its answer or error is the wait's."""
    try:
        answer = await single(**kwargs)
    except Exception as error:  # noqa: BLE001 - handed to the wait, which raises it in its own call
        if not future.done():
            future.set_exception(error)
    else:
        if not future.done():
            future.set_result(answer)
