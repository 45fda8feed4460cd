"""Glue API errors the local Glue answers with, in the shape botocore parses into ``ClientError``."""

from __future__ import annotations


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
