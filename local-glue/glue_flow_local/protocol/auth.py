"""Who may drive the local Glue: signatures checked against its credentials, browser origins refused.

The local Glue runs code (job scripts), so it is guarded like a local database server. Every request must
be signed with AWS Signature Version 4 (an ``Authorization`` header or a presigned URL), or Version 2 for
S3, by the access key the server was started with; a request from a browser page (an ``Origin`` header) is
refused unless that origin is allowed; S3 browser form uploads (POST Object) are refused, since no SDK
call needs them.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from glue_flow_local.protocol.signing import Refused, SignedRequest, refused
from glue_flow_local.protocol.sigv2 import is_sigv2, verify_sigv2
from glue_flow_local.protocol.sigv4 import verify_sigv4
from glue_flow_local.settings import Credentials

__all__ = ["FrontDoor", "Refused", "access_key_of", "region_of", "verify_signature"]

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_HEADER_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@dataclass(frozen=True)
class CredentialScope:
    """The ``Credential=`` part of a SigV4 signature: access key id, date, region and service."""

    access_key: str
    date: str
    region: str
    service: str


def credential_scope(environ: dict[str, Any]) -> CredentialScope | None:
    """The credential scope of a signed request (Authorization header or presigned query), or None.

    :param environ: the request's WSGI environ.
    """
    match = _HEADER_CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match:
        return CredentialScope(*match.groups())
    parts = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0].split("/")
    if len(parts) == 5 and parts[4] == "aws4_request":
        return CredentialScope(*parts[:4])
    return None


def access_key_of(environ: dict[str, Any]) -> str:
    """The access key id a request was signed with ("" when unsigned)."""
    scope = credential_scope(environ)
    return scope.access_key if scope else ""


def region_of(environ: dict[str, Any]) -> str:
    """The region a request was signed for (us-east-1 when unsigned, as moto assumes)."""
    scope = credential_scope(environ)
    return scope.region if scope else "us-east-1"


def verify_signature(environ: dict[str, Any], body: bytes, credentials: Credentials, now: datetime) -> None:
    """Check a request's signature (header or presigned URL) against the server's credentials.

    :param environ: the request's WSGI environ.
    :param body: the request body (hashed for services whose signature covers it).
    :param credentials: the only credentials the server accepts.
    :param now: the current time, for the request-time and expiry checks.
    :raises Refused: the AWS error for a missing, malformed, foreign, stale or wrong signature.
    """
    request = SignedRequest(environ, body)
    if is_sigv2(request):
        verify_sigv2(request, credentials, now)
    else:
        verify_sigv4(request, credentials, now)


class FrontDoor:
    """WSGI middleware: refuse foreign origins, form posts and requests not signed with the credentials.

    :param inner: the application behind the door.
    :param credentials: the credentials requests must be signed with.
    :param allowed_origins: browser origins (``scheme://host:port``) allowed to call; none by default.
    :param clock: the current time (a parameter for tests of expiry).
    """

    def __init__(
        self,
        inner: WsgiApp,
        credentials: Credentials,
        allowed_origins: Collection[str] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._inner = inner
        self._credentials = credentials
        self._origins = frozenset(o.rstrip("/") for o in allowed_origins)
        self._clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        origin = environ.get("HTTP_ORIGIN")
        try:
            if origin is not None and origin.rstrip("/") not in self._origins:
                raise refused(
                    "AccessForbidden",
                    "AccessDeniedException",
                    f"Requests from the browser origin {origin} are refused: start the local Glue "
                    "with --allow-origin to allow one.",
                )
            if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
                return _preflight(environ, origin, start_response)
            if _is_form_post(environ):
                raise refused(
                    "AccessDenied",
                    "AccessDeniedException",
                    "The local Glue does not accept browser form uploads (S3 POST Object): "
                    "use PutObject or a presigned PUT URL.",
                )
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                raise refused(
                    "BadRequest", "SerializationException", "Content-Length is not a number", 400
                ) from None
            body = environ["wsgi.input"].read(length) if length > 0 else b""
            environ["wsgi.input"] = io.BytesIO(body)
            verify_signature(environ, body, self._credentials, self._clock())
        except Refused as refusal:
            return refusal.respond(environ, start_response)

        def respond(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            # moto allows every origin (Access-Control-Allow-Origin: *): only an allowed origin gets CORS.
            kept = [(n, v) for n, v in headers if not n.lower().startswith("access-control-")]
            if origin is not None:
                kept += [
                    ("Access-Control-Allow-Origin", origin),
                    ("Access-Control-Expose-Headers", "ETag"),
                    ("Vary", "Origin"),
                ]
            return start_response(status, kept, exc_info)

        return self._inner(environ, respond)


def _is_form_post(environ: dict[str, Any]) -> bool:
    """An HTML form's POST: a form body with no signature in the header or the URL."""
    content_type = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    signed = "HTTP_AUTHORIZATION" in environ or "X-Amz-Signature" in environ.get("QUERY_STRING", "")
    return environ.get("REQUEST_METHOD") == "POST" and content_type in _FORM_TYPES and not signed


def _preflight(environ: dict[str, Any], origin: str, start_response: Callable[..., Any]) -> list[bytes]:
    headers = [
        ("Access-Control-Allow-Origin", origin),
        ("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD"),
        ("Access-Control-Allow-Headers", environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "")),
        ("Access-Control-Expose-Headers", "ETag"),
        ("Vary", "Origin"),
        ("Content-Length", "0"),
    ]
    start_response("200 OK", headers)
    return [b""]
