"""CloudWatch Logs in the local Glue: writing crawl and job-run lines, and reading them in 1 MB pages."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any


class LogStreamWriter:
    """Append lines to one CloudWatch Logs stream, creating its group and stream on first use.

    :param logs: a boto3 CloudWatch Logs client pointed at the local Glue.
    :param group: the log group name.
    :param stream: the log stream name.
    """

    def __init__(self, logs: Any, group: str, stream: str) -> None:
        self._logs = logs
        self.group = group
        self.stream = stream
        self._lock = threading.Lock()
        self._ready = False

    def open(self) -> None:
        """Create the log group and stream now (Glue creates a run's streams when it starts)."""
        with self._lock:
            if not self._ready:
                self._create()

    def write(self, message: str) -> None:
        """Append one log event (timestamped now).

        :param message: the event text.
        """
        with self._lock:
            if not self._ready:
                self._create()
            self._logs.put_log_events(
                logGroupName=self.group,
                logStreamName=self.stream,
                logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
            )

    def _create(self) -> None:
        for call, kwargs in (
            (self._logs.create_log_group, {"logGroupName": self.group}),
            (self._logs.create_log_stream, {"logGroupName": self.group, "logStreamName": self.stream}),
        ):
            try:
                call(**kwargs)
            except self._logs.exceptions.ResourceAlreadyExistsException:
                pass
        self._ready = True


#: CloudWatch Logs returns at most this many bytes of events per GetLogEvents / FilterLogEvents page.
MAX_PAGE_BYTES = 1_048_576
#: Bytes CloudWatch Logs counts for each event on top of its UTF-8 message.
EVENT_OVERHEAD_BYTES = 26
_PAGED_ACTIONS = frozenset({"Logs_20140328.GetLogEvents", "Logs_20140328.FilterLogEvents"})


class LogPages:
    """WSGI middleware that caps GetLogEvents and FilterLogEvents pages at 1 MB, as CloudWatch Logs does.

    moto pages by ``limit`` (default 10,000 events) but not by size. A page over 1 MB is cut after the
    last event that fits, and its token is moved so that the next call goes on from there: GetLogEvents'
    ``nextForwardToken`` (reading forward) or ``nextBackwardToken`` (reading backward) and
    FilterLogEvents' ``nextToken``, in moto's own token formats, so moto answers the next page.

    :param inner: moto's WSGI application.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target not in _PAGED_ACTIONS:
            return self._inner(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        inner_env = dict(environ, **{"wsgi.input": io.BytesIO(raw), "CONTENT_LENGTH": str(len(raw))})
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured["status"], captured["headers"] = status, headers

        body = b"".join(self._inner(inner_env, capture))
        if captured["status"].startswith("200"):
            answer = json.loads(body or b"{}")
            request = json.loads(raw or b"{}")
            if target.endswith("GetLogEvents"):
                cap_get_log_events(request, answer)
            else:
                cap_filter_log_events(request, answer)
            body = json.dumps(answer).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
        start_response(captured["status"], headers)
        return [body]


def cap_get_log_events(request: dict[str, Any], answer: dict[str, Any]) -> None:
    """Cut a GetLogEvents answer to 1 MB and move its token (moto's ``f/<index>`` / ``b/<index>``).

    :param request: the request body.
    :param answer: moto's answer, changed in place.
    """
    events = answer.get("events") or []
    keep = _fitting(events)
    if keep == len(events):
        return
    token = request.get("nextToken") or ""
    forward = token.startswith("f/") or (not token and bool(request.get("startFromHead")))
    if forward:
        first = int(str(answer["nextBackwardToken"])[2:])
        answer["events"] = events[:keep]
        answer["nextForwardToken"] = f"f/{first + keep - 1:056d}"
    else:
        # Reading backward, the newest events of the page are the ones returned.
        last = int(str(answer["nextForwardToken"])[2:])
        kept = _fitting(events[::-1])
        answer["events"] = events[len(events) - kept :]
        answer["nextBackwardToken"] = f"b/{last - kept + 1:056d}"


def cap_filter_log_events(request: dict[str, Any], answer: dict[str, Any]) -> None:
    """Cut a FilterLogEvents answer to 1 MB and point ``nextToken`` after its last event.

    :param request: the request body.
    :param answer: moto's answer, changed in place.
    """
    events = answer.get("events") or []
    keep = _fitting(events)
    if keep == len(events) or not request.get("logGroupName"):
        return
    answer["events"] = events[:keep]
    last = answer["events"][-1]
    answer["nextToken"] = f"{request['logGroupName']}@{last['logStreamName']}@{last['eventId']}"


def _fitting(events: list[dict[str, Any]]) -> int:
    """How many of the events, from the first, fit in one page (at least one)."""
    total = 0
    for index, event in enumerate(events):
        total += len(str(event.get("message", "")).encode()) + EVENT_OVERHEAD_BYTES
        if total > MAX_PAGE_BYTES:
            return max(index, 1)
    return len(events)
