"""The call log: every Glue call with a side effect that the local Glue answered, and every end of a job
run or crawl, in the order they happened, read over HTTP at :data:`CALLS_PATH`.

It is what lets a caller compare two runs of the same flow (``glue-flow import workflow --check`` runs a
Glue workflow and its imported DAG, then compares the calls each made): the workflow engine's own
StartJobRun and StartCrawler calls go through the server's API like anyone's, so both sides are logged
the same way. A call is logged when it is answered (so a StartWorkflowRun comes after the StartJobRun
its start trigger made); an end, before anything the workflow engine starts because of it. Read-only: ``GET /_local/calls?since=N`` answers the entries from sequence number ``N`` on,
as JSON ``{"Calls": [...], "Next": M}``; entries are kept until the server stops (the oldest go past
:data:`MAX_ENTRIES`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

#: The URL path of the log on the local Glue's address (the underscore keeps it apart from bucket names).
CALLS_PATH = "/_local/calls"
#: Glue actions with a side effect on jobs, crawlers or workflow runs: the ones the log records.
RECORDED_ACTIONS = frozenset(
    {
        "StartJobRun",
        "BatchStopJobRun",
        "StartCrawler",
        "StopCrawler",
        "StartWorkflowRun",
        "StopWorkflowRun",
        "ResumeWorkflowRun",
        "StartTrigger",
    }
)
#: How many entries the log keeps.
MAX_ENTRIES = 100_000


class CallLog:
    """The entries, numbered from 0 in the order they were recorded; safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_ENTRIES)
        self._next = 0

    def record(self, entry: dict[str, Any]) -> None:
        """Append one entry (a JSON-ready dict); ``Seq`` and ``Time`` (epoch seconds) are added."""
        with self._lock:
            self._entries.append({"Seq": self._next, "Time": time.time(), **entry})
            self._next += 1

    def call(self, region: str, action: str, request: dict[str, Any], answer: dict[str, Any]) -> None:
        """Record a call of a :data:`RECORDED_ACTIONS` action, with its request and its answer or error."""
        if action in RECORDED_ACTIONS:
            self.record({"Action": action, "Region": region, "Request": request, "Response": answer})

    def job_ended(self, region: str, job_name: str, run: dict[str, Any], retrying: bool) -> None:
        """A job run ended (the signature of the job runs' end listeners)."""
        self.record(
            {
                "Event": "JobRunEnded",
                "Region": region,
                "JobName": job_name,
                "JobRunId": run.get("Id"),
                "JobRunState": run.get("JobRunState"),
                "Retrying": retrying,
            }
        )

    def crawl_ended(self, region: str, crawler: str, status: str, error: str | None) -> None:
        """A crawl ended (the signature of the crawls' end listeners)."""
        self.record(
            {
                "Event": "CrawlEnded",
                "Region": region,
                "CrawlerName": crawler,
                "Status": status,
                "Error": error,
            }
        )

    def since(self, seq: int) -> dict[str, Any]:
        """The entries numbered ``seq`` and later, and the number the next entry will get."""
        with self._lock:
            return {"Calls": [e for e in self._entries if e["Seq"] >= seq], "Next": self._next}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI answer to ``GET`` :data:`CALLS_PATH` (``?since=N``, default 0)."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _answer(start_response, "405 Method Not Allowed", {"message": "the call log only reads"})
        raw = (parse_qs(environ.get("QUERY_STRING", "")).get("since") or ["0"])[0]
        if not raw.isdigit():
            return _answer(start_response, "400 Bad Request", {"message": f"since={raw!r} is not a number"})
        return _answer(start_response, "200 OK", self.since(int(raw)))


def _answer(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> Iterable[bytes]:
    payload = json.dumps(body, default=str).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]
