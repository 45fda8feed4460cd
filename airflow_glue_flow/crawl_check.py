"""Pure decisions about a crawl: is it done, did it succeed, and what to report.

Everything here works on plain GetCrawler / GetCrawlerMetrics response dictionaries, so the sync sensor,
the async trigger and the tests share one set of rules and one set of messages.

The stale-READY rule: right after StartCrawler, GetCrawler can still show ``READY`` with the previous
crawl's ``LastCrawl``. A READY crawler only counts as done when its ``LastCrawl.StartTime`` is not older
than the start of the crawl we wait for (minus :data:`CLOCK_SKEW_TOLERANCE`); otherwise it is still waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from airflow_glue_flow.exceptions import GlueCrawlFailedError, GlueCrawlTimeoutError, GlueFlowError
from airflow_glue_flow.states import CRAWL_FAILURE_STATES, CRAWL_SUCCESS_STATE, CRAWLER_READY

#: How much older than the recorded crawl start ``LastCrawl.StartTime`` may be and still belong to that
#: crawl. The recorded start comes from the Airflow worker's clock, ``LastCrawl.StartTime`` from AWS's,
#: so a worker clock running a little ahead must not turn this crawl into a "stale" one. A previous crawl
#: could only be mistaken for this one if it started *and finished* within this window before ours,
#: which real crawls (a minute or more) never do.
CLOCK_SKEW_TOLERANCE = timedelta(seconds=10)

Outcome = Literal["succeeded", "failed", "waiting"]


def as_utc(value: datetime) -> datetime:
    """Return ``value`` as an aware UTC datetime (naive values are taken to be UTC).

    :param value: a datetime from boto3, an ISO string parser or the caller.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_utc(value: datetime | str) -> datetime:
    """Parse an ISO-8601 string (or take a datetime) as an aware UTC datetime.

    :param value: ``"2024-05-01T10:00:00+00:00"``, ``"...Z"`` or a datetime.
    :raises ValueError: when a string is not ISO-8601.
    """
    if isinstance(value, datetime):
        return as_utc(value)
    return as_utc(datetime.fromisoformat(value.strip()))


@dataclass(frozen=True)
class CrawlCheck:
    """The verdict on one GetCrawler response.

    :param outcome: ``succeeded``, ``failed`` or ``waiting``.
    :param state: ``Crawler.State`` as read, plus why a READY crawler is still waiting
        (e.g. ``"READY (last crawl started 2024-05-01T09:00:00+00:00, before this one)"``).
    :param status: ``LastCrawl.Status`` of this crawl when it is done, else ``None``.
    """

    outcome: Outcome
    state: str
    status: str | None = None
    error_message: str = ""
    log_group: str = ""
    log_stream: str = ""
    crawl_started_at: datetime | None = None


def check_crawl(
    crawler: Mapping[str, Any],
    started_after: datetime | None,
    tolerance: timedelta = CLOCK_SKEW_TOLERANCE,
) -> CrawlCheck:
    """Decide from one GetCrawler ``Crawler`` whether the crawl we wait for is done.

    :param crawler: the ``Crawler`` member of a GetCrawler response.
    :param started_after: UTC start of the crawl we wait for; ``None`` accepts whatever crawl is last.
    :param tolerance: clock skew allowed between the recorded start and ``LastCrawl.StartTime``.
    """
    state = str(crawler.get("State") or "UNKNOWN")
    if state != CRAWLER_READY:
        return CrawlCheck("waiting", state)
    last = crawler.get("LastCrawl") or {}
    last_start = last.get("StartTime")
    if last_start is None:
        return CrawlCheck("waiting", f"{state} (no crawl recorded yet)")
    last_start = as_utc(last_start)
    if started_after is not None and last_start < as_utc(started_after) - tolerance:
        return CrawlCheck(
            "waiting", f"{state} (last crawl started {last_start.isoformat()}, before this one)"
        )
    status = str(last.get("Status") or "")
    error_message = str(last.get("ErrorMessage") or "")
    if status != CRAWL_SUCCESS_STATE and status not in CRAWL_FAILURE_STATES:
        # A READY crawler will not change its LastCrawl any more, so waiting on an unknown status is
        # pointless; report it as a failure that names the odd value.
        error_message = error_message or f"unexpected LastCrawl.Status {status!r}"
    return CrawlCheck(
        "succeeded" if status == CRAWL_SUCCESS_STATE else "failed",
        state,
        status=status,
        error_message=error_message,
        log_group=str(last.get("LogGroup") or ""),
        log_stream=str(last.get("LogStream") or ""),
        crawl_started_at=last_start,
    )


def crawl_summary(crawler_name: str, check: CrawlCheck, metrics: Mapping[str, Any] | None) -> dict[str, Any]:
    """Build the JSON-serialisable summary a successful crawl returns.

    :param crawler_name: the crawler.
    :param check: the ``succeeded`` verdict.
    :param metrics: the crawler's entry of GetCrawlerMetrics ``CrawlerMetricsList``, if it could be read.
    """
    metrics = metrics or {}
    started = check.crawl_started_at
    duration = metrics.get("LastRuntimeSeconds")
    ended = started + timedelta(seconds=float(duration)) if started and duration is not None else None
    return {
        "crawler_name": crawler_name,
        "status": check.status,
        "started_at": started.isoformat() if started else None,
        "ended_at": ended.isoformat() if ended else None,
        "duration_seconds": float(duration) if duration is not None else None,
        "tables_created": metrics.get("TablesCreated"),
        "tables_updated": metrics.get("TablesUpdated"),
        "tables_deleted": metrics.get("TablesDeleted"),
        "log_group": check.log_group or None,
        "log_stream": check.log_stream or None,
    }


def success_event(summary: dict[str, Any]) -> dict[str, Any]:
    """Event payload of a successful crawl (also what the sync sensor finishes with)."""
    return {"status": "success", "glue_state": summary["status"], "summary": summary}


def failure_event(crawler_name: str, check: CrawlCheck) -> dict[str, Any]:
    """Event payload of a crawl that ended FAILED or CANCELLED (or with a status Glue does not document).

    :param crawler_name: the crawler.
    :param check: the ``failed`` verdict.
    """
    error = GlueCrawlFailedError(
        crawler_name,
        check.status or "UNKNOWN",
        error_message=check.error_message,
        log_group=check.log_group,
        log_stream=check.log_stream,
    )
    glue_state = check.status if check.status in CRAWL_FAILURE_STATES else None
    return {**error.to_event(), "glue_state": glue_state}


def timeout_event(crawler_name: str, check: CrawlCheck, checks: int, wait_time: float) -> dict[str, Any]:
    """Event payload when the crawl was still not done after every check.

    :param crawler_name: the crawler.
    :param check: the verdict of the last check.
    :param checks: how many checks were made (``max_attempts``).
    :param wait_time: seconds waited before each check.
    """
    error = GlueCrawlTimeoutError(crawler_name, check.state, checks, checks * wait_time)
    return {**error.to_event(), "glue_state": None}


def error_event(error: GlueFlowError) -> dict[str, Any]:
    """Event payload of any other error met while waiting (e.g. the crawler was deleted)."""
    return {**error.to_event(), "glue_state": None}
