"""Streaming, parallel, lossless text-encoding conversion of S3 objects (CP932/Shift_JIS to UTF-8).

This module imports nothing from Airflow: besides being the core of
:class:`airflow_glue_flow.operators.encoding.S3EncodingConvertOperator`, the file itself is a Glue
Python-shell job script (only the standard library and boto3 are needed)::

    python encoding.py --BUCKET_NAME b --BUCKET_PATH in/ --BUCKET_PATH_DECODE utf8/ \\
        --BUCKET_PATH_ORG shift_jis/ --DECODE_LANG cp932

For every object under the source prefix it streams the body through an incremental decoder into
the target prefix (one PutObject, or a multipart upload for large outputs), copies the original to
the archive prefix, checks that the archive copy matches the bytes that were converted, and only
then deletes the source. Every step can be repeated, so a rerun after a crash at any point
converges to the same end state without losing or duplicating anything.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from typing import IO, Any, NamedTuple

log = logging.getLogger(__name__)

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes read from the source per decode step (1 MiB keeps the codec fast and memory flat)."""
DEFAULT_PART_SIZE = 8 << 20
"""Outputs and archive copies at least this large go by multipart upload / multipart copy."""
DEFAULT_MAX_WORKERS = 8
MAX_PARTS = 10_000
DELETE_BATCH = 1000
"""Most keys one DeleteObjects request takes."""
DELETE_BATCH_SECONDS = 10.0
"""Longest a verified source waits for its batch delete."""
ERROR_MODES = ("strict", "replace")
SOURCE_ETAG_METADATA = "glueflow-source-etag"
"""User metadata on each converted object: the ETag of the source object it was made from."""

# SSE-KMS objects have ETags that are not the MD5 of their bytes.
_OPAQUE_ETAG_ENCRYPTION = ("aws:kms", "aws:kms:dsse")

_replacements = threading.local()


def _count_replacement(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _replacements.count = getattr(_replacements, "count", 0) + 1
    return "\ufffd", exc.end


# Same output as the built-in "replace" handler, but counts what it replaced (per thread).
codecs.register_error("glueflow-replace", _count_replacement)


class DecodeFailure(ValueError):
    """The source bytes are not valid in the source encoding (raised with ``errors="strict"``).

    :param encoding: the source encoding.
    :param offset: absolute byte offset of the first invalid byte in the object.
    :param bad_bytes: the invalid byte(s) as the codec reported them.
    :param context: the bytes that follow them (up to 8), to find the spot in a hex dump.
    :param reason: the codec's own explanation.
    """

    def __init__(self, encoding: str, offset: int, bad_bytes: bytes, context: bytes, reason: str) -> None:
        self.encoding = encoding
        self.offset = offset
        self.bad_bytes = bad_bytes
        self.context = context
        self.reason = reason
        super().__init__(
            f"cannot decode as {encoding} at byte offset {offset}: {bad_bytes!r} ({reason}); "
            f"next bytes {context!r}"
        )

    def __reduce__(self) -> tuple[Any, ...]:  # travels back from transcode_file's worker processes
        return type(self), (self.encoding, self.offset, self.bad_bytes, self.context, self.reason)


class TranscodeResult(NamedTuple):
    """What :func:`transcode_stream` did."""

    bytes_read: int
    bytes_written: int
    replacements: int = 0


def _check_codecs(source_encoding: str, target_encoding: str, errors: str) -> None:
    for name in (source_encoding, target_encoding):
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"unknown encoding {name!r}") from None
    if errors not in ERROR_MODES:
        raise ValueError(f"errors must be one of {ERROR_MODES}, not {errors!r}")


