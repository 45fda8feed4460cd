"""The crash-safe steps for one object: stream-convert it into its target key, then archive it."""

from __future__ import annotations

import codecs
import hashlib
import math
import time
from typing import Any

from airflow_glue_flow.encoding.archive import archive_source
from airflow_glue_flow.encoding.codec import transcode_stream
from airflow_glue_flow.encoding.keys import versioned_key
from airflow_glue_flow.encoding.report import ObjectResult
from airflow_glue_flow.encoding.s3io import (
    ObjectFailure,
    S3Writer,
    SourceDigest,
    copy_part_size,
    head_or_none,
    is_precondition_failed,
)
from airflow_glue_flow.encoding.step_data import Settings, Streamed

"""Outputs and archive copies at least this large go by multipart upload / multipart copy."""
MAX_PARTS = 10_000
SOURCE_ETAG_METADATA = "glueflow-source-etag"
"""User metadata on each converted object: the ETag of the source object it was made from."""

# SSE-KMS objects have ETags that are not the MD5 of their bytes.
_OPAQUE_ETAG_ENCRYPTION = ("aws:kms", "aws:kms:dsse")


def _target_content_type(source_type: str | None, target_encoding: str) -> str | None:
    if not source_type:
        return None
    params = [p.strip() for p in source_type.split(";")]
    kept = [p for p in params[1:] if not p.lower().startswith("charset=")]
    if source_type.lower().startswith("text/") or len(kept) < len(params) - 1:
        kept.append(f"charset={codecs.lookup(target_encoding).name}")
    return "; ".join([params[0], *kept])


class _TargetTaken(Exception):
    """The conditional write of the converted object was refused: its key holds an object already."""


def convert_object(
    client: Any, settings: Settings, key: str, size: int, etag: str, target_key: str, archive_key: str
) -> ObjectResult:
    """Convert one source into its target key and archive it; the source itself is left alone.

    The converted object goes to ``target_key`` unless that key holds an object made from another
    source version (or not by this converter): then to its :func:`versioned_key`, unless
    ``settings.replace_target``. A conditional write (``If-None-Match: *``, or ``If-Match`` on the
    object it replaces) makes the choice and the write one step, where the store honours it.
    """
    started = time.perf_counter()
    conditions = settings.conditions
    if settings.replace_target:
        plan: tuple[str, dict[str, str]] | None = (target_key, {})
    elif conditions is not None and conditions.put_if_none_match:
        plan = (target_key, {"IfNoneMatch": "*"})
    else:
        plan = None  # the store would not refuse: look before writing
    try:
        if plan is None:
            raise _TargetTaken
        streamed = _stream(client, settings, key, size, etag, *plan)
    except _TargetTaken:
        plan = _choose_target(client, settings, target_key, etag)
        try:
            streamed = _stream(client, settings, key, size, etag, *plan)
        except _TargetTaken:
            raise ObjectFailure(
                f"converted key {plan[0]} was written by someone else during this run"
            ) from None
    archived = archive_source(client, settings, key, size, etag, archive_key, streamed)
    return ObjectResult(
        key=key,
        status="converted",
        target_key=streamed.target_key,
        archive_key=archived,
        bytes_in=streamed.result.bytes_read,
        bytes_out=streamed.result.bytes_written,
        seconds=time.perf_counter() - started,
        replacements=streamed.result.replacements,
        source_etag=etag.strip('"'),
    )


def _choose_target(client: Any, settings: Settings, target_key: str, etag: str) -> tuple[str, dict[str, str]]:
    """The key for this source version's converted object, and the condition that keeps it honest.

    A key holding the output of this very source version (a rerun after a crash) is rewritten in
    place; a key holding anything else is left alone and the versioned key is used.
    """
    conditional = settings.conditions is not None and settings.conditions.put_if_none_match
    versioned = versioned_key(target_key, etag)
    for candidate in (target_key, versioned):
        head = head_or_none(client, settings.bucket, candidate)
        if head is None:
            return candidate, ({"IfNoneMatch": "*"} if conditional else {})
        if head.get("Metadata", {}).get(SOURCE_ETAG_METADATA) == etag.strip('"'):
            return candidate, ({"IfMatch": head["ETag"]} if conditional else {})
    raise ObjectFailure(
        f"converted keys {target_key} and {versioned} already hold objects made from other sources; "
        "nothing was replaced (set replace_target to overwrite)"
    )


def _stream(
    client: Any,
    settings: Settings,
    key: str,
    size: int,
    etag: str,
    target_key: str,
    condition: dict[str, str],
) -> Streamed:
    """Stream the source through the codec into ``target_key`` (written only if ``condition`` holds)."""
    bucket = settings.bucket
    try:
        response = client.get_object(Bucket=bucket, Key=key, IfMatch=etag)
    except Exception as exc:
        if is_precondition_failed(exc):
            raise ObjectFailure(
                "source changed since it was listed; rerun to convert the new version"
            ) from exc
        raise
    encryption = response.get("ServerSideEncryption", "")
    opaque_etag = encryption in _OPAQUE_ETAG_ENCRYPTION or bool(response.get("SSECustomerAlgorithm"))
    single_part_source = "-" not in etag
    # A large archive copy is multipart: hash the source in the parts that copy will use. The MD5
    # of the whole object is needed too when it is the source's ETag or the archive must be re-read.
    copy_part = copy_part_size(size, settings.part_size) if size >= settings.part_size else None
    digest = SourceDigest(copy_part)
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
    writer = S3Writer(client, bucket, target_key, part_size, extra, condition)
    body = response["Body"]
    try:
        result = transcode_stream(
            body,
            writer,
            settings.source_encoding,
            settings.target_encoding,
            settings.errors,
            settings.chunk_size,
            observe,
        )
        if result.bytes_read != size:
            raise ObjectFailure(f"read {result.bytes_read} bytes but the object has {size}")
        try:
            writer.close()
        except Exception as exc:
            if condition and is_precondition_failed(exc):
                raise _TargetTaken from exc
            raise
    except BaseException:
        writer.abort()
        raise
    finally:
        body.close()

    source_md5 = whole.hexdigest() if whole is not None else digest.etag()
    if not opaque_etag and single_part_source and etag.strip('"') != source_md5:
        raise ObjectFailure("the bytes read do not match the source ETag")
    return Streamed(result, target_key, digest, source_md5, opaque_etag, copy_part)
