"""The Glue API actions the local Glue answers itself; every other request goes to moto.

moto keeps S3, the Data Catalog, crawler and job definitions and CloudWatch Logs. This WSGI layer
takes over the actions whose behaviour moto only pretends (crawls, job runs) or lacks (UpdateCrawler,
UpdateJob, BatchStopJobRun, GetCrawlerMetrics), and reads definitions from moto by calling it with
GetCrawler / GetJob, so errors for unknown names are moto's own (``EntityNotFoundException``).
CreateJob, UpdateJob and StartJobRun are checked first (:mod:`.job_validation`); workflow runs and trigger
firing are the workflow engine's (:mod:`.workflows`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from glue_flow_local.glue.calls import CallLog
from glue_flow_local.glue.crawler.runs import CrawlerRuns
from glue_flow_local.glue.crawler.schedules import CrawlerSchedules, check_schedule, schedule_of
from glue_flow_local.glue.crawler.validation import check_crawler
from glue_flow_local.glue.definitions import glue_backend, update_crawler, update_job
from glue_flow_local.glue.jobs.runs import JobRuns
from glue_flow_local.glue.jobs.validation import validate_job, validate_run
from glue_flow_local.glue.workflows.api import WorkflowApi
from glue_flow_local.glue.workflows.engine import WorkflowEngine
from glue_flow_local.protocol.auth import access_key_of, region_of
from glue_flow_local.protocol.errors import GlueApiError
from glue_flow_local.protocol.paging import paged

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
_JSON = "application/x-amz-json-1.1"


class GlueApi:
    """WSGI middleware in front of moto's app that runs crawls and job runs for real.

    :param inner: moto's WSGI application.
    :param crawls: the crawler state.
    :param jobs: the job runs.
    :param workflows: the workflow engine (none: workflow and trigger calls go to moto unchanged).
    :param calls: the call log that records the calls with side effects and the ends of runs and crawls.
    :param schedules: crawler schedules (none: schedules are stored and never run).
    """

    def __init__(
        self,
        inner: WsgiApp,
        crawls: CrawlerRuns,
        jobs: JobRuns,
        workflows: WorkflowEngine | None = None,
        calls: CallLog | None = None,
        schedules: CrawlerSchedules | None = None,
    ) -> None:
        self._inner = inner
        self.schedules = schedules
        self.calls = calls
        self.crawls = crawls
        self.jobs = jobs
        self._actions: dict[str, Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]] = {
            "StartCrawler": self._start_crawler,
            "StopCrawler": self._stop_crawler,
            "GetCrawler": self._get_crawler,
            "GetCrawlers": self._get_crawlers,
            "BatchGetCrawlers": self._batch_get_crawlers,
            "GetCrawlerMetrics": self._get_crawler_metrics,
            "DeleteCrawler": self._delete_crawler,
            "UpdateCrawler": self._update_crawler,
            "UpdateJob": self._update_job,
            "StartJobRun": self._start_job_run,
            "GetJobRun": self._get_job_run,
            "GetJobRuns": self._get_job_runs,
            "BatchStopJobRun": self._batch_stop_job_run,
            "GetJobBookmark": self._get_job_bookmark,
            "ResetJobBookmark": self._reset_job_bookmark,
        }
        # Definitions checked as AWS checks them, then stored by moto.
        checks: dict[str, Callable[[dict[str, Any]], None]] = {
            "CreateCrawler": _check_new_crawler,
            "CreateJob": validate_job,
        }
        for action, check in checks.items():
            self._actions[action] = self._checked(action, check)
        if calls is not None:
            # First, so an end is logged before the calls that the workflow engine makes because of it.
            jobs.on_end.insert(0, calls.job_ended)
            crawls.on_end.insert(0, calls.crawl_ended)
        if workflows is not None:
            jobs.on_end.append(workflows.job_ended)
            crawls.on_end.append(workflows.crawl_ended)
            self._actions.update(WorkflowApi(workflows, self.call_moto, jobs.get).actions())
        if schedules is not None:
            self._actions.update(schedules.actions(self.call_moto))
        # Custom classifiers (moto has none) are kept with the crawls that use them.
        for action, handler in crawls.classifiers.actions().items():
            self._actions[action] = _regional(handler)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service, _, action = target.partition(".")
        handler = self._actions.get(action) if service == "AWSGlue" else None
        if handler is None:
            return self._inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        request = json.loads(raw or b"{}")
        region = region_of(environ)
        try:
            status, body = 200, handler(environ, region, request)
        except GlueApiError as err:
            status, body = err.status, {"__type": err.code, "message": err.message}
        if self.calls is not None:
            self.calls.call(region, action, request, json.loads(json.dumps(body, default=_json_default)))
        payload = json.dumps(body, default=_json_default).encode()
        headers = [("Content-Type", _JSON), ("Content-Length", str(len(payload)))]
        if status != 200:
            headers.append(("x-amzn-ErrorType", body["__type"]))
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}", headers)
        return [payload]

    def call_moto(self, environ: dict[str, Any], action: str, request: dict[str, Any]) -> dict[str, Any]:
        """Call one Glue action on moto with the caller's headers and return its JSON answer.

        :param environ: the incoming request's WSGI environ (for region and credentials).
        :param action: the Glue action, e.g. ``GetCrawler``.
        :param request: the request body.
        :raises GlueApiError: moto's error, unchanged.
        """
        raw = json.dumps(request).encode()
        inner_env = dict(environ)
        inner_env.update(
            {
                "HTTP_X_AMZ_TARGET": f"AWSGlue.{action}",
                "CONTENT_LENGTH": str(len(raw)),
                "wsgi.input": io.BytesIO(raw),
                "REQUEST_METHOD": "POST",
            }
        )
        captured: dict[str, str] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"] = status

        body = b"".join(self._inner(inner_env, start_response))
        answer = json.loads(body or b"{}")
        if not captured["status"].startswith("2"):
            code = str(answer.get("__type", "InternalServiceException")).rsplit("#", 1)[-1]
            message = answer.get("message") or answer.get("Message") or ""
            raise GlueApiError(code, message, int(captured["status"].split()[0]))
        return answer

    def _checked(
        self, action: str, check: Callable[[dict[str, Any]], None]
    ) -> Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]:
        """A handler that checks the request with ``check`` (raising AWS's error), then passes it to moto."""

        def handler(environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
            check(request)
            answer = self.call_moto(environ, action, request)
            if action == "CreateCrawler" and self.schedules is not None and schedule_of(request):
                self.schedules.watch(region)
            return answer

        return handler

    # Crawlers

    def _start_crawler(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        crawler = self.call_moto(environ, "GetCrawler", {"Name": request.get("Name")})["Crawler"]
        self.crawls.start(region, crawler)
        return {}

    def _stop_crawler(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        self.call_moto(environ, "GetCrawler", {"Name": request.get("Name")})
        self.crawls.stop(region, request["Name"])
        return {}

    def _get_crawler(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        crawler = self.call_moto(environ, "GetCrawler", request)["Crawler"]
        return {"Crawler": self._decorate(region, crawler)}

    def _get_crawlers(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        crawlers = self.call_moto(environ, "GetCrawlers", {})["Crawlers"]
        answer = paged("Crawlers", sorted(crawlers, key=lambda c: c["Name"]), request)
        answer["Crawlers"] = [self._decorate(region, c) for c in answer["Crawlers"]]
        return answer

    def _batch_get_crawlers(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        answer = self.call_moto(environ, "BatchGetCrawlers", request)
        answer["Crawlers"] = [self._decorate(region, c) for c in answer.get("Crawlers", [])]
        return answer

    def _get_crawler_metrics(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        names = request.get("CrawlerNameList")
        if not names:
            names = sorted(c["Name"] for c in self.call_moto(environ, "GetCrawlers", {})["Crawlers"])
        return {"CrawlerMetricsList": [self.crawls.metrics(region, name) for name in names]}

    def _delete_crawler(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        self._refuse_while_crawling(region, request.get("Name", ""), "deleted")
        answer = self.call_moto(environ, "DeleteCrawler", request)
        if self.schedules is not None:
            self.schedules.forget(region, request.get("Name", ""))
        return answer

    def _update_crawler(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        self._refuse_while_crawling(region, request.get("Name", ""), "updated")
        current = self.call_moto(environ, "GetCrawler", {"Name": request.get("Name")})["Crawler"]
        check_crawler({**current, **request})
        if "Schedule" in request:
            check_schedule(current["Name"], schedule_of(request))
        update_crawler(glue_backend(access_key_of(environ), region), request)
        if self.schedules is not None and schedule_of(request):
            self.schedules.watch(region)
        return {}

    def _decorate(self, region: str, crawler: dict[str, Any]) -> dict[str, Any]:
        crawler = self.crawls.decorate(region, crawler)
        return self.schedules.decorate(region, crawler) if self.schedules is not None else crawler

    def _refuse_while_crawling(self, region: str, name: str, verb: str) -> None:
        if self.crawls.is_busy(region, name):
            raise GlueApiError(
                "CrawlerRunningException", f"Crawler with name {name} is running and cannot be {verb}"
            )

    # Jobs and job runs

    def _update_job(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        validate_job(request.get("JobUpdate") or {})
        return {"JobName": update_job(glue_backend(access_key_of(environ), region), request)}

    def _start_job_run(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        job = self.call_moto(environ, "GetJob", {"JobName": request.get("JobName")})["Job"]
        validate_run(job, request)
        return {"JobRunId": self.jobs.start(region, job, request)}

    def _get_job_run(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        return {"JobRun": self.jobs.get(region, request.get("JobName", ""), request.get("RunId", ""))}

    def _get_job_runs(self, environ: dict[str, Any], region: str, request: dict[str, Any]) -> dict[str, Any]:
        self.call_moto(environ, "GetJob", {"JobName": request.get("JobName")})
        return paged("JobRuns", self.jobs.list(region, request["JobName"]), request)

    def _batch_stop_job_run(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.call_moto(environ, "GetJob", {"JobName": request.get("JobName")})
        return self.jobs.stop(region, request["JobName"], list(request.get("JobRunIds") or []))

    def _get_job_bookmark(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.call_moto(environ, "GetJob", {"JobName": request.get("JobName")})
        return {"JobBookmarkEntry": self.jobs.bookmarks.get((region, request["JobName"]))}

    def _reset_job_bookmark(
        self, environ: dict[str, Any], region: str, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.call_moto(environ, "GetJob", {"JobName": request.get("JobName")})
        return {"JobBookmarkEntry": self.jobs.bookmarks.reset((region, request["JobName"]))}


def _check_new_crawler(request: dict[str, Any]) -> None:
    check_crawler(request)
    check_schedule(str(request.get("Name", "")), schedule_of(request))


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"Cannot serialise {type(value).__name__}")


def _regional(
    handler: Callable[[str, dict[str, Any]], dict[str, Any]],
) -> Callable[[dict[str, Any], str, dict[str, Any]], dict[str, Any]]:
    """Adapt a handler that needs only the region and the request to the dispatch table's signature."""
    return lambda environ, region, request: handler(region, request)