def transcode_stream(
    src: IO[bytes],
    dst: IO[bytes],
    source_encoding: str = "cp932",
    target_encoding: str = "utf-8",
    errors: str = "strict",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    observe: Callable[[bytes], None] | None = None,
) -> TranscodeResult:
    """Re-encode a binary stream chunk by chunk; memory stays flat whatever the stream's length.

    An incremental decoder carries a multibyte character that is split across two chunks over to
    the next chunk, so the output equals a one-shot ``data.decode(...).encode(...)``. Line endings
    and every other byte are kept as the codecs define them.

    :param src: readable binary file object (``read(n)``).
    :param dst: writable binary file object (``write(b)``).
    :param source_encoding: codec name of the input, e.g. ``cp932``, ``shift_jis``, ``euc-jp``,
        ``iso2022_jp``, ``utf-8-sig``.
    :param target_encoding: codec name of the output.
    :param errors: ``strict`` raises :class:`DecodeFailure` naming the byte offset and bytes;
        ``replace`` writes U+FFFD for each invalid sequence and counts them.
    :param chunk_size: bytes read per step.
    :param observe: called with every raw chunk read (used to hash the source on the fly).
    :return: bytes read, bytes written and the number of replacements.
    """
    _check_codecs(source_encoding, target_encoding, errors)
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    handler = "strict" if errors == "strict" else "glueflow-replace"
    decoder = codecs.getincrementaldecoder(source_encoding)(handler)
    encoder = codecs.getincrementalencoder(target_encoding)("strict")
    read = written = 0
    _replacements.count = 0
    while True:
        chunk = src.read(chunk_size)
        final = not chunk
        if observe is not None and chunk:
            observe(chunk)
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's pending bytes followed by this chunk.
            offset = read + exc.start - (len(exc.object) - len(chunk))
            raise DecodeFailure(
                source_encoding,
                offset,
                bytes(exc.object[exc.start : exc.end]),
                bytes(exc.object[exc.end : exc.end + 8]),
                exc.reason,
            ) from None
        read += len(chunk)
        out = encoder.encode(text, final)
        if out:
            dst.write(out)
            written += len(out)
        if final:
            return TranscodeResult(read, written, _replacements.count)


# In these codecs a 0x0A byte is always a line feed, never part of a multibyte character (CP932 and
# Shift_JIS trail bytes are 0x40-0xFC, EUC-JP bytes are >= 0x8E), so text split just after one
# decodes piece by piece exactly as in one go. Stateful codecs (ISO-2022-JP) are not in this set.
LINE_SPLITTABLE = frozenset({"cp932", "shift_jis", "euc_jp", "utf-8", "ascii", "latin-1"})


def _transcode_range(job: tuple[str, int, int, str, str, str]) -> tuple[bytes, int]:
    path, start, end, source_encoding, target_encoding, errors = job
    with open(path, "rb") as src:
        src.seek(start)
        data = src.read(end - start)
    out = io.BytesIO()
    result = transcode_stream(io.BytesIO(data), out, source_encoding, target_encoding, errors, len(data) or 1)
    return out.getvalue(), result.replacements


def _line_ranges(path: str, block_size: int) -> Iterator[tuple[int, int]]:
    """Byte ranges of about ``block_size`` that each end just after a line feed (or at end of file)."""
    size = os.path.getsize(path)
    start = 0
    with open(path, "rb") as src:
        while start < size:
            end = min(start + block_size, size)
            while end < size:
                src.seek(end)
                window = src.read(1 << 16)
                found = window.find(b"\n")
                if found >= 0:
                    end += found + 1
                    break
                end += len(window)
            yield start, min(end, size)
            start = end


