"""S3 URIs as Glue takes them (crawler targets, job ScriptLocation)."""

from __future__ import annotations

import re

_S3_URI_RE = re.compile(r"^s3a?://([^/]+)/?(.*)$")


class S3UriError(ValueError):
    """A path that is not an ``s3://bucket/key`` URI."""


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into bucket and key.

    :param uri: an S3 URI.
    :raises S3UriError: when the URI is not ``s3://``.
    """
    match = _S3_URI_RE.match(uri)
    if not match:
        raise S3UriError(f"Invalid S3 path {uri!r}: expected s3://bucket/prefix")
    return match.group(1), match.group(2)
