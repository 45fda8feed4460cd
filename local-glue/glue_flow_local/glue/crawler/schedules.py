"""Crawler schedules: a crawler whose schedule is SCHEDULED starts on its cron times.

- CreateCrawler / UpdateCrawler ``Schedule`` and UpdateCrawlerSchedule set the ``cron(...)`` expression
  (AWS's six fields, UTC: :mod:`glue_flow_local.glue.workflows.cron`); a crawler given a schedule is
  SCHEDULED. StopCrawlerSchedule makes it NOT_SCHEDULED (a running crawl goes on), StartCrawlerSchedule
  SCHEDULED again; GetCrawler's ``Schedule.State`` says which. The local Glue changes the state at once,
  so it never reports TRANSITIONING.
- At a cron time the crawler is started as StartCrawler starts it; when a crawl is already under way
  (CrawlerRunningException), that scheduled start is skipped and the next cron time is awaited.
- The times are those of the server's clock (:class:`~glue_flow_local.glue.workflows.clock.GlueClock`,
  scaled with the Glue timeout minute), as for SCHEDULED triggers.

https://docs.aws.amazon.com/glue/latest/dg/aws-glue-api-crawler-scheduler.html
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from glue_flow_local.clients import server_client
from glue_flow_local.glue.definitions import glue_backend, update_crawler
from glue_flow_local.glue.workflows.clock import GlueClock, tick_until_stopped
from glue_flow_local.glue.workflows.cron import CronError, CronTimes, parse_schedule
from glue_flow_local.protocol.auth import access_key_of
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.settings import Settings

_log = logging.getLogger(__name__)
#: (environ, action, request) -> moto's answer.
CallMoto = Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]
Handler = Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]


def schedule_of(crawler: dict[str, Any]) -> str:
    """A crawler's cron expression ('' when it has none), as GetCrawler or a request gives it."""
    schedule = crawler.get("Schedule")
    if isinstance(schedule, dict):
        return str(schedule.get("ScheduleExpression") or "")
    return str(schedule or "")


def check_schedule(name: str, schedule: str) -> None:
    """Refuse a schedule that is not AWS's six-field cron.

    :raises GlueApiError: InvalidInputException naming the crawler and what is wrong.
    """
    if schedule:
        try:
            parse_schedule(schedule)
        except CronError as err:
            raise GlueApiError("InvalidInputException", f"Crawler {name}: {err}") from None


def crawler_schedules(settings: Settings, clock: GlueClock) -> CrawlerSchedules:
    """The crawler schedules of one server: scheduled starts call its own Glue API with its credentials.

    :param settings: the server settings (the endpoint URL is read at each call: it is set once listening).
    :param clock: the server's clock (the workflow engine's).
    """
    return CrawlerSchedules(
        lambda region: server_client(settings.endpoint_url, "glue", region, settings.credentials), clock
    )


class CrawlerSchedules:
    """Schedule states of the crawlers of one server, and the thread that starts them on time.

    :param glue: region -> a boto3 Glue client of this server.
    :param clock: the server's clock.
    """

    def __init__(self, glue: Callable[[str], Any], clock: GlueClock) -> None:
        self._glue = glue
        self.clock = clock
        self._lock = threading.Lock()
        self._not_scheduled: set[tuple[str, str]] = set()
        self._cron = CronTimes()
        self._regions: set[str] = set()
        self._ticker: threading.Thread | None = None
        self._stopped = threading.Event()

    def state(self, region: str, crawler: dict[str, Any]) -> str:
        """SCHEDULED or NOT_SCHEDULED (also for a crawler without a schedule)."""
        if not schedule_of(crawler) or (region, crawler["Name"]) in self._not_scheduled:
            return "NOT_SCHEDULED"
        return "SCHEDULED"

    def decorate(self, region: str, crawler: dict[str, Any]) -> dict[str, Any]:
        """Put the real ``Schedule.State`` into a crawler as GetCrawler returns it."""
        expression = schedule_of(crawler)
        if not expression:
            return crawler
        return {
            **crawler,
            "Schedule": {"ScheduleExpression": expression, "State": self.state(region, crawler)},
        }

    def watch(self, region: str) -> None:
        """Start the clock thread: a crawler of this region has a schedule."""
        with self._lock:
            self._regions.add(region)
            if self._ticker is None:
                self._ticker = threading.Thread(
                    target=self._tick_forever, name="crawler-schedules", daemon=True
                )
                self._ticker.start()

    def forget(self, region: str, name: str) -> None:
        """A deleted crawler: a new one of that name starts SCHEDULED."""
        with self._lock:
            self._not_scheduled.discard((region, name))

    def shutdown(self) -> None:
        """Stop the clock thread."""
        self._stopped.set()

    def actions(self, call_moto: CallMoto) -> dict[str, Handler]:
        """UpdateCrawlerSchedule, StartCrawlerSchedule and StopCrawlerSchedule, for the Glue API's table."""

        def crawler(environ: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
            found: dict[str, Any] = call_moto(environ, "GetCrawler", {"Name": request.get("CrawlerName")})[
                "Crawler"
            ]
            return found

        def update(environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
            name = crawler(environ, request)["Name"]
            check_schedule(name, str(request.get("Schedule") or ""))
            update_crawler(
                glue_backend(access_key_of(environ), region),
                {"Name": name, "Schedule": request.get("Schedule") or ""},
            )
            if request.get("Schedule"):
                self.watch(region)
            return {}

        def start(environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
            found = crawler(environ, request)
            name = found["Name"]
            if not schedule_of(found):
                raise GlueApiError("NoScheduleException", f"Crawler {name} has no schedule")
            with self._lock:
                if (region, name) not in self._not_scheduled:
                    raise GlueApiError(
                        "SchedulerRunningException", f"Schedule of crawler {name} is already SCHEDULED"
                    )
                self._not_scheduled.discard((region, name))
            self.watch(region)
            return {}

        def stop(environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
            found = crawler(environ, request)
            name = found["Name"]
            with self._lock:
                if self.state(region, found) != "SCHEDULED":
                    raise GlueApiError(
                        "SchedulerNotRunningException", f"Schedule of crawler {name} is not SCHEDULED"
                    )
                self._not_scheduled.add((region, name))
            return {}

        return {"UpdateCrawlerSchedule": update, "StartCrawlerSchedule": start, "StopCrawlerSchedule": stop}

    def _tick_forever(self) -> None:
        tick_until_stopped(self.clock, self._stopped, self.tick, "starting scheduled crawlers")

    def tick(self) -> None:
        """Start the SCHEDULED crawlers whose cron time has come."""
        now = self.clock.now()
        for region in sorted(self._regions):
            client = self._glue(region)
            crawlers: list[dict[str, Any]] = []
            try:
                for page in client.get_paginator("get_crawlers").paginate():
                    crawlers += page.get("Crawlers", [])
            except (ClientError, BotoCoreError) as err:
                _log.warning("reading the crawlers of %s for their schedules: %s", region, err)
                continue
            live = set()
            for found in crawlers:
                key, expression = (region, found["Name"]), schedule_of(found)
                if self.state(region, found) != "SCHEDULED":
                    continue
                live.add(key)
                if self._cron.due(key, expression, now):
                    self._start(client, found["Name"])
            self._cron.keep_only(region, live)  # unscheduled: a new schedule starts from its own time

    @staticmethod
    def _start(client: Any, name: str) -> None:
        try:
            client.start_crawler(Name=name)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            # A crawl still under way: AWS skips this scheduled start.
            _log.info("scheduled start of crawler %s skipped: %s", name, code or err)