def transcode_file(
    src_path: str,
    dst_path: str,
    source_encoding: str = "cp932",
    target_encoding: str = "utf-8",
    errors: str = "strict",
    workers: int = 2,
    block_size: int = 8 << 20,
) -> TranscodeResult:
    """Re-encode a local file on several cores: ranges split just after a line feed decode in parallel.

    Falls back to :func:`transcode_stream` for one worker or codecs not in :data:`LINE_SPLITTABLE`.
    Memory is about ``3 * workers * block_size``.

    :param src_path: input file.
    :param dst_path: output file (overwritten).
    :param workers: processes decoding at the same time.
    :param block_size: approximate bytes per range.
    :raises DecodeFailure: with the absolute byte offset, as :func:`transcode_stream`.
    """
    _check_codecs(source_encoding, target_encoding, errors)
    if workers <= 1 or codecs.lookup(source_encoding).name not in LINE_SPLITTABLE:
        with open(src_path, "rb") as src, open(dst_path, "wb") as dst:
            return transcode_stream(src, dst, source_encoding, target_encoding, errors)
    from concurrent.futures import ProcessPoolExecutor

    read = written = replaced = 0
    pending: list[tuple[int, Future[tuple[bytes, int]]]] = []
    with open(dst_path, "wb") as dst, ProcessPoolExecutor(max_workers=workers) as pool:

        def drain(limit: int) -> None:
            nonlocal written, replaced
            while len(pending) > limit:
                start, future = pending.pop(0)
                try:
                    out, count = future.result()
                except DecodeFailure as exc:
                    raise DecodeFailure(
                        exc.encoding, start + exc.offset, exc.bad_bytes, exc.context, exc.reason
                    ) from None
                dst.write(out)
                written += len(out)
                replaced += count

        for start, end in _line_ranges(src_path, block_size):
            job = (src_path, start, end, source_encoding, target_encoding, errors)
            pending.append((start, pool.submit(_transcode_range, job)))
            read += end - start
            drain(workers * 2)
        drain(0)
    return TranscodeResult(read, written, replaced)


# --------------------------------------------------------------------------------------------- S3


class _S3Writer:
    """Write-only file object on an S3 key: one PutObject when small, else a multipart upload.

    Nothing becomes visible under the key until :meth:`close` succeeds; :meth:`abort` removes an
    unfinished multipart upload so no half-written object or orphaned parts remain.
    """

    def __init__(self, client: Any, bucket: str, key: str, part_size: int, extra: dict[str, Any]) -> None:
        self._client = client
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
        """Make the object visible and return its ETag."""
        if self._upload_id is None:
            response = self._client.put_object(
                Bucket=self._bucket, Key=self._key, Body=bytes(self._buffer), **self._extra
            )
            return response["ETag"]
        if self._buffer:
            self._upload_part()
        response = self._client.complete_multipart_upload(
            Bucket=self._bucket,
            Key=self._key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": self._parts},
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


class _SourceDigest:
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


def _copy_part_size(size: int, part_size: int) -> int:
    """The part size boto3's managed copy will use for an object of ``size`` bytes."""
    from s3transfer.utils import ChunksizeAdjuster

    return ChunksizeAdjuster().adjust_chunksize(part_size, size)


def _transfer_config(part_size: int) -> Any:
    from boto3.s3.transfer import TransferConfig

    return TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size)


@dataclass
class ObjectResult:
    """The outcome for one source object."""

    key: str
    status: str  # converted | skipped | failed
    target_key: str = ""
    archive_key: str = ""
    bytes_in: int = 0
    bytes_out: int = 0
    seconds: float = 0.0
    replacements: int = 0
    reason: str = ""
    source_etag: str = ""

    @property
    def mb_per_s(self) -> float:
        """Source megabytes (10^6 bytes) converted per second."""
        return self.bytes_in / 1e6 / self.seconds if self.seconds > 0 else 0.0


