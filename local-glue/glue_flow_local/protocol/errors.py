"""Errors the local Glue answers with, in the shapes botocore parses into ``ClientError``:
JSON with ``__type`` for the Glue and CloudWatch Logs APIs, an XML ``<Error>`` document for S3.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape


class GlueApiError(Exception):
    """A Glue error response: ``__type`` code, message and HTTP status, as AWS sends it.

    :param code: the error code, e.g. ``CrawlerRunningException``.
    :param message: the error message.
    :param status: the HTTP status.
    """

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    def respond(self, start_response: Callable[..., Any]) -> list[bytes]:
        """Send this error as AWS's JSON protocols do."""
        body = json.dumps({"__type": self.code, "message": self.message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", self.code)]
        return _send(start_response, self.status, headers, body)


class S3Error(Exception):
    """An S3 error response: code, message, HTTP status and extra fields (``Condition``, ``Key``...).

    :param code: the error code, e.g. ``PreconditionFailed``.
    :param message: the error message.
    :param status: the HTTP status.
    """

    def __init__(self, code: str, message: str, status: int, **extra: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def body(self) -> bytes:
        """The XML error document S3 sends."""
        fields = {"Code": self.code, "Message": self.message, **self.extra, "RequestId": uuid.uuid4().hex}
        inner = "".join(f"<{name}>{escape(value)}</{name}>" for name, value in fields.items())
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'.encode()

    def respond(self, start_response: Callable[..., Any]) -> list[bytes]:
        """Send this error as S3 does."""
        return _send(start_response, self.status, [("Content-Type", "application/xml")], self.body())


def _send(
    start_response: Callable[..., Any], status: int, headers: list[tuple[str, str]], body: bytes
) -> list[bytes]:
    start_response(f"{status} {HTTPStatus(status).phrase}", [*headers, ("Content-Length", str(len(body)))])
    return [body]
