"""AWS Signature Version 4 (an ``Authorization`` header or a presigned URL), checked against the credentials.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from glue_flow_local.protocol.signing import (
    MAX_SKEW,
    SignedRequest,
    expired,
    raw_path,
    refused,
    same,
    signature_mismatch,
    too_skewed,
    unknown_key,
)
from glue_flow_local.settings import Credentials

ALGORITHM = "AWS4-HMAC-SHA256"
_AUTH_FIELD_RE = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]+)")
_UNSIGNED_PAYLOADS = ("UNSIGNED-PAYLOAD", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
#: Longest validity of a presigned URL (7 days, as in AWS).
MAX_PRESIGNED_SECONDS = 7 * 24 * 3600


def verify_sigv4(request: SignedRequest, credentials: Credentials, now: datetime) -> None:
    """Check a Version 4 signature (header or presigned URL) against the server's credentials.

    :param request: the request.
    :param credentials: the only credentials the server accepts.
    :param now: the current time, for the request-time and expiry checks.
    :raises Refused: the AWS error for a missing, malformed, foreign, stale or wrong signature.
    """
    environ, body, params, query = request.environ, request.body, request.params, request.query
    fields, stamp, presigned = _signature_fields(environ, params)
    if presigned:
        query = [(k, v) for k, v in query if unquote(k) != "X-Amz-Signature"]
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or not fields.get("SignedHeaders") or not fields.get("Signature"):
        raise refused(
            "AuthorizationHeaderMalformed",
            "IncompleteSignatureException",
            "The authorization is malformed.",
            400,
        )
    access_key, date, region, service, _ = scope
    if not same(access_key, credentials.access_key_id):
        raise unknown_key(access_key)
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
    to_sign = "\n".join([ALGORITHM, stamp, f"{date}/{region}/{service}/aws4_request", digest])
    key = ("AWS4" + credentials.secret_access_key).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    if not same(expected, fields["Signature"]):
        raise signature_mismatch()


def _signature_fields(environ: dict[str, Any], params: dict[str, str]) -> tuple[dict[str, str], str, bool]:
    """(Credential/SignedHeaders/Signature, X-Amz-Date, presigned?) from the header or the query."""
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization.startswith(ALGORITHM + " "):
        return dict(_AUTH_FIELD_RE.findall(authorization)), environ.get("HTTP_X_AMZ_DATE", ""), False
    if authorization:
        raise refused(
            "InvalidRequest",
            "IncompleteSignatureException",
            "The local Glue accepts AWS Signature Version 4, and Version 2 for S3, only.",
            400,
        )
    if "X-Amz-Signature" in params:
        if params.get("X-Amz-Algorithm") != ALGORITHM:
            raise refused(
                "AuthorizationQueryParametersError",
                "IncompleteSignatureException",
                f'X-Amz-Algorithm only supports "{ALGORITHM}"',
                400,
            )
        names = ("Credential", "SignedHeaders", "Signature")
        return {name: params.get(f"X-Amz-{name}", "") for name in names}, params.get("X-Amz-Date", ""), True
    raise refused(
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
        raise refused(
            "AccessDenied",
            "IncompleteSignatureException",
            "X-Amz-Date is missing, malformed or not the date of the credential scope.",
            400,
        )
    if expires is None:
        if abs(now - signed_at) > MAX_SKEW:
            raise too_skewed()
        return
    seconds = int(expires) if expires.isdigit() else 0
    if not 0 < seconds <= MAX_PRESIGNED_SECONDS or now > signed_at + timedelta(seconds=seconds):
        raise expired()


def _payload_hash(environ: dict[str, Any], body: bytes, service: str, *, presigned: bool) -> str:
    declared = environ.get("HTTP_X_AMZ_CONTENT_SHA256")
    if declared is None:
        return "UNSIGNED-PAYLOAD" if presigned and service == "s3" else hashlib.sha256(body).hexdigest()
    if declared.startswith("STREAMING-AWS4-HMAC-SHA256"):
        raise refused(
            "NotImplemented",
            "IncompleteSignatureException",
            "The local Glue does not accept aws-chunked uploads with chunk signatures "
            "(STREAMING-AWS4-HMAC-SHA256-PAYLOAD): send the body in one piece.",
            501,
        )
    if declared not in _UNSIGNED_PAYLOADS and declared != hashlib.sha256(body).hexdigest():
        raise refused(
            "XAmzContentSHA256Mismatch",
            "InvalidSignatureException",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            400,
        )
    return declared


def _canonical_path(environ: dict[str, Any], service: str) -> str:
    # S3 signs the path as sent; the other services URI-encode it once more.
    path = raw_path(environ)
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
