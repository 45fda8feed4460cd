"""The local Glue's HTTP server, running on a thread of this process (:class:`LocalGlueServer`).

``glue-flow-local serve`` runs one in the foreground; :class:`~glue_flow_local.process.LocalGlueProcess`
starts that command as a subprocess. All state (buckets, objects, catalog, crawlers, jobs, runs, logs)
lives in the server's memory and is gone when it stops.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from glue_flow_local.glue.calls import CALLS_PATH, CallLog
from glue_flow_local.settings import CONSOLE_PREFIX, STATE_DIR_ENV, ServerOptions

if TYPE_CHECKING:
    from werkzeug.serving import WSGIRequestHandler

    from glue_flow_local.glue.crawler.schedules import CrawlerSchedules
    from glue_flow_local.glue.jobs.runs import JobRuns
    from glue_flow_local.glue.workflows.engine import WorkflowEngine
    from glue_flow_local.stepfunctions.api import StepFunctionsApi

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DEFAULT_HOST = "127.0.0.1"


def one_server_header(handler: type[WSGIRequestHandler]) -> type[WSGIRequestHandler]:
    """``handler``, sending the application's ``Server`` header only.

    http.server adds its own (``Werkzeug/... Python/...``) to every response, and moto sets one too: a
    response with two ``Server`` headers is refused by strict HTTP parsers (aiohttp's, in asyncio debug
    mode, so a deferred wait could not read job logs there).
    """

    class OneServerHeader(handler):  # type: ignore[valid-type,misc]  # a class made at run time
        def send_response(self, code: int, message: str | None = None) -> None:
            # BaseHTTPRequestHandler.send_response without its Server header.
            self.log_request(code)
            self.send_response_only(code, message)
            self.send_header("Date", self.date_time_string())

    return OneServerHeader


class LocalGlueServer:
    """The local Glue HTTP server, running on a thread of this process.

    moto's backends are process-wide, so run one server per process (the CLI does) and do not mix it
    with ``moto.mock_aws`` in the same process.

    :param host: the address to bind (``0.0.0.0`` in a container).
    :param port: the port; 0 picks a free one.
    :param state_dir: folder for job scripts and run working directories (default: ``GLUE_FLOW_LOCAL_STATE_DIR``,
        else a new temporary folder, removed when the server stops).
    :param options: the settings the caller chooses; the environment's or the defaults for the others.
    :param remove_state_dir: remove the state folder when the server stops even if it was given.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = 0,
        *,
        state_dir: str | Path | None = None,
        options: ServerOptions | None = None,
        remove_state_dir: bool = False,
    ) -> None:
        from werkzeug.serving import WSGIRequestHandler, make_server

        given = state_dir or os.environ.get(STATE_DIR_ENV)
        directory = given or tempfile.mkdtemp(prefix="glue-flow-local-")
        # A folder the server made for itself goes when it stops; a folder it was given stays unless asked.
        self._owns_state_dir = not given or remove_state_dir
        Path(directory).mkdir(parents=True, exist_ok=True)
        self.settings = (options or ServerOptions()).settings("", Path(directory).resolve())
        # Each service's machinery (moto and the API layers; the console) loads on its first request, so
        # the server listens, and ``serve`` prints its URL, before any of it is imported.
        self._api = _OnFirstUse(self._build_api)
        self._console = _OnFirstUse(self._build_console)
        self._jobs: JobRuns | None = None
        self._workflows: WorkflowEngine | None = None
        self._schedules: CrawlerSchedules | None = None
        self._stepfunctions: StepFunctionsApi | None = None
        #: The Glue calls with side effects and the ends of job runs and crawls (read at ``CALLS_PATH``).
        self.calls = CallLog()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self._server = make_server(
            host, port, self._dispatch, threaded=True, request_handler=_first_use_handler(WSGIRequestHandler)
        )
        self.host = host
        self.port: int = self._server.server_port
        # The server's own crawls and job scripts always call back over loopback.
        loopback = DEFAULT_HOST if host in ("0.0.0.0", "", "::") else host
        self.settings.endpoint_url = f"http://{loopback}:{self.port}"
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        """The URL to give boto3 as ``endpoint_url``."""
        return self.settings.endpoint_url

    def _dispatch(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # The console's read-only pages are opened by a browser: they answer before the front door.
        path = environ.get("PATH_INFO", "")
        if path == CONSOLE_PREFIX or path.startswith(CONSOLE_PREFIX + "/"):
            return self._console.get()(environ, start_response)
        if path == CALLS_PATH:
            return self.calls(environ, start_response)
        return self._api.get()(environ, start_response)

    def _build_api(self) -> WsgiApp:
        """moto behind the local Glue's layers: what every S3, Glue, Logs, SQS, Step Functions and Lambda request goes through."""
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        from glue_flow_local.awslambda.api import LambdaApi
        from glue_flow_local.awslambda.roles import role_exists
        from glue_flow_local.glue.api import GlueApi
        from glue_flow_local.glue.crawler.runs import CrawlerRuns
        from glue_flow_local.glue.crawler.schedules import crawler_schedules
        from glue_flow_local.glue.jobs.runs import JobRuns
        from glue_flow_local.glue.workflows import workflow_engine
        from glue_flow_local.logs.streams import LogPages
        from glue_flow_local.protocol.auth import FrontDoor
        from glue_flow_local.protocol.json_protocol import JsonProtocol
        from glue_flow_local.protocol.services import ServiceGate
        from glue_flow_local.s3 import notifications as s3_notifications
        from glue_flow_local.s3.conditions import S3Preconditions
        from glue_flow_local.s3.notification_checks import S3NotificationChecks
        from glue_flow_local.stepfunctions.api import StepFunctionsApi

        self._jobs = JobRuns(self.settings)
        self._workflows = workflow_engine(self.settings)
        self._schedules = crawler_schedules(self.settings, self._workflows.clock)
        moto = DomainDispatcherApplication(create_backend_app)
        s3_notifications.install()
        api = GlueApi(
            LogPages(S3Preconditions(S3NotificationChecks(moto))),
            CrawlerRuns(self.settings),
            self._jobs,
            self._workflows,
            self.calls,
            self._schedules,
        )
        self._stepfunctions = StepFunctionsApi(
            LambdaApi(JsonProtocol(api), self.settings, role_exists), self.settings
        )
        return FrontDoor(
            ServiceGate(self._stepfunctions), self.settings.credentials, self.settings.allowed_origins
        )

    def _build_console(self) -> WsgiApp:
        from glue_flow_local.console.pages import Console

        return Console(lambda: self.settings.endpoint_url, self.settings.credentials)

    def serve_forever(self) -> None:
        """Serve on the calling thread until :meth:`stop` (or an interrupt)."""
        try:
            self._server.serve_forever()
        finally:
            self.release()

    def start(self) -> LocalGlueServer:
        """Serve on a background thread; returns self."""
        self._thread = threading.Thread(target=self.serve_forever, name="local-glue", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and kill running job scripts."""
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.release()

    def release(self) -> None:
        """Stop executions, kill running Lambda invokes and job scripts, and remove the state folder the server
        made itself (idempotent)."""
        self._api.close()  # a request arriving now finds no API to load
        if self._stepfunctions is not None:
            self._stepfunctions.shutdown()
            from glue_flow_local.awslambda.runner import kill_running

            kill_running()
        if self._workflows is not None:
            self._workflows.shutdown()
        if self._schedules is not None:
            self._schedules.shutdown()
        if self._jobs is not None:
            self._jobs.shutdown()
        if self._owns_state_dir:
            shutil.rmtree(self.settings.state_dir, ignore_errors=True)


class _OnFirstUse:
    """A value built by ``build`` on the first :meth:`get`, once, whichever request thread asks first."""

    def __init__(self, build: Callable[[], WsgiApp]) -> None:
        self._build = build
        self._value: WsgiApp | None = None
        self._closed = False
        self._lock = threading.Lock()

    def get(self) -> WsgiApp:
        """The value, built now if this is the first use.

        :raises RuntimeError: the server is stopping (after :meth:`close`) and had not built it.
        """
        if self._value is None:
            with self._lock:
                if self._value is None:
                    if self._closed:
                        raise RuntimeError("the local Glue is stopping")
                    self._value = self._build()
        return self._value

    def close(self) -> None:
        """Build nothing from now on."""
        with self._lock:
            self._closed = True


def _first_use_handler(handler: type[WSGIRequestHandler]) -> type[WSGIRequestHandler]:
    """A request handler that becomes moto's (with the ``Server`` header fix) on its first request.

    moto's handler keeps S3 metadata headers that contain underscores, which werkzeug's drops; its module
    imports all of moto's core (most of the start-up time), so it is imported when the first connection
    is handled, and each connection's handler takes its class before reading the request.
    """
    lock = threading.Lock()
    loaded: list[type[WSGIRequestHandler]] = []

    def moto_handler() -> type[WSGIRequestHandler]:
        with lock:
            if not loaded:
                from moto.moto_server.werkzeug_app import MotoRequestHandler

                loaded.append(one_server_header(MotoRequestHandler))
        return loaded[0]

    class FirstUse(handler):  # type: ignore[valid-type,misc]  # a class made at run time
        def handle(self) -> None:
            # Both classes derive from werkzeug's handler and keep their state in the instance dict.
            self.__class__ = moto_handler()  # type: ignore[assignment]  # the same layout, see above
            self.handle()

    return FirstUse