@dataclass
class ConversionReport:
    """What :func:`convert_prefix` did: one :class:`ObjectResult` per listed object, plus totals."""

    bucket: str
    source_prefix: str
    target_prefix: str
    archive_prefix: str
    source_encoding: str
    target_encoding: str
    errors: str
    objects: list[ObjectResult] = field(default_factory=list)
    seconds: float = 0.0

    def _with(self, status: str) -> list[ObjectResult]:
        return [o for o in self.objects if o.status == status]

    @property
    def converted(self) -> list[ObjectResult]:
        return self._with("converted")

    @property
    def skipped(self) -> list[ObjectResult]:
        return self._with("skipped")

    @property
    def failed(self) -> list[ObjectResult]:
        return self._with("failed")

    @property
    def failed_keys(self) -> dict[str, str]:
        """Source key -> reason, for every object that was not converted."""
        return {o.key: o.reason for o in self.failed}

    @property
    def ok(self) -> bool:
        return not self.failed

    def to_dict(self, max_converted: int | None = None) -> dict[str, Any]:
        """A JSON-serialisable summary.

        :param max_converted: list at most this many converted objects (skipped and failed ones are
            always listed in full); ``None`` lists all.
        """
        converted = self.converted
        bytes_in = sum(o.bytes_in for o in converted)
        return {
            "bucket": self.bucket,
            "source_prefix": self.source_prefix,
            "target_prefix": self.target_prefix,
            "archive_prefix": self.archive_prefix,
            "source_encoding": self.source_encoding,
            "target_encoding": self.target_encoding,
            "errors": self.errors,
            "objects_converted": len(converted),
            "objects_skipped": len(self.skipped),
            "objects_failed": len(self.failed),
            "bytes_in": bytes_in,
            "bytes_out": sum(o.bytes_out for o in converted),
            "replacements": sum(o.replacements for o in converted),
            "seconds": round(self.seconds, 3),
            "mb_per_s": round(bytes_in / 1e6 / self.seconds, 3) if self.seconds > 0 else 0.0,
            "converted": [
                {k: v for k, v in asdict(o).items() if k not in ("status", "reason")}
                for o in converted[:max_converted]
            ],
            "skipped": [{"key": o.key, "reason": o.reason} for o in self.skipped],
            "failed": [{"key": o.key, "reason": o.reason} for o in self.failed],
        }


class _ObjectFailure(Exception):
    """A per-object problem with a message fit for the report."""


