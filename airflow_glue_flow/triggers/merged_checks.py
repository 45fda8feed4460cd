"""Checks of many waits that fall due in the same turn of the event loop, merged into one Glue call.

Waits that defer together (the mapped tasks of one DAG run, a burst of runs of one job) keep checking
together: their timers end in the same turn of the triggerer's loop. Their GetJobRun calls on runs of one
job then become one GetJobRuns call, and their GetCrawler calls one BatchGetCrawlers call, at about a
tenth of the CPU per wait (bench/bench_triggerer.py). Each wait still gets what its own call would give:

- only calls made in the same turn are merged: the first wait to ask yields once to the loop, so that the
  turn's other waits can ask too, and no check waits any longer than that;
- a run or crawler the merged answer does not hold (a run older than the page, a crawler that does not
  exist or that the caller may not read) is read by its wait's own call, so its answer, or AWS's error
  for it, is that call's;
- a merged call that fails leaves every wait to its own call; one that is denied (no ``glue:GetJobRuns``
  or ``glue:BatchGetCrawlers`` permission) is not tried again on that client;
- fewer than :data:`MIN_MERGED` calls in a turn are made one by one (a merged call costs more than a few).
"""

from __future__ import annotations

import asyncio
import logging
import types
import weakref
from collections.abc import Awaitable, Callable, Generator
from typing import Any

from botocore.exceptions import ClientError

from airflow_glue_flow.hooks.aws_errors import error_code

#: The fewest same-turn calls worth one merged call (it reads a page of runs, not just the ones asked for).
MIN_MERGED = 4
#: Runs a GetJobRuns page holds beyond the runs asked for: newer runs of the job are listed first.
PAGE_SLACK = 10
#: The most GetJobRuns lists in one page, and BatchGetCrawlers names in one call (Glue API reference).
MOST_RUNS, MOST_CRAWLERS = 200, 100

log = logging.getLogger(__name__)

Answer = dict[str, Any]
#: A follower's call: its arguments, and where the leader puts its answer (None: make your own call).
_Call = tuple[dict[str, Any], "asyncio.Future[Answer | None]"]
#: A merged read: the turn's call arguments -> answers by run id or crawler name.
_Read = Callable[[list[dict[str, Any]]], Awaitable[dict[str, Answer]]]
_MERGING: weakref.WeakKeyDictionary[Any, MergingGlue] = weakref.WeakKeyDictionary()


@types.coroutine
def _one_turn() -> Generator[None, None, None]:
    """Give the loop one turn, as ``asyncio.sleep(0)`` does (and unlike it, not a wait's sleep to tests)."""
    yield


def merging(client: Any) -> MergingGlue:
    """The one :class:`MergingGlue` of a shared aiobotocore Glue ``client``."""
    face = _MERGING.get(client)
    if face is None:
        face = _MERGING[client] = MergingGlue(client)
    return face


class MergingGlue:
    """A Glue client whose same-turn GetJobRun and GetCrawler calls are merged (see the module).

    Every other operation, and calls with arguments a merged call cannot honour, go to the client as is.
    """

    def __init__(self, client: Any) -> None:
        # A weak reference: the client's entry in _MERGING lives as long as the client, which the client
        # pool closes and lets go when its last wait ends; a strong one would keep both forever.
        self._client = weakref.ref(client)
        #: the calls gathering in this turn, by job name (runs) or "" (crawlers), behind their leader
        self._turns: dict[tuple[str, str], list[_Call]] = {}
        self._denied: set[str] = set()

    @property
    def client(self) -> Any:
        """The shared client (alive while any wait uses this face)."""
        return self._client()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    async def get_job_run(self, **kwargs: Any) -> Answer:
        """GetJobRun, merged with the same turn's calls on runs of the same job."""
        if not kwargs.get("PredecessorsIncluded"):
            turn = ("GetJobRuns", kwargs["JobName"])
            answer = await self._merged(turn, kwargs, "RunId", self._read_runs)
            if answer is not None:
                return answer
        return await self.client.get_job_run(**kwargs)

    async def get_crawler(self, **kwargs: Any) -> Answer:
        """GetCrawler, merged with the same turn's calls on any crawler."""
        answer = await self._merged(("BatchGetCrawlers", ""), kwargs, "Name", self._read_crawlers)
        if answer is not None:
            return answer
        return await self.client.get_crawler(**kwargs)

    async def _merged(
        self, turn: tuple[str, str], kwargs: dict[str, Any], key: str, read: _Read
    ) -> Answer | None:
        """This call's answer from the turn's merged call, or None: the caller makes its own call.

        The turn's first caller leads: it yields once to the loop, then makes the merged call for all
        who asked meanwhile (in its own task) and hands each its answer.
        """
        operation = turn[0]
        if operation in self._denied:
            return None
        followers = self._turns.get(turn)
        if followers is not None:
            future: asyncio.Future[Answer | None] = asyncio.get_running_loop().create_future()
            followers.append((kwargs, future))
            return await future
        followers = self._turns[turn] = []
        answers: dict[str, Answer] = {}
        try:
            await _one_turn()  # the turn's other waits ask now
            self._end_turn(turn, followers)
            if len(followers) + 1 >= MIN_MERGED:
                answers = await self._read(operation, read, [kwargs, *(kw for kw, _ in followers)])
        finally:
            # Also when the leader is cancelled: its followers then make their own calls.
            self._end_turn(turn, followers)
            for their_kwargs, their_future in followers:
                if not their_future.done():
                    their_future.set_result(answers.get(their_kwargs[key]))
        return answers.get(kwargs[key])

    def _end_turn(self, turn: tuple[str, str], followers: list[_Call]) -> None:
        """Stop gathering calls behind this leader (a later caller leads a turn of its own)."""
        if self._turns.get(turn) is followers:
            del self._turns[turn]

    async def _read(self, operation: str, read: _Read, calls: list[dict[str, Any]]) -> dict[str, Answer]:
        """Make the merged call; on failure, no answers (each wait then makes its own call)."""
        try:
            return await read(calls)
        except Exception as error:  # noqa: BLE001 - every wait then makes its own call, and sees its error
            if isinstance(error, ClientError) and error_code(error) == "AccessDeniedException":
                self._denied.add(operation)
                log.warning("%s is denied (%s); checks are made one call each", operation, error)
            else:
                log.info("%s failed (%s); this turn's checks are made one call each", operation, error)
            return {}

    async def _read_runs(self, calls: list[dict[str, Any]]) -> dict[str, Answer]:
        size = min(MOST_RUNS, len({kw["RunId"] for kw in calls}) + PAGE_SLACK)
        page = await self.client.get_job_runs(JobName=calls[0]["JobName"], MaxResults=size)
        meta = page.get("ResponseMetadata", {})
        return {run["Id"]: {"JobRun": run, "ResponseMetadata": meta} for run in page.get("JobRuns", [])}

    async def _read_crawlers(self, calls: list[dict[str, Any]]) -> dict[str, Answer]:
        names = list(dict.fromkeys(kw["Name"] for kw in calls))
        found: dict[str, Answer] = {}
        for start in range(0, len(names), MOST_CRAWLERS):
            batch = await self.client.batch_get_crawlers(CrawlerNames=names[start : start + MOST_CRAWLERS])
            meta = batch.get("ResponseMetadata", {})
            found.update({c["Name"]: {"Crawler": c, "ResponseMetadata": meta} for c in batch["Crawlers"]})
        return found
