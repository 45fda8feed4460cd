"""S3's Signature Version 2 (header or presigned URL), which boto3 still uses for S3 presigned URLs.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/RESTAuthentication.html
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

from glue_flow_local.protocol.signing import (
    MAX_SKEW,
    SignedRequest,
    expired,
    raw_path,
    same,
    signature_mismatch,
    too_skewed,
    unknown_key,
)
from glue_flow_local.settings import Credentials


def is_sigv2(request: SignedRequest) -> bool:
    """Whether a request is signed with Version 2: an ``AWS`` header, or ``AWSAccessKeyId`` in the URL."""
    authorization = request.environ.get("HTTP_AUTHORIZATION", "")
    return authorization.startswith("AWS ") or ("AWSAccessKeyId" in request.params and not authorization)


def verify_sigv2(request: SignedRequest, credentials: Credentials, now: datetime) -> None:
    """Check a Version 2 signature against the server's credentials.

    :param request: the request.
    :param credentials: the only credentials the server accepts.
    :param now: the current time, for the request-time and expiry checks.
    :raises Refused: the AWS error for a stale, expired, foreign or wrong signature.
    """
    from botocore.auth import HmacV1Auth

    environ, params = request.environ, request.params
    authorization = environ.get("HTTP_AUTHORIZATION", "")
    if authorization:
        access_key, _, signature = authorization[4:].strip().rpartition(":")
        # The Date line is empty when x-amz-date stands in for Date.
        time_line = "" if "HTTP_X_AMZ_DATE" in environ else environ.get("HTTP_DATE", "")
        sent = _http_date(environ.get("HTTP_X_AMZ_DATE") or time_line)
        if sent is None or abs(now - sent) > MAX_SKEW:
            raise too_skewed()
    else:
        access_key, signature, time_line = (
            params["AWSAccessKeyId"],
            params.get("Signature", ""),
            params.get("Expires", ""),
        )
        if not time_line.isdigit() or now.timestamp() > int(time_line):
            raise expired()
    if not same(access_key, credentials.access_key_id):
        raise unknown_key(access_key)
    amz_headers = sorted(
        (key[5:].lower().replace("_", "-"), " ".join(str(value).split()))
        for key, value in environ.items()
        if key.startswith("HTTP_X_AMZ_")
    )
    resource = raw_path(environ)
    sub = sorted((unquote(k), unquote(v)) for k, v in request.query if unquote(k) in HmacV1Auth.QSAOfInterest)
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
    if not same(base64.b64encode(digest).decode(), signature):
        raise signature_mismatch()


def _http_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value).astimezone(UTC)
    except (TypeError, ValueError):
        return None
