"""S3 building blocks of the conversion: a streaming object writer, the expected-ETag digest, error helpers."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

log = logging.getLogger(__name__)


class S3Writer:
    """Write-only file object on an S3 key: one PutObject when small, else a multipart upload.

    Nothing becomes visible under the key until :meth:`close` succeeds; :meth:`abort` removes an
    unfinished multipart upload so no half-written object or orphaned parts remain.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        part_size: int,
        extra: dict[str, Any],
        condition: dict[str, str] | None = None,
    ) -> None:
        """:param condition: ``IfNoneMatch``/``IfMatch`` for the request that makes the object visible."""
        self._client = client
        self._condition = condition or {}
        self._bucket = bucket
        self._key = key
        self._part_size = part_size
        self._extra = extra
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._upload_id: str | None = None

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= self._part_size:
            self._upload_part()
        return len(data)

    def _upload_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self._bucket, Key=self._key, **self._extra
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            PartNumber=number,
            Body=bytes(self._buffer),
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer = bytearray()

    def close(self) -> str:
        """Make the object visible and return its ETag (a failed condition raises S3's 412)."""
        if self._upload_id is None:
            response = self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), **self._extra, **self._condition
            )
            return response["ETag"]
        if self._buffer:
            self._upload_part()
        response = self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
            **self._condition,
        )
        return response["ETag"]

    def abort(self) -> None:
        """Drop an unfinished multipart upload (best effort: a rerun cleans up what this misses)."""
        if self._upload_id is None:
            return
        try:
            self._client.abort_multipart_upload(Bucket=self._bucket, Key=self._key, UploadId=self._upload_id)
        except Exception as exc:  # the original error matters more than this one
            log.warning("could not abort multipart upload of s3://%s/%s: %s", self._bucket, self._key, exc)


class SourceDigest:
    """MD5s of the source bytes as read, laid out like the ETag the archive copy will get.

    A single CopyObject gives the archive the MD5 of its bytes as ETag; a multipart copy gives
    ``md5(md5(part1) + md5(part2) + ...)-N`` with the part size the copy uses.
    """

    def __init__(self, part_size: int | None) -> None:
        self.size = 0
        self._part_size = part_size
        self._whole = hashlib.md5(usedforsecurity=False)
        self._part = hashlib.md5(usedforsecurity=False)
        self._filled = 0
        self._part_digests: list[bytes] = []

    def update(self, data: bytes) -> None:
        self.size += len(data)
        if self._part_size is None:
            self._whole.update(data)
            return
        view = memoryview(data)
        while view:
            take = min(len(view), self._part_size - self._filled)
            self._part.update(view[:take])
            self._filled += take
            view = view[take:]
            if self._filled == self._part_size:
                self._part_digests.append(self._part.digest())
                self._part = hashlib.md5(usedforsecurity=False)
                self._filled = 0

    def etag(self) -> str:
        """The ETag an unencrypted (or SSE-S3) copy of these bytes must have, without quotes."""
        if self._part_size is None:
            return self._whole.hexdigest()
        digests = list(self._part_digests)
        if self._filled or not digests:
            digests.append(self._part.digest())
        return f"{hashlib.md5(b''.join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"


def copy_part_size(size: int, part_size: int) -> int:
    """The part size boto3's managed copy will use for an object of ``size`` bytes."""
    from s3transfer.utils import ChunksizeAdjuster

    return ChunksizeAdjuster().adjust_chunksize(part_size, size)


def transfer_config(part_size: int) -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size)


def error_text(exc: BaseException) -> str:
    """AWS's own error code and message for a botocore error, else the exception's text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', 'Error')}: {err.get('Message', '') or exc}"
    return str(exc) or type(exc).__name__


def is_precondition_failed(exc: BaseException) -> bool:
    """Whether S3 refused a conditional request (412 PreconditionFailed)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("PreconditionFailed", "412") or status == 412


class ObjectFailure(Exception):
    """A per-object problem with a message fit for the report."""


def head_or_none(client: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """HeadObject's answer, or None when the key does not exist."""
    try:
        return client.head_object(Bucket=bucket, Key=key)
    except Exception as exc:
        response = getattr(exc, "response", None) or {}
        if response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
