"""A small read-only console for the local Glue: the pages the extra links of Airflow tasks open.

Plain HTML, served by the local Glue on its own address under ``/_console/``: the crawlers, jobs,
tables and workflows of a region, a crawler with its last crawl, a job with its runs, a run with its log
lines, a table with its schema and partitions, and a workflow with its runs and each run's graph state
(:mod:`.workflows`). Every value comes from the local Glue's own API (the same answers
boto3 gets), and every value is HTML-escaped. It only reads: GET, no forms, no scripts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, quote

from botocore.exceptions import ClientError

from glue_flow_local.clients import local_client
from glue_flow_local.console.markup import Page, _e, _fields, _rows, _state
from glue_flow_local.settings import CONSOLE_PREFIX, Credentials

_STYLE = (
    "body{font-family:sans-serif;margin:1.5em;max-width:70em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
    "pre{background:#f4f4f4;padding:.5em;white-space:pre-wrap}.FAILED,.ERROR,.TIMEOUT{color:#b00}"
    ".SUCCEEDED{color:#070}"
)
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/?$"), "_index"),
    (re.compile(r"^/crawlers/(?P<name>[^/]+)$"), "_crawler"),
    (re.compile(r"^/jobs/(?P<name>[^/]+)$"), "_job"),
    (re.compile(r"^/jobs/(?P<name>[^/]+)/runs/(?P<run_id>[^/]+)$"), "_run"),
    (re.compile(r"^/tables/(?P<database>[^/]+)/(?P<table>[^/]+)$"), "_table"),
    (re.compile(r"^/workflows/(?P<name>[^/]+)$"), "_workflow"),
    (re.compile(r"^/workflows/(?P<name>[^/]+)/runs/(?P<run_id>[^/]+)$"), "_workflow_run"),
    (re.compile(r"^/state-machines/(?P<name>[^/]+)$"), "_state_machine"),
    (re.compile(r"^/state-machines/(?P<name>[^/]+)/executions/(?P<execution>[^/]+)$"), "_execution"),
]


class Console:
    """The console pages, as a WSGI app mounted under :data:`CONSOLE_PREFIX`.

    :param endpoint_url: the local Glue's URL; the console reads through its API like any client.
    :param credentials: the local Glue's credentials, which its API requires (default: the default ones).
    """

    def __init__(self, endpoint_url: str | Callable[[], str], credentials: Credentials | None = None) -> None:
        self._endpoint_url = endpoint_url
        self._credentials = credentials

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return self._answer(start_response, 405, "Method not allowed", "<p>The console only reads.</p>")
        path = environ.get("PATH_INFO", "")[len(CONSOLE_PREFIX) :]
        region = (parse_qs(environ.get("QUERY_STRING", "")).get("region") or ["us-east-1"])[0]
        if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d", region):
            return self._answer(start_response, 400, "Bad region", f"<p>Not a region: {_e(region)}</p>")
        for pattern, method in _ROUTES:
            match = pattern.match(path)
            if match:
                try:
                    title, body = getattr(self, method)(region, **match.groupdict())
                except ClientError as err:
                    error = err.response.get("Error", {})
                    missing = ("EntityNotFoundException", "StateMachineDoesNotExist", "ExecutionDoesNotExist")
                    status = 404 if error.get("Code") in missing else 500
                    return self._answer(
                        start_response,
                        status,
                        error.get("Code", "Error"),
                        f"<p>{_e(error.get('Message'))}</p>",
                    )
                return self._answer(start_response, 200, title, body, region)
        return self._answer(start_response, 404, "Not found", f"<p>No console page at {_e(path)}</p>")

    def _client(self, service: str, region: str) -> Any:
        url = self._endpoint_url() if callable(self._endpoint_url) else self._endpoint_url
        return local_client(url, service, region, self._credentials)

    @staticmethod
    def _answer(
        start_response: Callable[..., Any], status: int, title: str, body: str, region: str = ""
    ) -> list[bytes]:
        home = f'<a href="{CONSOLE_PREFIX}/?region={quote(region)}">Local Glue console</a>' if region else ""
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{_e(title)}</title>"
            f"<style>{_STYLE}</style></head><body><nav>{home} {_e(region)}</nav><h1>{_e(title)}</h1>"
            f"{body}</body></html>"
        ).encode()
        reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}.get(
            status, "Error"
        )
        start_response(
            f"{status} {reason}",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(page))),
                # Read-only pages of a local developer tool: no framing by other sites, no scripts.
                ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
                ("X-Frame-Options", "DENY"),
            ],
        )
        return [page]

    # Pages

    def _index(self, region: str) -> Page:
        from glue_flow_local.console.workflows import workflow_list

        glue = self._client("glue", region)
        crawlers = glue.get_crawlers().get("Crawlers", [])
        jobs = glue.get_jobs().get("Jobs", [])
        tables: list[tuple[str, str]] = []
        for database in glue.get_databases().get("DatabaseList", []):
            for table in glue.get_tables(DatabaseName=database["Name"]).get("TableList", []):
                tables.append((database["Name"], table["Name"]))
        q = f"?region={quote(region)}"
        return "Local Glue", (
            "<h2>Crawlers</h2>"
            + _rows(
                ("crawler", "state", "last crawl"),
                (
                    (
                        f'<a href="{CONSOLE_PREFIX}/crawlers/{quote(c["Name"])}{q}">{_e(c["Name"])}</a>',
                        _e(c.get("State")),
                        _state((c.get("LastCrawl") or {}).get("Status")),
                    )
                    for c in crawlers
                ),
            )
            + "<h2>Jobs</h2>"
            + _rows(
                ("job", "type"),
                (
                    (
                        f'<a href="{CONSOLE_PREFIX}/jobs/{quote(j["Name"])}{q}">{_e(j["Name"])}</a>',
                        _e((j.get("Command") or {}).get("Name")),
                    )
                    for j in jobs
                ),
            )
            + "<h2>Tables</h2>"
            + _rows(
                ("database", "table"),
                (
                    (_e(db), f'<a href="{CONSOLE_PREFIX}/tables/{quote(db)}/{quote(t)}{q}">{_e(t)}</a>')
                    for db, t in tables
                ),
            )
            + workflow_list(glue, region)
            + _executions().machines_section(self._client("stepfunctions", region), region)
        )

    def _crawler(self, region: str, name: str) -> Page:
        crawler = self._client("glue", region).get_crawler(Name=name)["Crawler"]
        last = crawler.get("LastCrawl") or {}
        targets = [t.get("Path") for t in (crawler.get("Targets") or {}).get("S3Targets", [])]
        return f"Crawler {name}", _fields(
            [
                ("State", crawler.get("State")),
                ("Database", crawler.get("DatabaseName")),
                ("S3 targets", ", ".join(p for p in targets if p)),
                ("Last crawl status", last.get("Status") or "never crawled"),
                ("Last crawl started", last.get("StartTime")),
                ("Last crawl error", last.get("ErrorMessage")),
                ("Log", f"{last.get('LogGroup') or ''} {last.get('LogStream') or ''}".strip()),
            ]
        )

    def _job(self, region: str, name: str) -> Page:
        glue = self._client("glue", region)
        job = glue.get_job(JobName=name)["Job"]
        runs = glue.get_job_runs(JobName=name).get("JobRuns", [])
        q = f"?region={quote(region)}"
        command = job.get("Command") or {}
        return f"Job {name}", _fields(
            [
                ("Type", command.get("Name")),
                ("Script", command.get("ScriptLocation")),
                ("Glue version", job.get("GlueVersion")),
                ("Timeout (minutes)", job.get("Timeout")),
                ("Max retries", job.get("MaxRetries")),
                ("Default arguments", job.get("DefaultArguments")),
            ]
        ) + "<h2>Runs</h2>" + _rows(
            ("run", "attempt", "state", "started", "seconds", "error"),
            (
                (
                    f'<a href="{CONSOLE_PREFIX}/jobs/{quote(name)}/runs/{quote(r["Id"])}{q}">{_e(r["Id"])}</a>',
                    _e(r.get("Attempt")),
                    _state(r.get("JobRunState")),
                    _e(r.get("StartedOn")),
                    _e(r.get("ExecutionTime")),
                    _e(r.get("ErrorMessage")),
                )
                for r in runs
            ),
        )

    def _run(self, region: str, name: str, run_id: str) -> Page:
        run = self._client("glue", region).get_job_run(JobName=name, RunId=run_id)["JobRun"]
        logs = self._client("logs", region)
        sections = []
        for kind in ("output", "error"):
            group = f"{run.get('LogGroupName') or '/aws-glue/python-jobs'}/{kind}"
            try:
                events = logs.get_log_events(logGroupName=group, logStreamName=run_id, startFromHead=True)
                lines = [e["message"] for e in events.get("events", [])]
            except ClientError:
                lines = []
            sections.append(
                f"<h2>{_e(kind)} ({_e(group)})</h2><pre>{_e(chr(10).join(lines)) or '(empty)'}</pre>"
            )
        return f"Job {name} run {run_id}", _fields(
            [
                ("State", run.get("JobRunState")),
                ("Attempt", run.get("Attempt")),
                ("Previous run", run.get("PreviousRunId")),
                ("Started", run.get("StartedOn")),
                ("Completed", run.get("CompletedOn")),
                ("Execution time (s)", run.get("ExecutionTime")),
                ("Error", run.get("ErrorMessage")),
                ("Arguments", run.get("Arguments")),
            ]
        ) + "".join(sections)

    def _state_machine(self, region: str, name: str) -> Page:
        return _executions().machine_page(self._client("stepfunctions", region), region, name)

    def _execution(self, region: str, name: str, execution: str) -> Page:
        return _executions().execution_page(self._client("stepfunctions", region), region, name, execution)

    def _table(self, region: str, database: str, table: str) -> Page:
        glue = self._client("glue", region)
        found = glue.get_table(DatabaseName=database, Name=table)["Table"]
        storage = found.get("StorageDescriptor") or {}
        columns = storage.get("Columns", [])
        keys = found.get("PartitionKeys", [])
        params = found.get("Parameters") or {}
        return f"Table {database}.{table}", (
            _fields([("Location", storage.get("Location")), ("Classification", params.get("classification"))])
            + "<h2>Schema</h2>"
            + _rows(("column", "type"), ((_e(c["Name"]), _e(c.get("Type"))) for c in columns))
            + (
                "<h2>Partition keys</h2>"
                + _rows(("key", "type"), ((_e(k["Name"]), _e(k.get("Type"))) for k in keys))
                if keys
                else ""
            )
            + "<h2>Parameters</h2>"
            + _fields(sorted(params.items()))
        )

    def _workflow(self, region: str, name: str) -> Page:
        from glue_flow_local.console.workflows import workflow_page

        return workflow_page(self._client("glue", region), region, name)

    def _workflow_run(self, region: str, name: str, run_id: str) -> Page:
        from glue_flow_local.console.workflows import workflow_run_page

        return workflow_run_page(self._client("glue", region), region, name, run_id)


def _executions() -> Any:
    """The Step Functions pages' module (imported on use: it builds on this module's helpers)."""
    from glue_flow_local.console import executions

    return executions


def with_console(app: Callable[..., Iterable[bytes]], console: Console) -> Callable[..., Iterable[bytes]]:
    """Serve the console's paths from ``console`` and everything else from ``app``.

    The console answers before the API's request checks: its pages are opened by a browser, carry no
    AWS signature, and only read.
    """

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"):
            return console(environ, start_response)
        return app(environ, start_response)

    return dispatch