def error_text(exc: BaseException) -> str:
    """AWS's own error code and message for a botocore error, else the exception's text."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', 'Error')}: {err.get('Message', '') or exc}"
    return str(exc) or type(exc).__name__


def _is_precondition_failed(exc: BaseException) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code", "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("PreconditionFailed", "412") or status == 412


def _target_content_type(source_type: str | None, target_encoding: str) -> str | None:
    if not source_type:
        return None
    params = [p.strip() for p in source_type.split(";")]
    kept = [p for p in params[1:] if not p.lower().startswith("charset=")]
    if source_type.lower().startswith("text/") or len(kept) < len(params) - 1:
        kept.append(f"charset={codecs.lookup(target_encoding).name}")
    return "; ".join([params[0], *kept])


@dataclass
class _Settings:
    bucket: str
    source_encoding: str
    target_encoding: str
    errors: str
    part_size: int
    chunk_size: int


def _verify_archive_by_reading(client: Any, bucket: str, key: str, size: int, source_md5: str) -> None:
    """Compare the archive's bytes with the source's when its ETag is not an MD5 (SSE-KMS)."""
    check = _SourceDigest(None)
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        for chunk in iter(lambda: body.read(DEFAULT_CHUNK_SIZE), b""):
            check.update(chunk)
    finally:
        body.close()
    if check.size != size or check.etag() != source_md5:
        raise _ObjectFailure(f"archive copy s3://{bucket}/{key} does not match the source")


def _convert_object(
    client: Any, settings: _Settings, key: str, size: int, etag: str, target_key: str, archive_key: str
) -> ObjectResult:
    bucket = settings.bucket
    started = time.perf_counter()
    try:
        response = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)
    except Exception as exc:
        if _is_precondition_failed(exc):
            raise _ObjectFailure(
                "source changed since it was listed; rerun to convert the new version"
            ) from exc
        raise
    encryption = response.get("ServerSideEncryption", "")
    opaque_etag = encryption in _OPAQUE_ETAG_ENCRYPTION or bool(response.get("SSECustomerAlgorithm"))
    single_part_source = "-" not in etag
    # A large archive copy is multipart: hash the source in the parts that copy will use. The MD5
    # of the whole object is needed too when it is the source's ETag or the archive must be re-read.
    copy_part = _copy_part_size(size, settings.part_size) if size >= settings.part_size else None
    digest = _SourceDigest(copy_part)
    whole = hashlib.md5(usedforsecurity=False) if copy_part and (opaque_etag or single_part_source) else None

    def observe(chunk: bytes) -> None:
        digest.update(chunk)
        if whole is not None:
            whole.update(chunk)

    extra: dict[str, Any] = {"Metadata": {SOURCE_ETAG_METADATA: etag.strip('"')}}
    content_type = _target_content_type(response.get("ContentType"), settings.target_encoding)
    if content_type:
        extra["ContentType"] = content_type
    # Outputs can be up to 3x the input (half-width katakana: 1 byte -> 3); stay under 10,000 parts.
    part_size = max(settings.part_size, math.ceil(3 * size / (MAX_PARTS - 1)))
    writer = _S3Writer(client, bucket, target_key, part_size, extra)
    body = response["Body"]
    try:
        result = transcode_stream(
            body,
            writer,  # type: ignore[arg-type]
            settings.source_encoding,
            settings.target_encoding,
            settings.errors,
            settings.chunk_size,
            observe,
        )
        if result.bytes_read != size:
            raise _ObjectFailure(f"read {result.bytes_read} bytes but the object has {size}")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        body.close()

    source_md5 = whole.hexdigest() if whole is not None else digest.etag()
    if not opaque_etag and single_part_source and etag.strip('"') != source_md5:
        raise _ObjectFailure("the bytes read do not match the source ETag")

    copy_source = {"Bucket": bucket, "Key": key}
    try:
        if copy_part is None:
            archive_etag = client.copy_object(
                CopySource=copy_source, Bucket=bucket, Key=archive_key, CopySourceIfMatch=etag
            )["CopyObjectResult"]["ETag"]
            archive_size = size
        else:
            client.copy(
                copy_source,
                bucket,
                archive_key,
                ExtraArgs={"CopySourceIfMatch": etag},
                Config=_transfer_config(settings.part_size),
            )
            head = client.head_object(Bucket=bucket, Key=archive_key)
            archive_etag, archive_size = head["ETag"], head["ContentLength"]
    except Exception as exc:
        if _is_precondition_failed(exc):
            raise _ObjectFailure(
                "source changed during conversion; rerun to convert the new version"
            ) from exc
        raise
    if archive_size != size:
        raise _ObjectFailure(f"archive copy has {archive_size} bytes, source has {size}")
    if archive_etag.strip('"') != digest.etag():
        if not opaque_etag:
            raise _ObjectFailure(
                f"archive copy ETag {archive_etag} does not match the source bytes ({digest.etag()})"
            )
        _verify_archive_by_reading(client, bucket, archive_key, size, source_md5)

    return ObjectResult(
        key=key,
        status="converted",
        target_key=target_key,
        archive_key=archive_key,
        bytes_in=result.bytes_read,
        bytes_out=result.bytes_written,
        seconds=time.perf_counter() - started,
        replacements=result.replacements,
        source_etag=etag.strip('"'),
    )


def _delete_sources(client: Any, bucket: str, items: list[tuple[str, str]]) -> dict[str, str]:
    """Delete converted and archived sources, each only if it still has the ETag that was converted.

    :return: source key -> reason, for each key that was not deleted.
    """
    if not items:
        return {}
    conditional = "ETag" in client.meta.service_model.shape_for("ObjectIdentifier").members
    if conditional:
        objects = [{"Key": key, "ETag": f'"{etag}"'} for key, etag in items]
    else:
        # An older botocore (e.g. a Glue Python-shell runtime) cannot send per-key conditions; the
        # archive copies were verified, and only a concurrent overwrite would go unnoticed.
        objects = [{"Key": key} for key, _ in items]
    try:
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    except Exception as exc:
        reason = f"converted and archived, but the source was not deleted: {error_text(exc)}"
        return {key: reason for key, _ in items}
    problems: dict[str, str] = {}
    for err in response.get("Errors", []):
        key, code = err.get("Key", ""), err.get("Code", "")
        if code == "NotImplemented":
            # A store without conditional deletes; the archive copy was verified already.
            try:
                client.delete_object(Bucket=bucket, Key=key)
                continue
            except Exception as exc:
                problems[key] = f"converted and archived, but the source was not deleted: {error_text(exc)}"
        elif code in ("PreconditionFailed", "412"):
            problems[key] = "source was overwritten after it was archived; the new version was kept"
        else:
            problems[key] = (
                f"converted and archived, but the source was not deleted: {code}: {err.get('Message', '')}"
            )
    return problems


def _check_prefixes(source_prefix: str, target_prefix: str, archive_prefix: str) -> None:
    if not source_prefix:
        raise ValueError("source_prefix must not be empty: outputs would land under it")
    for name, other in (("target_prefix", target_prefix), ("archive_prefix", archive_prefix)):
        if other.startswith(source_prefix) or source_prefix.startswith(other):
            raise ValueError(
                f"{name} {other!r} overlaps source_prefix {source_prefix!r}: a rerun would convert its own output"
            )
    if target_prefix == archive_prefix:
        raise ValueError(f"target_prefix and archive_prefix are both {target_prefix!r}")


def _list_objects(client: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _stale_uploads(client: Any, bucket: str, prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    """Unfinished multipart uploads left under the output prefixes by an earlier, crashed run."""
    stale: dict[str, list[str]] = {}
    for prefix in prefixes:
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
            for upload in page.get("Uploads", []):
                stale.setdefault(upload["Key"], []).append(upload["UploadId"])
    return stale


def convert_prefix(
    s3_client: Any,
    bucket: str,
    source_prefix: str,
    target_prefix: str,
    archive_prefix: str,
    source_encoding: str = "cp932",
    target_encoding: str = "utf-8",
    errors: str = "strict",
    delete_source: bool = True,
    max_workers: int = DEFAULT_MAX_WORKERS,
    *,
    part_size: int = DEFAULT_PART_SIZE,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_result: Callable[[ObjectResult], None] | None = None,
) -> ConversionReport:
    """Convert every object under ``source_prefix`` and move the originals to ``archive_prefix``.

    Keys map by literal prefix: ``source_prefix + rest`` becomes ``target_prefix + rest`` and
    ``archive_prefix + rest``. The key equal to the prefix and other zero-byte keys ending in ``/``
    (console folder markers) are skipped; zero-byte files are converted. Per object: stream-convert
    into the target key, copy the source to the archive key, check that the archive's size and ETag
    match the bytes that were converted, then delete the source (conditional on its ETag). A failed
    object keeps its source and gets no archive copy; the others still convert.

    :param s3_client: a boto3 S3 client; configure its retries (see :func:`s3_client_config`) so
        SlowDown/503 answers are retried with backoff.
    :param bucket: the bucket holding all three prefixes.
    :param source_prefix: where the objects to convert are; must not overlap the other two.
    :param target_prefix: where the converted objects go.
    :param archive_prefix: where the original bytes go.
    :param source_encoding: codec of the sources.
    :param target_encoding: codec of the outputs.
    :param errors: ``strict`` (an invalid byte fails that object) or ``replace`` (U+FFFD, counted).
    :param delete_source: delete each source once its conversion and archive copy are verified.
    :param max_workers: objects converted at the same time.
    :param part_size: multipart threshold and part size for outputs and archive copies.
    :param chunk_size: bytes decoded per step.
    :param on_result: called (in the calling thread) with each object's result as it finishes.
    :return: the report; the caller decides whether failed objects fail the run.
    """
    _check_codecs(source_encoding, target_encoding, errors)
    _check_prefixes(source_prefix, target_prefix, archive_prefix)
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    settings = _Settings(bucket, source_encoding, target_encoding, errors, part_size, chunk_size)
    report = ConversionReport(
        bucket, source_prefix, target_prefix, archive_prefix, source_encoding, target_encoding, errors
    )
    started = time.perf_counter()
    stale = _stale_uploads(s3_client, bucket, (target_prefix, archive_prefix))

    def work(obj: dict[str, Any]) -> ObjectResult:
        key = obj["Key"]
        rest = key[len(source_prefix) :]
        target_key, archive_key = target_prefix + rest, archive_prefix + rest
        begun = time.perf_counter()
        try:
            for out_key in (target_key, archive_key):
                for upload_id in stale.get(out_key, ()):
                    s3_client.abort_multipart_upload(Bucket=bucket, Key=out_key, UploadId=upload_id)
            return _convert_object(
                s3_client, settings, key, obj["Size"], obj["ETag"], target_key, archive_key
            )
        except Exception as exc:
            return ObjectResult(
                key=key,
                status="failed",
                target_key=target_key,
                archive_key=archive_key,
                seconds=time.perf_counter() - begun,
                reason=error_text(exc),
            )

    def finish(result: ObjectResult) -> None:
        report.objects.append(result)
        if on_result is not None:
            on_result(result)

    # Verified sources are deleted in batches (one DeleteObjects per batch, each key conditional
    # on the ETag that was converted): a third fewer requests per small object.
    batch_limit = min(DELETE_BATCH, max_workers * 8)
    to_delete: list[ObjectResult] = []
    oldest = 0.0

    def flush_deletes() -> None:
        problems = _delete_sources(s3_client, bucket, [(r.key, r.source_etag) for r in to_delete])
        for result in to_delete:
            if result.key in problems:
                result.status, result.reason = "failed", problems[result.key]
            finish(result)
        to_delete.clear()

    def collect(result: ObjectResult) -> None:
        nonlocal oldest
        if result.status != "converted" or not delete_source:
            finish(result)
            return
        if not to_delete:
            oldest = time.monotonic()
        to_delete.append(result)
        if len(to_delete) >= batch_limit or time.monotonic() - oldest > DELETE_BATCH_SECONDS:
            flush_deletes()

    in_flight: set[Future[ObjectResult]] = set()
    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="glueflow-convert") as pool:
        for obj in _list_objects(s3_client, bucket, source_prefix):
            key = obj["Key"]
            if key == source_prefix:
                finish(ObjectResult(key=key, status="skipped", reason="folder marker of the source prefix"))
                continue
            if key.endswith("/") and obj["Size"] == 0:
                finish(ObjectResult(key=key, status="skipped", reason="zero-byte folder marker"))
                continue
            # Bounded look-ahead keeps memory flat for prefixes with millions of keys.
            if len(in_flight) >= max_workers * 4:
                done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in done:
                    collect(future.result())
            in_flight.add(pool.submit(work, obj))
        while in_flight:
            done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                collect(future.result())
    if to_delete:
        flush_deletes()
    report.seconds = time.perf_counter() - started
    report.objects.sort(key=lambda o: o.key)
    return report


def s3_client_config(max_workers: int = DEFAULT_MAX_WORKERS, max_attempts: int = 10) -> Any:
    """botocore client settings for :func:`convert_prefix`.

    Adaptive retries back off on SlowDown/503 and other throttling answers; the connection pool
    leaves room for every worker plus the managed copy's own threads.

    :param max_workers: objects converted at the same time.
    :param max_attempts: attempts per S3 call, the first included.
    """
    from botocore.config import Config

    return Config(
        retries={"mode": "adaptive", "total_max_attempts": max_attempts},
        max_pool_connections=max(10, max_workers * 2 + 10),
    )


# ------------------------------------------------------------------------------ Glue script form

REQUIRED_ARGS = ("BUCKET_NAME", "BUCKET_PATH", "BUCKET_PATH_DECODE", "BUCKET_PATH_ORG", "DECODE_LANG")
OPTIONAL_ARGS = {
    "ENCODE_LANG": "utf-8",
    "ERRORS": "strict",
    "MAX_WORKERS": str(DEFAULT_MAX_WORKERS),
    "DELETE_SOURCE": "true",
}


class ArgumentError(ValueError):
    """A job argument is missing or unusable."""


def resolve_options(argv: list[str], required: tuple[str, ...] | list[str]) -> dict[str, str]:
    """Read ``--KEY value`` / ``--KEY=value`` arguments the way Glue's ``getResolvedOptions`` does.

    ``argv[0]`` (the script) is skipped, each required key must be present, unknown arguments
    (``--JOB_NAME``, ``--JOB_RUN_ID``, ``--job-bookmark-option``, ``--scriptLocation``, ...) are
    ignored, and the last occurrence of a key wins. Optional keys of :data:`OPTIONAL_ARGS` that
    appear are returned too.

    :param argv: the full ``sys.argv``.
    :param required: keys that must be present.
    :raises ArgumentError: a required key is missing or has no value.
    """
    wanted = set(required) | set(OPTIONAL_ARGS)
    found: dict[str, str] = {}
    args = argv[1:]
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if name not in wanted:
            continue
        if not sep:
            if i >= len(args) or (args[i].startswith("--") and args[i] != "--"):
                raise ArgumentError(f"argument --{name} expects a value")
            value = args[i]
            i += 1
        found[name] = value
    missing = [k for k in required if k not in found]
    if missing:
        raise ArgumentError("missing required job argument(s): " + ", ".join(f"--{k}" for k in missing))
    return found


def _setup_logging() -> None:
    # Glue Python shell drops INFO records of its own handlers; print them to stdout instead.
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream=sys.stdout)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def log_result(result: ObjectResult, logger: logging.Logger | Any = log) -> None:
    """Log one line for an object: key, bytes, seconds and MB/s (or why it was skipped/failed)."""
    if result.status == "converted":
        logger.info(
            "converted s3 key %s -> %s: %d bytes in, %d bytes out, %.3f s, %.2f MB/s%s",
            result.key,
            result.target_key,
            result.bytes_in,
            result.bytes_out,
            result.seconds,
            result.mb_per_s,
            f", {result.replacements} replacement(s)" if result.replacements else "",
        )
    elif result.status == "skipped":
        logger.info("skipped s3 key %s: %s", result.key, result.reason)
    else:
        logger.error("FAILED s3 key %s: %s", result.key, result.reason)


def summary_line(report: ConversionReport) -> str:
    """One line with the totals of a run."""
    data = report.to_dict(max_converted=0)
    return (
        f"s3://{report.bucket}/{report.source_prefix} ({report.source_encoding} -> {report.target_encoding}): "
        f"{data['objects_converted']} converted, {data['objects_skipped']} skipped, "
        f"{data['objects_failed']} failed; {data['bytes_in']} bytes in, {data['bytes_out']} bytes out, "
        f"{data['replacements']} replacement(s), {data['seconds']} s, {data['mb_per_s']} MB/s"
    )


def main(argv: list[str] | None = None, s3_client: Any = None) -> int:
    """Run as a Glue Python-shell job (or ``python -m airflow_glue_flow.encoding``).

    The S3 endpoint, region and credentials come from boto3's usual sources, so
    ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_S3`` point it at a local S3.

    :return: 0 when every object converted, 1 when any failed, 2 for bad arguments.
    """
    _setup_logging()
    argv = sys.argv if argv is None else argv
    try:
        args = resolve_options(argv, REQUIRED_ARGS)
        opts = {**OPTIONAL_ARGS, **args}
        try:
            max_workers = int(opts["MAX_WORKERS"])
        except ValueError:
            raise ArgumentError(f"--MAX_WORKERS must be an integer, not {opts['MAX_WORKERS']!r}") from None
        delete = opts["DELETE_SOURCE"].strip().lower()
        if delete not in ("true", "false"):
            raise ArgumentError(f"--DELETE_SOURCE must be true or false, not {opts['DELETE_SOURCE']!r}")
        _check_codecs(opts["DECODE_LANG"], opts["ENCODE_LANG"], opts["ERRORS"])
        _check_prefixes(opts["BUCKET_PATH"], opts["BUCKET_PATH_DECODE"], opts["BUCKET_PATH_ORG"])
    except ValueError as exc:
        log.error("bad job arguments: %s", exc)
        return 2
    if s3_client is None:
        import boto3

        s3_client = boto3.client("s3", config=s3_client_config(max_workers))
    report = convert_prefix(
        s3_client,
        opts["BUCKET_NAME"],
        opts["BUCKET_PATH"],
        opts["BUCKET_PATH_DECODE"],
        opts["BUCKET_PATH_ORG"],
        source_encoding=opts["DECODE_LANG"],
        target_encoding=opts["ENCODE_LANG"],
        errors=opts["ERRORS"],
        delete_source=delete == "true",
        max_workers=max_workers,
        on_result=log_result,
    )
    log.info(summary_line(report))
    print(json.dumps(report.to_dict(max_converted=0), ensure_ascii=False), flush=True)
    if not report.ok:
        log.error("%d object(s) could not be converted", len(report.failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
