"""The AWS JSON protocol's checks for the Glue and CloudWatch Logs APIs, answered as AWS answers them.

Before a request reaches the handlers: an unknown ``X-Amz-Target`` operation is a 400
``UnknownOperationException``, a body that is not a JSON object a 400 ``SerializationException``, and a
pagination token the server never issued a 400 ``InvalidInputException`` (Glue) or
``InvalidParameterException`` (CloudWatch Logs). Whatever goes wrong behind it is a JSON error, never an
HTML page, so botocore raises a ``ClientError`` with the code.
"""

from __future__ import annotations

import io
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from glue_flow_local.protocol.errors import GlueApiError

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

#: X-Amz-Target prefix -> botocore service name.
SERVICES = {"AWSGlue": "glue", "Logs_20140328": "logs"}
#: Request fields that carry a pagination token, and response fields that issue one.
_TOKEN_REQUEST_FIELDS = ("NextToken", "nextToken")
_TOKEN_RESPONSE_FIELDS = ("NextToken", "nextToken", "nextForwardToken", "nextBackwardToken")
#: Error code for a token the server did not issue, per service.
_BAD_TOKEN_CODE = {"glue": "InvalidInputException", "logs": "InvalidParameterException"}
_INTERNAL_CODE = {"glue": "InternalServiceException", "logs": "ServiceUnavailableException"}
_JSON = "application/x-amz-json-1.1"
#: Operations AWS serves that no SDK models: EventBridge calls ``glue:NotifyEvent`` on a workflow.
_UNMODELED = {"glue": frozenset({"NotifyEvent"})}
log = logging.getLogger(__name__)


@cache
def operation_names(service: str) -> frozenset[str]:
    """The operations AWS defines for a service (from botocore's service model)."""
    import botocore.session

    modeled = botocore.session.get_session().get_service_model(service).operation_names
    return frozenset(modeled) | _UNMODELED.get(service, frozenset())


class IssuedTokens:
    """The pagination tokens the server has handed out, the most recent ``limit`` of them.

    AWS refuses a token it did not issue; moto ignores most unknown tokens and answers the first page.

    :param limit: how many tokens to remember (the oldest are forgotten first).
    """

    def __init__(self, limit: int = 10_000) -> None:
        self._tokens: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._limit = limit
        self._lock = threading.Lock()

    def issue(self, service: str, token: str) -> None:
        """Remember a token sent in an answer."""
        with self._lock:
            self._tokens[(service, token)] = None
            self._tokens.move_to_end((service, token))
            while len(self._tokens) > self._limit:
                self._tokens.popitem(last=False)

    def known(self, service: str, token: str) -> bool:
        """Whether the server issued this token (and still remembers it)."""
        with self._lock:
            return (service, token) in self._tokens


class JsonProtocol:
    """WSGI middleware for the ``X-Amz-Target`` (JSON) requests of the Glue and CloudWatch Logs APIs.

    :param inner: the application that serves them.
    """

    def __init__(self, inner: WsgiApp) -> None:
        self._inner = inner
        self.tokens = IssuedTokens()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        prefix, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        service = SERVICES.get(prefix)
        if service is None:
            return self._inner(environ, start_response)
        try:
            self._check(environ, service, operation)
            status, headers, body = self._call(environ, service, operation)
        except GlueApiError as err:
            return err.respond(start_response)
        self._remember_tokens(service, body)
        headers = [(n, v) for n, v in headers if n.lower() not in ("content-type", "content-length")]
        start_response(status, [*headers, ("Content-Type", _JSON), ("Content-Length", str(len(body)))])
        return [body]

    def _check(self, environ: dict[str, Any], service: str, operation: str) -> None:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if operation not in operation_names(service):
            raise GlueApiError("UnknownOperationException", f"Unknown operation {target}")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            request = json.loads(raw or b"{}")
        except ValueError as err:
            raise GlueApiError(
                "SerializationException", f"The request body of {target} is not JSON: {err}"
            ) from err
        if not isinstance(request, dict):
            raise GlueApiError("SerializationException", f"The request body of {target} is not a JSON object")
        for field in _TOKEN_REQUEST_FIELDS:
            token = request.get(field)
            if token not in (None, "") and not (isinstance(token, str) and self.tokens.known(service, token)):
                raise GlueApiError(
                    _BAD_TOKEN_CODE[service], f"Invalid {field}: {token!r} was not issued by {target}"
                )

    def _call(
        self, environ: dict[str, Any], service: str, operation: str
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            captured.update(status=status, headers=list(headers))

        try:
            body = b"".join(self._inner(environ, start_response))
        except NotImplementedError as err:
            raise GlueApiError(
                "NotImplemented",
                f"The local Glue does not emulate {operation} ({err}); run it against AWS.",
                501,
            ) from err
        except Exception as err:
            log.exception("%s failed", operation)
            raise GlueApiError(
                _INTERNAL_CODE[service], f"{operation} failed in the local Glue: {err!r}", 500
            ) from err
        status = captured["status"]
        if not status.startswith("2") and not _is_json_error(body):
            # moto answers some failures with an HTML page: give botocore the JSON shape instead.
            code = _INTERNAL_CODE[service] if status.startswith("5") else "InvalidInputException"
            raise GlueApiError(
                code, f"{operation} failed in the local Glue: {status}", int(status.split()[0])
            )
        if _error_code(body) == "InvalidToken":
            raise GlueApiError(_BAD_TOKEN_CODE[service], json.loads(body).get("message", "Invalid token"))
        return status, captured["headers"], body

    def _remember_tokens(self, service: str, body: bytes) -> None:
        if not any(field.encode() in body for field in _TOKEN_RESPONSE_FIELDS):
            return
        try:
            answer = json.loads(body)
        except ValueError:
            return
        for field in _TOKEN_RESPONSE_FIELDS:
            token = answer.get(field) if isinstance(answer, dict) else None
            if isinstance(token, str) and token:
                self.tokens.issue(service, token)


def _is_json_error(body: bytes) -> bool:
    return _error_code(body) is not None


def _error_code(body: bytes) -> str | None:
    if b"__type" not in body:
        return None
    try:
        answer = json.loads(body)
    except ValueError:
        return None
    code = answer.get("__type") if isinstance(answer, dict) else None
    return str(code).rsplit("#", 1)[-1] if code else None
