"""The original's side of a conversion: archive it (never over other bytes), verify, delete it conditionally."""

from __future__ import annotations

from typing import Any

from airflow_glue_flow.encoding.codec import DEFAULT_CHUNK_SIZE
from airflow_glue_flow.encoding.keys import versioned_key
from airflow_glue_flow.encoding.s3io import (
    ObjectFailure,
    SourceDigest,
    error_text,
    head_or_none,
    is_precondition_failed,
    transfer_config,
)
from airflow_glue_flow.encoding.step_data import Settings, Streamed
from airflow_glue_flow.encoding.store import StoreConditions

NOT_DELETED = "converted and archived, but the source was not deleted"


def archive_source(
    client: Any, settings: Settings, key: str, size: int, etag: str, archive_key: str, streamed: Streamed
) -> str:
    """Copy the source's bytes that were converted to ``archive_key`` and verify the copy.

    An archive key that already holds other bytes (an earlier original re-landed under the same name)
    is never overwritten: the copy goes to the :func:`versioned_key` instead. A key that already holds
    these very bytes (a rerun after a crash) is taken as the archive without copying again.

    :return: the archive key used.
    :raises ObjectFailure: the source changed, or the copy does not match the bytes converted.
    """
    bucket = settings.bucket
    # Single-part copies carry If-None-Match where the store honours it; boto3's multipart copy cannot,
    # so those look first (a concurrent writer of the same archive key could slip in between).
    conditional = settings.conditions is not None and settings.conditions.copy_if_none_match
    conditional = conditional and streamed.copy_part is None
    versioned = versioned_key(archive_key, etag)
    for candidate in (archive_key, versioned):
        if not conditional:
            head = head_or_none(client, bucket, candidate)
            if head is not None:
                if _holds(client, bucket, candidate, head, size, streamed):
                    return candidate
                continue
        try:
            archive_etag, archive_size = _copy(client, settings, key, etag, candidate, streamed, conditional)
        except Exception as exc:
            if not is_precondition_failed(exc):
                raise
            head = head_or_none(client, bucket, candidate)
            if head is None:  # the candidate is free, so the source's If-Match failed
                raise ObjectFailure(
                    "source changed during conversion; rerun to convert the new version"
                ) from exc
            if _holds(client, bucket, candidate, head, size, streamed):
                return candidate
            continue
        _verify(client, bucket, candidate, archive_etag, archive_size, size, streamed)
        return candidate
    raise ObjectFailure(
        f"archive keys {archive_key} and {versioned} already hold other bytes; nothing was replaced"
    )


def _copy(
    client: Any,
    settings: Settings,
    key: str,
    etag: str,
    archive_key: str,
    streamed: Streamed,
    conditional: bool,
) -> tuple[str, int]:
    bucket = settings.bucket
    copy_source = {"Bucket": settings.bucket, "Key": key}
    if streamed.copy_part is None:
        condition = {"IfNoneMatch": "*"} if conditional else {}
        response = client.copy_object(
            CopySource=copy_source, Bucket=bucket, Key=archive_key, CopySourceIfMatch=etag, **condition
        )
        return response["CopyObjectResult"]["ETag"], streamed.digest.size
    client.copy(
        copy_source,
        bucket,
        archive_key,
        ExtraArgs={"CopySourceIfMatch": etag},
        Config=transfer_config(settings.part_size),
    )
    head = client.head_object(Bucket=bucket, Key=archive_key)
    return head["ETag"], head["ContentLength"]


def _holds(client: Any, bucket: str, key: str, head: dict[str, Any], size: int, streamed: Streamed) -> bool:
    """Whether an existing archive object holds exactly the bytes that were converted."""
    if head["ContentLength"] != size:
        return False
    if head["ETag"].strip('"') in (streamed.digest.etag(), streamed.source_md5):
        return True
    return streamed.opaque_etag and _read_digest(client, bucket, key) == streamed.source_md5


def _verify(
    client: Any, bucket: str, key: str, archive_etag: str, archive_size: int, size: int, streamed: Streamed
) -> None:
    if archive_size != size:
        raise ObjectFailure(f"archive copy has {archive_size} bytes, source has {size}")
    if archive_etag.strip('"') == streamed.digest.etag():
        return
    if not streamed.opaque_etag:
        raise ObjectFailure(
            f"archive copy ETag {archive_etag} does not match the source bytes ({streamed.digest.etag()})"
        )
    # SSE-KMS: the ETag is not an MD5, so compare the archive's bytes with the source's.
    if _read_digest(client, bucket, key) != streamed.source_md5:
        raise ObjectFailure(f"archive copy s3://{bucket}/{key} does not match the source")


def _read_digest(client: Any, bucket: str, key: str) -> str:
    check = SourceDigest(None)
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        for chunk in iter(lambda: body.read(DEFAULT_CHUNK_SIZE), b""):
            check.update(chunk)
    finally:
        body.close()
    return check.etag()


def delete_sources(
    client: Any, bucket: str, items: list[tuple[str, str]], conditions: StoreConditions | None
) -> dict[str, str]:
    """Delete converted and archived sources, each only if it still has the ETag that was converted.

    Nothing is deleted on a store that does not honour the per-key ETag of DeleteObjects (see
    :func:`~airflow_glue_flow.encoding.store.probe_conditions`): an unconditional delete would lose a
    version written after the archive copy. Those sources stay and are reported.

    :param items: (source key, ETag that was converted and archived).
    :return: source key -> reason, for each key that was not deleted.
    """
    if not items:
        return {}
    if conditions is None or not conditions.conditional_delete:
        why = conditions.why_not if conditions is not None else "not probed"
        reason = f"{NOT_DELETED}: the store does not delete conditionally ({why}), so the source was kept"
        return {key: reason for key, _ in items}
    objects = [{"Key": key, "ETag": f'"{etag}"'} for key, etag in items]
    try:
        response = client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    except Exception as exc:
        return {key: f"{NOT_DELETED}: {error_text(exc)}" for key, _ in items}
    problems: dict[str, str] = {}
    for err in response.get("Errors", []):
        key, code = err.get("Key", ""), err.get("Code", "")
        if code in ("PreconditionFailed", "412"):
            problems[key] = "source was overwritten after it was archived; the new version was kept"
        else:
            problems[key] = f"{NOT_DELETED}: {code}: {err.get('Message', '')}"
    return problems
