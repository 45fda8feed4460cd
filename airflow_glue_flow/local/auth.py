"""Who may drive the local Glue: SigV4 signatures checked against its credentials, browser origins refused.

The local Glue runs code (job scripts), so it is guarded like a local database server. Every request must
be signed with AWS Signature Version 4 (an ``Authorization`` header or a presigned URL) by the access key
the server was started with; a request from a browser page (an ``Origin`` header) is refused unless that
origin is allowed; S3 browser form uploads (POST Object) are refused, since no SDK call needs them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from airflow_glue_flow.local.errors import GlueApiError, S3Error
from airflow_glue_flow.local.settings import Credentials

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_ALGORITHM = "AWS4-HMAC-SHA256"
_HEADER_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_AUTH_FIELD_RE = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
_UNSIGNED_PAYLOADS = ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
#: How far a signed request's time may be from the server's (AWS's limit).
MAX_SKEW = timedelta(minutes=15)
#: Longest validity of a presigned URL (7 days, as in AWS).
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600
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


def _refused(s3_code: str, json_code: str, message: str, status: int = 403) -> Refused:
    return Refused(S3Error(s3_code, message, status), GlueApiError(json_code, message, status))


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also takes non-ASCII text (``compare_digest`` refuses it as str)."""
    return hmac.compare_digest(given.encode(), expected.encode())


def _unknown_key(access_key: str) -> Refused:
    return _refused(
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        f"The AWS Access Key Id you provided ({access_key}) does not exist in the local Glue's records: "
        "use the credentials it printed at start.",
    )


def _signature_mismatch() -> Refused:
    return _refused(
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method.",
    )


