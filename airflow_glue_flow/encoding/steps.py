"""The crash-safe steps for one object: convert it, archive it, verify the archive, delete the source."""

from __future__ import annotations

import codecs
import hashlib
import math
import time
from dataclasses import dataclass
from typing import Any

from airflow_glue_flow.encoding.codec import DEFAULT_CHUNK_SIZE, transcode_stream
from airflow_glue_flow.encoding.report import ObjectResult
from airflow_glue_flow.encoding.s3io import (
    S3Writer,
    SourceDigest,
    copy_part_size,
    error_text,
    is_precondition_failed,
    transfer_config,
)

DEFAULT_PART_SIZE = 8 << 20
"""Outputs and archive copies at least this large go by multipart upload / multipart copy."""
MAX_PARTS = 10_000
SOURCE_ETAG_METADATA = "glueflow-source-etag"
"""User metadata on each converted object: the ETag of the source object it was made from."""

# SSE-KMS objects have ETags that are not the MD5 of their bytes.
_OPAQUE_ETAG_ENCRYPTION = ("aws:kms", "aws:kms:dsse")


class ObjectFailure(Exception):
    """A per-object problem with a message fit for the report."""


def _target_content_type(source_type: str | None, target_encoding: str) -> str | None:
    if not source_type:
        return None
    params = [p.strip() for p in source_type.split(";")]
    kept = [p for p in params[1:] if not p.lower().startswith("charset=")]
    if source_type.lower().startswith("text/") or len(kept) < len(params) - 1:
        kept.append(f"charset={codecs.lookup(target_encoding).name}")
    return "; ".join([params[0], *kept])


@dataclass
class Settings:
    bucket: str
    source_encoding: str
    target_encoding: str
    errors: str
    part_size: int
    chunk_size: int


def _verify_archive_by_reading(client: Any, bucket: str, key: str, size: int, source_md5: str) -> None:
    """Compare the archive's bytes with the source's when its ETag is not an MD5 (SSE-KMS)."""
    check = SourceDigest(None)
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        for chunk in iter(lambda: body.read(DEFAULT_CHUNK_SIZE), b""):
            check.update(chunk)
    finally:
        body.close()
    if check.size != size or check.etag() != source_md5:
        raise ObjectFailure(f"archive copy s3://{bucket}/{key} does not match the source")


def convert_object(
    client: Any, settings: Settings, key: str, size: int, etag: str, target_key: str, archive_key: str
) -> ObjectResult:
    bucket = settings.bucket
    started = time.perf_counter()
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
    writer = S3Writer(client, bucket, target_key, part_size, extra)
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
            raise ObjectFailure(f"read {result.bytes_read} bytes but the object has {size}")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    finally:
        body.close()

    source_md5 = whole.hexdigest() if whole is not None else digest.etag()
    if not opaque_etag and single_part_source and etag.strip('"') != source_md5:
        raise ObjectFailure("the bytes read do not match the source ETag")

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
                Config=transfer_config(settings.part_size),
            )
            head = client.head_object(Bucket=bucket, Key=archive_key)
            archive_etag, archive_size = head["ETag"], head["ContentLength"]
    except Exception as exc:
        if is_precondition_failed(exc):
            raise ObjectFailure("source changed during conversion; rerun to convert the new version") from exc
        raise
    if archive_size != size:
        raise ObjectFailure(f"archive copy has {archive_size} bytes, source has {size}")
    if archive_etag.strip('"') != digest.etag():
        if not opaque_etag:
            raise ObjectFailure(
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


def delete_sources(client: Any, bucket: str, items: list[tuple[str, str]]) -> dict[str, str]:
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
