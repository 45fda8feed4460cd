"""What both signature versions the local Glue checks share: the signed path, comparison and AWS's refusals."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from glue_flow_local.protocol.errors import GlueApiError, S3Error

#: How far a signed request's time may be from the server's (AWS's limit).
MAX_SKEW = timedelta(minutes=15)


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers: the WSGI environ, the body and the query, as sent and decoded.

    :param environ: the request's WSGI environ.
    :param body: the request body (hashed for services whose signature covers it).
    """

    environ: dict[str, Any]
    body: bytes

    @property
    def query(self) -> list[tuple[str, str]]:
        """The query's (name, value) pairs as sent, still percent-encoded."""
        pairs = self.environ.get("QUERY_STRING", "").split("&")
        return [(name, value) for name, _, value in (pair.partition("=") for pair in pairs if pair)]

    @property
    def params(self) -> dict[str, str]:
        """The query parameters, decoded."""
        return {unquote(k): unquote(v) for k, v in self.query}


class Refused(Exception):
    """A request the front door refuses: the S3 and the JSON-protocol forms of the same error."""

    def __init__(self, s3: S3Error, json: GlueApiError) -> None:
        super().__init__(s3.message)
        self.s3 = s3
        self.json = json

    def respond(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """Answer in the protocol of the request (JSON when it names an ``X-Amz-Target``)."""
        error = self.json if environ.get("HTTP_X_AMZ_TARGET") else self.s3
        return error.respond(start_response)


def refused(s3_code: str, json_code: str, message: str, status: int = 403) -> Refused:
    """The refusal with S3's error code ``s3_code`` and the JSON services' ``json_code``."""
    return Refused(S3Error(s3_code, message, status), GlueApiError(json_code, message, status))


def same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII text (``compare_digest`` refuses it as str)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def unknown_key(access_key: str) -> Refused:
    """A request signed by an access key the server does not know."""
    return refused(
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        f"The AWS Access Key Id you provided ({access_key}) does not exist in the local Glue's records: "
        "use the credentials it printed at start.",
    )


def signature_mismatch() -> Refused:
    """A signature that is not the one the server computes with its secret."""
    return refused(
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.",
    )


def too_skewed() -> Refused:
    """A header signature made more than :data:`MAX_SKEW` away from the server's time."""
    return refused(
        "RequestTimeTooSkewed",
        "InvalidSignatureException",
        "The difference between the request time and the current time is too large.",
    )


def expired() -> Refused:
    """A presigned URL past its expiry."""
    return refused("AccessDenied", "ExpiredTokenException", "Request has expired")


def raw_path(environ: dict[str, Any]) -> str:
    """The request path as sent, still percent-encoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    path = raw.split("?", 1)[0]
    if "://" in path:
        path = urlsplit(path).path
    return path or "/"
