"""SigV4 verification in process: requests signed by botocore are accepted, anything else refused.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from glue_flow_local.protocol.auth import FrontDoor, Refused, verify_signature
from glue_flow_local.settings import Credentials

SERVER = Credentials()


def _environ(request: AWSRequest, body: bytes) -> dict[str, Any]:
    """The WSGI environ werkzeug builds for a prepared request."""
    url = urlsplit(request.url)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "RAW_URI": url.path + (f"?{url.query}" if url.query else ""),
        "PATH_INFO": url.path,
        "QUERY_STRING": url.query,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": url.netloc,  # the HTTP client adds it; botocore signs it
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ


def _signed(
    service: str,
    url: str,
    body: bytes = b"",
    secret: str = "testing",
    key: str = "testing",
    method: str = "POST",
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    request = AWSRequest(method, url, data=body, headers=headers or {})
    signer = S3SigV4Auth if service == "s3" else SigV4Auth
    signer(BotoCredentials(key, secret), service, "us-east-1").add_auth(request)
    return _environ(request, body)


def _refusal(environ: dict[str, Any], now: datetime | None = None) -> str:
    with pytest.raises(Refused) as excinfo:
        verify_signature(environ, environ["wsgi.input"].getvalue(), SERVER, now or datetime.now(UTC))
    return excinfo.value.s3.code


def test_botocore_signed_json_and_s3_requests_pass() -> None:
    body = b'{"Name": "db"}'
    glue = _signed("glue", "http://127.0.0.1:4566/", body, headers={"X-Amz-Target": "AWSGlue.GetDatabase"})
    verify_signature(glue, body, SERVER, datetime.now(UTC))
    s3 = _signed("s3", "http://127.0.0.1:4566/bucket/dir%20one/a%2Bb.csv?tagging", b"x", method="PUT")
    verify_signature(s3, b"x", SERVER, datetime.now(UTC))


def test_a_changed_body_path_or_header_breaks_the_signature() -> None:
    body = b'{"Name": "db"}'
    environ = _signed("glue", "http://127.0.0.1:4566/", body, headers={"X-Amz-Target": "AWSGlue.GetDatabase"})
    tampered = {**environ, "wsgi.input": io.BytesIO(b'{"Name": "other"}')}
    assert _refusal(tampered) == "SignatureDoesNotMatch"
    environ["HTTP_X_AMZ_TARGET"] = "AWSGlue.DeleteDatabase"
    assert _refusal(environ) == "SignatureDoesNotMatch"
    s3 = _signed("s3", "http://127.0.0.1:4566/bucket/a.csv", b"x", method="PUT")
    s3["RAW_URI"] = "/bucket/b.csv"
    assert _refusal(s3) == "SignatureDoesNotMatch"
    s3 = _signed("s3", "http://127.0.0.1:4566/bucket/a.csv", b"x", method="PUT")
    s3["wsgi.input"] = io.BytesIO(b"y")
    assert _refusal(s3) == "XAmzContentSHA256Mismatch"


def test_wrong_secret_foreign_key_stale_time_and_no_signature_are_refused() -> None:
    url = "http://127.0.0.1:4566/"
    assert _refusal(_signed("glue", url, secret="nope")) == "SignatureDoesNotMatch"
    assert _refusal(_signed("glue", url, key="AKIDOTHER")) == "InvalidAccessKeyId"
    assert (
        _refusal(_signed("glue", url), now=datetime.now(UTC) + timedelta(minutes=20))
        == "RequestTimeTooSkewed"
    )
    unsigned = _signed("glue", url)
    del unsigned["HTTP_AUTHORIZATION"]
    assert _refusal(unsigned) == "AccessDenied"


def test_non_ascii_credentials_are_refused_not_crashed() -> None:
    environ = _signed("glue", "http://127.0.0.1:4566/")
    environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"].replace(
        "Credential=testing", "Credential=tésting"
    )
    assert _refusal(environ) == "InvalidAccessKeyId"
    environ = _signed("glue", "http://127.0.0.1:4566/")
    environ["HTTP_AUTHORIZATION"] = environ["HTTP_AUTHORIZATION"][:-3] + "é00"
    assert _refusal(environ) == "SignatureDoesNotMatch"


def test_the_front_door_answers_a_bad_content_length_with_an_error_not_a_crash() -> None:
    door = FrontDoor(lambda environ, start_response: [b""], SERVER)
    captured: dict[str, str] = {}
    environ = {
        "REQUEST_METHOD": "PUT",
        "CONTENT_LENGTH": "lots",
        "wsgi.input": io.BytesIO(b""),
        "PATH_INFO": "/b/k",
    }
    door(environ, lambda status, headers, exc_info=None: captured.update(status=status))
    assert captured["status"].startswith("4")
