"""The AWS services the local Glue serves; a request for any other is refused naming service and operation.

moto would answer many more services with stored-and-ignored successes (an SNS topic that never
delivers, an EventBridge rule that never fires): the local Glue refuses them instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from glue_flow_local.protocol.auth import credential_scope

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: Signing names of the services the local Glue runs (iam and sts: the roles Lambdas name, and whoami).
SERVED = frozenset({"s3", "glue", "logs", "sqs", "states", "lambda", "iam", "sts"})


def operation_of(environ: dict[str, Any]) -> str:
    """The operation a request names: its X-Amz-Target, Action parameter, or method and path."""
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rpartition(".")[2]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if not action and environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = environ["wsgi.input"].getvalue() if hasattr(environ["wsgi.input"], "getvalue") else b""
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    if action:
        return action[0]
    return f"{environ.get('REQUEST_METHOD', 'GET')} {environ.get('PATH_INFO', '/')}"


class ServiceGate:
    """WSGI middleware: refuse requests signed for a service the local Glue does not run.

    :param inner: the application serving :data:`SERVED`.
    """

    def __init__(self, inner: WsgiApp) -> None:
        self._inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        scope = credential_scope(environ)
        if scope is None or scope.service in SERVED:
            return self._inner(environ, start_response)
        operation = operation_of(environ)
        message = (
            f"The local Glue does not run the {scope.service} service, so {scope.service} {operation} was "
            f"not performed (it runs {', '.join(sorted(SERVED))})."
        )
        code = "UnsupportedOperation"
        if environ.get("HTTP_X_AMZ_TARGET"):
            import json

            body = json.dumps({"__type": code, "message": message}).encode()
            headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
        else:
            body = (
                f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{escape(message)}</Message>"
                "</Error><RequestId>local</RequestId></ErrorResponse>"
            ).encode()
            headers = [("Content-Type", "text/xml"), ("x-amzn-ErrorType", code)]
        start_response("400 Bad Request", [*headers, ("Content-Length", str(len(body)))])
        return [body]
