"""Who signed a request to the local Glue: the SigV4 credential scope, from the header or a presigned URL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

_HEADER_CREDENTIAL_RE = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")


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
    query = parse_qs(environ.get("QUERY_STRING", ""))
    parts = query.get("X-Amz-Credential", [""])[0].split("/")
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