def verify_signature(environ: dict[str, Any], body: bytes, credentials: Credentials, now: datetime) -> None:
    """Check a request's SigV4 signature (header or presigned URL) against the server's credentials.

    :param environ: the request's WSGI environ.
    :param body: the request body (hashed for services whose signature covers it).
    :param credentials: the only credentials the server accepts.
    :param now: the current time, for the request-time and expiry checks.
    :raises Refused: the AWS error for a missing, malformed, foreign, stale or wrong signature.
    """
    query = [pair.partition("=")[::2] for pair in environ.get("QUERY_STRING", "").split("&") if pair]
    params = {unquote(k): unquote(v) for k, v in query}
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization.startswith("AWS ") or ("AWSAccessKeyId" in params and not authorization):
        return _verify_v2(environ, params, query, credentials, now)
    fields, stamp, presigned = _signature_fields(environ, params)
    if presigned:
        query = [(k, v) for k, v in query if unquote(k) != "X-Amz-Signature"]
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or not fields.get("SignedHeaders") or not fields.get("Signature"):
        raise _refused(
            "AuthorizationHeaderMalformed",
            "IncompleteSignatureException",
            "The authorization is malformed.",
            400,
        )
    access_key, date, region, service, _ = scope
    if not _same(access_key, credentials.access_key_id):
        raise _unknown_key(access_key)
    _check_time(stamp, date, params.get("X-Amz-Expires") if presigned else None, now)
    canonical = "\n".join(
        [
            environ.get("REQUEST_METHOD", "GET").upper(),
            _canonical_path(environ, service),
            _canonical_query(query),
            _canonical_headers(environ, fields["SignedHeaders"]),
            fields["SignedHeaders"],
            _payload_hash(environ, body, service, presigned=presigned),
        ]
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    to_sign = "\n".join([_ALGORITHM, stamp, f"{date}/{region}/{service}/aws4_request", digest])
    key = ("AWS4" + credentials.secret_access_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not _same(expected, fields["Signature"]):
        raise _signature_mismatch()


def _verify_v2(
    environ: dict[str, Any],
    params: dict[str, str],
    query: list[tuple[str, str]],
    credentials: Credentials,
    now: datetime,
) -> None:
    """S3's Signature Version 2 (header or presigned URL), which boto3 still uses for S3 presigned URLs.

    https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
    """
    from botocore.auth import HmacV1Auth

    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization:
        access_key, _, signature = authorization[4:].strip().rpartition(":")
        # The Date line is empty when x-amz-date stands in for Date.
        time_line = "" if "HTTP_X_AMZ_DATE" in environ else environ.get("HTTP_DATE", "")
        sent = _http_date(environ.get("HTTP_X_AMZ_DATE") or time_line)
        if sent is None or abs(now - sent) > MAX_SKEW:
            raise _refused(
                "RequestTimeTooSkewed",
                "InvalidSignatureException",
                "The difference between the request time and the current time is too large.",
            )
    else:
        access_key, signature, time_line = (
            params["AWSAccessKeyId"],
            params.get("Signature", ""),
            params.get("Expires", ""),
        )
        if not time_line.isdigit() or now.timestamp() > int(time_line):
            raise _refused("AccessDenied", "ExpiredTokenException", "Request has expired")
    if not _same(access_key, credentials.access_key_id):
        raise _unknown_key(access_key)
    amz_headers = sorted(
        (key[5:].lower().replace("_", "-"), " ".join(str(value).split()))
        for key, value in environ.items()
        if key.startswith("HTTP_X_AMZ_")
    )
    resource = _raw_path(environ)
    sub = sorted((unquote(k), unquote(v)) for k, v in query if unquote(k) in HmacV1Auth.QSAOfInterest)
    if sub:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in sub)
    to_sign = "\n".join(
        [
            environ.get("REQUEST_METHOD", "GET").upper(),
            environ.get("HTTP_CONTENT_MD5", ""),
            environ.get("CONTENT_TYPE", ""),
            time_line,
            *(f"{name}:{value}" for name, value in amz_headers),
            resource,
        ]
    )
    digest = hmac.new(credentials.secret_access_key.encode(), to_sign.encode(), hashlib.sha1).digest()
    if not _same(base64.b64encode(digest).decode(), signature):
        raise _signature_mismatch()


def _http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def _signature_fields(environ: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, str], str, bool]:
    """(Credential/SignedHeaders/Signature, X-Amz-Date, presigned?) from the header or the query."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization.startswith(_ALGORITHM + " "):
        return dict(_AUTH_FIELD_RE.findall(authorization)), environ.get("HTTP_X_AMZ_DATE", ""), False
    if authorization:
        raise _refused(
            "InvalidRequest",
            "IncompleteSignatureException",
            "The local Glue accepts AWS Signature Version 4, and Version 2 for S3, only.",
            400,
        )
    if "X-Amz-Signature" in params:
        if params.get("X-Amz-Algorithm") != _ALGORITHM:
            raise _refused(
                "AuthorizationQueryParametersError",
                "IncompleteSignatureException",
                f'X-Amz-Algorithm only supports "{_ALGORITHM}"',
                400,
            )
        names = ("Credential", "SignedHeaders", "Signature")
        return {name: params.get(f"X-Amz-{name}", "") for name in names}, params.get("X-Amz-Date", ""), True
    raise _refused(
        "AccessDenied",
        "MissingAuthenticationTokenException",
        "Missing Authentication Token: the local Glue accepts signed requests only.",
    )


def _check_time(stamp: str, date: str, expires: str | None, now: datetime) -> None:
    """A header signature within 15 minutes of now; a presigned URL not past its X-Amz-Expires."""
    try:
        signed_at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        signed_at = None
    if signed_at is None or stamp[:8] != date:
        raise _refused(
            "AccessDenied",
            "IncompleteSignatureException",
            "X-Amz-Date is missing, malformed or not the date of the credential scope.",
            400,
        )
    if expires is None:
        if abs(now - signed_at) > MAX_SKEW:
            raise _refused(
                "RequestTimeTooSkewed",
                "InvalidSignatureException",
                "The difference between the request time and the current time is too large.",
            )
        return
    seconds = int(expires) if expires.isdigit() else 0
    if not 0 < seconds <= MAX_PRESIGNED_SECONDS or now > signed_at + timedelta(seconds=seconds):
        raise _refused("AccessDenied", "ExpiredTokenException", "Request has expired")


def _payload_hash(environ: dict[str, Any], body: bytes, service: str, *, presigned: bool) -> str:
    declared = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    if declared is None:
        return "UNSIGNED-PAYLOAD" if presigned and service == "s3" else hashlib.sha256(body).hexdigest()
    if declared.startswith("STREAMING-AWS4-HMAC-SHA256"):
        raise _refused(
            "NotImplemented",
            "IncompleteSignatureException",
            "The local Glue does not accept aws-chunked uploads with chunk signatures "
            "(STREAMING-AWS4-HMAC-SHA256-PAYLOAD): send the body in one piece.",
            501,
        )
    if declared not in _UNSIGNED_PAYLOADS and declared != hashlib.sha256(body).hexdigest():
        raise _refused(
            "XAmzContentSHA256Mismatch",
            "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
        )
    return declared


def _raw_path(environ: dict[str, Any]) -> str:
    """The request path as sent, still percent-encoded."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or quote(environ.get("PATH_INFO", "/"))
    path = raw.split("?", 1)[0]
    if "://" in path:
        path = urlsplit(path).path
    return path or "/"


def _canonical_path(environ: dict[str, Any], service: str) -> str:
    # S3 signs the path as sent; the other services URI-encode it once more.
    path = _raw_path(environ)
    return path if service == "s3" else quote(path, safe="/~")


def _canonical_query(pairs: list[tuple[str, str]]) -> str:
    encoded = sorted((quote(unquote(k), safe="-_.~"), quote(unquote(v), safe="-_.~")) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def _canonical_headers(environ: dict[str, Any], signed: str) -> str:
    lines = []
    for name in signed.split(";"):
        key = {"content-type": "CONTENT_TYPE", "content-length": "CONTENT_LENGTH"}.get(
            name, "HTTP_" + name.upper().replace("-", "_")
        )
        lines.append(f"{name}:{' '.join(str(environ.get(key, '')).split())}")
    return "\n".join(lines) + "\n"


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
                raise _refused(
                    "AccessForbidden",
                    "AccessDeniedException",
                    f"Requests from the browser origin {origin} are refused: start the local Glue "
                    "with --allow-origin to allow one.",
                )
            if origin is not None and environ.get("REQUEST_METHOD") == "OPTIONS":
                return _preflight(environ, origin, start_response)
            if _is_form_post(environ):
                raise _refused(
                    "AccessDenied",
                    "AccessDeniedException",
                    "The local Glue does not accept browser form uploads (S3 POST Object): "
                    "use PutObject or a presigned PUT URL.",
                )
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                raise _refused(
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
