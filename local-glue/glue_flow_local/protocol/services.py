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
#: EventBridge operations the local Glue runs: the rules that carry a bucket's S3 events to a Glue
#: workflow's EVENT trigger (https://docs.aws.amazon.com/glue/latest/dg/starting-workflow-eventbridge.html).
#: A scheduled rule, a target other than a Glue workflow, PutEvents and the rest are refused.
EVENTBRIDGE_RULES = frozenset(
    {
        "PutRule",
        "PutTargets",
        "DescribeRule",
        "ListRules",
        "ListTargetsByRule",
        "ListRuleNamesByTarget",
        "RemoveTargets",
        "DeleteRule",
        "EnableRule",
        "DisableRule",
    }
)


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
        if scope.service == "events":
            refusal = eventbridge_refusal(operation, _json_body(environ))
            if refusal is None:
                return self._inner(environ, start_response)
            message = f"The local Glue does not run events {operation} here: {refusal}."
        else:
            message = (
                f"The local Glue does not run the {scope.service} service, so {scope.service} {operation} "
                f"was not performed (it runs {', '.join(sorted(SERVED))}, and EventBridge rules that start "
                "Glue workflows)."
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


def eventbridge_refusal(operation: str, request: dict[str, Any]) -> str | None:
    """Why an EventBridge request is refused, or None when the local Glue runs it.

    :param operation: the EventBridge operation (``PutRule``, ...).
    :param request: its JSON body.
    """
    if operation not in EVENTBRIDGE_RULES:
        return (
            "it runs only the rules that carry S3 events to Glue workflows ("
            + ", ".join(sorted(EVENTBRIDGE_RULES))
            + ")"
        )
    if operation == "PutRule" and request.get("ScheduleExpression"):
        return f"rule {request.get('Name', '')!r} has a ScheduleExpression, and scheduled rules do not fire"
    if operation == "PutTargets":
        others = [
            t.get("Arn", "") for t in request.get("Targets", []) if ":workflow/" not in t.get("Arn", "")
        ]
        if others:
            return f"rule {request.get('Rule', '')!r} targets {', '.join(others)}; only Glue workflows are delivered to"
    return None


def _json_body(environ: dict[str, Any]) -> dict[str, Any]:
    import json

    stream: Any = environ.get("wsgi.input")
    # The front door has read the body into a BytesIO (auth.py), so reading it here leaves it whole.
    raw = stream.getvalue() if hasattr(stream, "getvalue") else b""
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
