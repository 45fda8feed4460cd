"""Crawler state in the local Glue: StartCrawler runs a real crawl on a background thread.

``Crawler.State`` goes READY -> RUNNING -> (STOPPING ->) READY, and ``LastCrawl.Status`` is SUCCEEDED,
FAILED (with ``ErrorMessage``) or CANCELLED, as in AWS. Crawl log lines go to CloudWatch Logs group
``/aws-glue/crawlers``, stream = crawler name.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from glue_flow_local.clients import server_client
from glue_flow_local.glue.crawler.catalog import CatalogWriter, CrawlOutcome
from glue_flow_local.glue.crawler.classifiers import classify_object, custom_csv
from glue_flow_local.glue.crawler.configuration import CrawlerOptions, crawler_options
from glue_flow_local.glue.crawler.custom import ClassifierStore
from glue_flow_local.glue.crawler.errors import CrawlError
from glue_flow_local.glue.crawler.scan import TablePlan, scan_target
from glue_flow_local.logs.streams import LogStreamWriter
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.s3.uri import S3UriError
from glue_flow_local.settings import Settings

CRAWLER_LOG_GROUP = "/aws-glue/crawlers"
#: Longest time a stopped crawl stays STOPPING (never longer than the minimum crawl time).
STOPPING_SECONDS = 1.0


@dataclass
class _CrawlerStatus:
    state: str = "READY"
    last_crawl: dict[str, Any] | None = None
    started: float = 0.0
    cancel: threading.Event = field(default_factory=threading.Event)
    outcome: CrawlOutcome = field(default_factory=CrawlOutcome)
    runtimes: list[float] = field(default_factory=list)
    # Folders the crawler has crawled (None before its first successful crawl), for CRAWL_NEW_FOLDERS_ONLY.
    known_folders: set[str] | None = None


class CrawlerRuns:
    """Crawl state of every crawler, per region.

    :param settings: the server settings.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._status: dict[tuple[str, str], _CrawlerStatus] = {}
        self._catalog_lock = threading.Lock()
        self.classifiers = ClassifierStore()
        #: Called with (region, crawler name, LastCrawl.Status, ErrorMessage) when a crawl ends.
        self.on_end: list[Callable[[str, str, str, str | None], None]] = []

    def start(self, region: str, crawler: dict[str, Any]) -> None:
        """Start a crawl of a crawler definition (as GetCrawler returns it).

        :param region: the request's region.
        :param crawler: the crawler definition.
        :raises GlueApiError: CrawlerRunningException when a crawl is under way.
        """
        name = crawler["Name"]
        with self._lock:
            status = self._status.setdefault((region, name), _CrawlerStatus())
            if status.state != "READY":
                raise GlueApiError("CrawlerRunningException", f"Crawler with name {name} has already started")
            status.state = "RUNNING"
            status.started = time.monotonic()
            status.cancel = threading.Event()
            crawl_id = str(uuid.uuid4())
            start_time = datetime.now(UTC)
        thread = threading.Thread(
            target=self._crawl,
            args=(region, crawler, status, crawl_id, start_time),
            name=f"crawl-{name}",
            daemon=True,
        )
        thread.start()

    def stop(self, region: str, name: str) -> None:
        """Ask a running crawl to stop; it ends CANCELLED.

        :param region: the request's region.
        :param name: the crawler name.
        :raises GlueApiError: CrawlerNotRunningException / CrawlerStoppingException.
        """
        with self._lock:
            status = self._status.get((region, name))
            if status is None or status.state == "READY":
                raise GlueApiError("CrawlerNotRunningException", f"Crawler with name {name} isn't running")
            if status.state == "STOPPING":
                raise GlueApiError("CrawlerStoppingException", f"Crawler with name {name} is stopping")
            status.state = "STOPPING"
            status.cancel.set()

    def is_busy(self, region: str, name: str) -> bool:
        """Whether a crawl of this crawler is under way.

        :param region: the request's region.
        :param name: the crawler name.
        """
        status = self._status.get((region, name))
        return status is not None and status.state != "READY"

    def decorate(self, region: str, crawler: dict[str, Any]) -> dict[str, Any]:
        """Put the real State, LastCrawl and CrawlElapsedTime into a crawler definition.

        :param region: the request's region.
        :param crawler: the crawler as stored in the catalog.
        """
        status = self._status.get((region, crawler["Name"]), _CrawlerStatus())
        crawler = dict(crawler)
        crawler["State"] = status.state
        crawler["CrawlElapsedTime"] = (
            int((time.monotonic() - status.started) * 1000) if status.state != "READY" else 0
        )
        crawler.pop("LastCrawl", None)
        if status.last_crawl is not None:
            crawler["LastCrawl"] = dict(status.last_crawl)
        return crawler

    def metrics(self, region: str, name: str) -> dict[str, Any]:
        """GetCrawlerMetrics entry of one crawler.

        :param region: the request's region.
        :param name: the crawler name.
        """
        status = self._status.get((region, name), _CrawlerStatus())
        running = status.state != "READY"
        median = statistics.median(status.runtimes) if status.runtimes else 0.0
        elapsed = time.monotonic() - status.started if running else 0.0
        return {
            "CrawlerName": name,
            # Like AWS: an estimate from earlier crawls; without any, the service is still estimating.
            "TimeLeftSeconds": round(max(median - elapsed, 0.0), 3) if running else 0.0,
            "StillEstimating": running and not status.runtimes,
            "LastRuntimeSeconds": status.runtimes[-1] if status.runtimes else 0.0,
            "MedianRuntimeSeconds": median,
            "TablesCreated": status.outcome.tables_created,
            "TablesUpdated": status.outcome.tables_updated,
            "TablesDeleted": status.outcome.tables_deleted,
        }

    def _crawl(
        self,
        region: str,
        crawler: dict[str, Any],
        status: _CrawlerStatus,
        crawl_id: str,
        start_time: datetime,
    ) -> None:
        name = crawler["Name"]
        endpoint = self._settings.endpoint_url
        writer = LogStreamWriter(
            server_client(endpoint, "logs", region, self._settings.credentials), CRAWLER_LOG_GROUP, name
        )

        def log(message: str) -> None:
            try:
                writer.write(f"[{crawl_id}] {message}")
            except Exception:  # noqa: BLE001 - a lost log line must not leave the crawler RUNNING
                pass

        outcome = CrawlOutcome()
        error: str | None = None
        try:
            log(f"BENCHMARK : Running Start Crawl for Crawler {name}")
            options = crawler_options(crawler)
            plans, folders, incremental = self._plan(region, crawler, status, options, log)
            # Hold the crawl for the configured minimum so pollers can observe RUNNING (and stop it).
            remaining = self._settings.min_crawl_seconds - (time.monotonic() - status.started)
            if remaining > 0:
                status.cancel.wait(remaining)
            if not status.cancel.is_set():
                log(
                    f"BENCHMARK : Classification complete, writing results to database {crawler['DatabaseName']}"
                )
                catalog = CatalogWriter(
                    server_client(endpoint, "glue", region, self._settings.credentials),
                    crawler,
                    crawl_id,
                    log,
                    options,
                )
                # One crawl writes the catalog at a time: no crawl sees another's half-made table.
                with self._catalog_lock:
                    outcome = catalog.write(plans, full_crawl=not incremental)
                status.known_folders = (status.known_folders or set()) | folders
        except (CrawlError, S3UriError) as err:
            error = str(err)
        except Exception as err:  # a crawl must always end; report the unexpected as AWS would, as FAILED
            error = f"Internal error while crawling: {type(err).__name__}: {err}"
        if error:
            log(f"ERROR : {error}")
        cancelled = status.cancel.is_set()
        final = "CANCELLED" if cancelled else ("FAILED" if error else "SUCCEEDED")
        last_crawl: dict[str, Any] = {
            "Status": final,
            "LogGroup": CRAWLER_LOG_GROUP,
            "LogStream": name,
            "MessagePrefix": crawl_id,
            "StartTime": start_time,
        }
        if error and final == "FAILED":
            last_crawl["ErrorMessage"] = error
        if cancelled:
            # AWS takes a while to stop a crawl; stay STOPPING long enough for a poller to see it.
            time.sleep(min(STOPPING_SECONDS, self._settings.min_crawl_seconds))
        log(f"BENCHMARK : Crawler has finished running and is in state READY (last crawl {final})")
        with self._lock:
            status.runtimes.append(round(time.monotonic() - status.started, 3))
            status.outcome = outcome
            status.last_crawl = last_crawl
            status.state = "READY"
        for listener in self.on_end:
            try:
                listener(region, name, final, last_crawl.get("ErrorMessage"))
            except Exception:  # noqa: BLE001 - a listener must not undo the run's end
                logging.getLogger(__name__).exception("after a crawl of crawler %s ended", name)

    def _plan(
        self,
        region: str,
        crawler: dict[str, Any],
        status: _CrawlerStatus,
        options: CrawlerOptions,
        log: Callable[[str], None],
    ) -> tuple[list[TablePlan], set[str], bool]:
        name = crawler["Name"]
        targets = crawler.get("Targets") or {}
        others = sorted(kind for kind, entries in targets.items() if kind != "S3Targets" and entries)
        if others:
            raise CrawlError(f"Crawler {name} has {', '.join(others)}: the local Glue crawls S3 targets only")
        s3_targets = targets.get("S3Targets") or []
        if not s3_targets:
            raise CrawlError(f"Crawler {name} has no S3 targets; the local Glue crawls S3 targets only")
        recrawl = (crawler.get("RecrawlPolicy") or {}).get("RecrawlBehavior") or "CRAWL_EVERYTHING"
        if recrawl == "CRAWL_EVENT_MODE":
            raise CrawlError(
                f"Crawler {name} uses RecrawlBehavior CRAWL_EVENT_MODE: the local Glue does not run S3 "
                "event-mode crawls (crawls that read an SQS queue of S3 events)"
            )
        # The first crawl is always a full one (https://docs.aws.amazon.com/glue/latest/dg/incremental-crawls.html).
        incremental = recrawl == "CRAWL_NEW_FOLDERS_ONLY" and status.known_folders is not None
        known = frozenset(status.known_folders or ()) if incremental else frozenset()
        custom = []
        for classifier in crawler.get("Classifiers") or []:
            try:
                custom.append(custom_csv(self.classifiers.lookup(region, classifier)))
            except GlueApiError as err:
                raise CrawlError(f"Crawler {name}: {err.message}") from err
        s3 = server_client(self._settings.endpoint_url, "s3", region, self._settings.credentials)
        prefix = crawler.get("TablePrefix") or ""
        plans: list[TablePlan] = []
        folders: set[str] = set()
        for target in s3_targets:
            found, seen = scan_target(
                s3,
                target,
                prefix,
                lambda uri, body: classify_object(uri, body, custom),
                log,
                known,
                options.combine,
            )
            plans += found
            folders |= seen
        if incremental:
            log(f"INFO : Incremental crawl: {len(folders - known)} new folders")
        return plans, folders, incremental
