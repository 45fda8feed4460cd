"""Convert every object under a prefix: list, run the per-object steps in parallel, batch the deletes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from airflow_glue_flow.encoding.archive import delete_sources
from airflow_glue_flow.encoding.codec import DEFAULT_CHUNK_SIZE, check_codecs
from airflow_glue_flow.encoding.keys import check_prefixes, folder_marker, versioned_key
from airflow_glue_flow.encoding.options import DEFAULT_MAX_WORKERS, ConversionOptions
from airflow_glue_flow.encoding.report import ConversionReport, ObjectResult
from airflow_glue_flow.encoding.s3io import error_text
from airflow_glue_flow.encoding.step_data import Settings
from airflow_glue_flow.encoding.steps import convert_object
from airflow_glue_flow.encoding.store import probe_conditions

DELETE_BATCH = 1000
"""Most keys one DeleteObjects request takes."""
DELETE_BATCH_SECONDS = 10.0
"""Longest a verified source waits for its batch delete."""


def _list_objects(client: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _named_objects(
    client: Any, bucket: str, keys: list[str], gone: Callable[[str], None]
) -> Iterator[dict[str, Any]]:
    """The listing entries (Key, Size, ETag) of ``keys``; ``gone(key)`` for each key that no longer exists."""
    from botocore.exceptions import ClientError

    for key in keys:
        try:
            head = client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                gone(key)
                continue
            raise
        yield {"Key": key, "Size": head["ContentLength"], "ETag": head["ETag"]}


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
    options: ConversionOptions,
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_result: Callable[[ObjectResult], None] | None = None,
) -> ConversionReport:
    """Convert every object under ``source_prefix`` and move the originals to ``archive_prefix``.

    Keys map by literal prefix: ``source_prefix + rest`` becomes ``target_prefix + rest`` and
    ``archive_prefix + rest``; when that key already holds other bytes (a file re-landed under the same
    name), the new version goes to :func:`~airflow_glue_flow.encoding.keys.versioned_key` instead, so
    nothing downstream already read or archived is replaced. The key equal to the prefix and other
    zero-byte keys ending in ``/`` (console folder markers) are skipped; zero-byte files are converted.
    Per object: stream-convert into the target key, copy the source to the archive key, check that the
    archive's size and ETag match the bytes that were converted, then delete the source, conditional
    on its ETag. A store that does not honour that condition keeps every source (reported as failed):
    the run learns what the store honours from its first converted copy, before any delete, see
    :func:`~airflow_glue_flow.encoding.store.probe_conditions`. A failed object keeps its source;
    the others still convert.

    :param s3_client: a boto3 S3 client; configure its retries (see :func:`s3_client_config`) so
        SlowDown/503 answers are retried with backoff.
    :param options: what to convert and how (:class:`~airflow_glue_flow.encoding.options.ConversionOptions`).
    :param chunk_size: bytes decoded per step.
    :param on_result: called (in the calling thread) with each object's result as it finishes.
    :return: the report; the caller decides whether failed objects fail the run.
    """
    bucket, source_prefix, keys, max_workers = (
        options.bucket,
        options.source_prefix,
        options.keys,
        options.max_workers,
    )
    target_prefix, archive_prefix = options.target_prefix, options.archive_prefix
    check_codecs(options.source_encoding, options.target_encoding, options.errors)
    check_prefixes(source_prefix, target_prefix, archive_prefix)
    if max_workers < 1:
        raise ValueError("max_workers must be at least 1")
    outside = [key for key in keys or () if not key.startswith(source_prefix) or key == source_prefix]
    if outside:
        raise ValueError(f"keys not under source_prefix {source_prefix!r}: {outside}")
    settings = Settings(
        bucket,
        options.source_encoding,
        options.target_encoding,
        options.errors,
        options.part_size,
        chunk_size,
        options.replace_target,
    )
    report = ConversionReport(options)
    started = time.perf_counter()
    stale = _stale_uploads(s3_client, bucket, (target_prefix, archive_prefix))

    def work(obj: dict[str, Any]) -> ObjectResult:
        key = obj["Key"]
        rest = key[len(source_prefix) :]
        target_key, archive_key = target_prefix + rest, archive_prefix + rest
        begun = time.perf_counter()
        try:
            outputs = (target_key, archive_key)
            for out_key in (*outputs, *(versioned_key(k, obj["ETag"]) for k in outputs)):
                for upload_id in stale.pop(out_key, ()):  # once: the probe may convert an object again
                    s3_client.abort_multipart_upload(Bucket=bucket, Key=out_key, UploadId=upload_id)
            return convert_object(s3_client, settings, key, obj["Size"], obj["ETag"], target_key, archive_key)
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
        items = [(r.key, r.source_etag) for r in to_delete]
        problems = delete_sources(s3_client, bucket, items, settings.conditions)
        for result in to_delete:
            if result.key in problems:
                result.status, result.reason = "failed", problems[result.key]
            finish(result)
        to_delete.clear()

    def collect(obj: dict[str, Any], result: ObjectResult) -> None:
        nonlocal oldest
        if result.status == "converted" and settings.conditions is None:
            # Learn what the store honours on the run's first converted copy, before any delete; the
            # objects converting meanwhile look before they write, as on a store that honours nothing.
            settings.conditions, deleted = probe_conditions(
                s3_client, bucket, result.target_key, result.bytes_out, options.part_size
            )
            if deleted:  # the store ignored the delete probe's ETag: write the converted copy again
                result = work(obj)
        if result.status != "converted" or not options.delete_source:
            finish(result)
            return
        if not to_delete:
            oldest = time.monotonic()
        to_delete.append(result)
        if len(to_delete) >= batch_limit or time.monotonic() - oldest > DELETE_BATCH_SECONDS:
            flush_deletes()

    in_flight: dict[Future[ObjectResult], dict[str, Any]] = {}

    def settle(done: set[Future[ObjectResult]]) -> None:
        for future in done:
            collect(in_flight.pop(future), future.result())

    with ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="glueflow-convert") as pool:

        def gone(key: str) -> None:
            reason = "no longer exists: converted by an earlier run, or deleted"
            finish(ObjectResult(key=key, status="skipped", reason=reason))

        listing = (
            _list_objects(s3_client, bucket, source_prefix)
            if keys is None
            else _named_objects(s3_client, bucket, list(dict.fromkeys(keys)), gone)
        )
        for obj in listing:
            marker = folder_marker(obj["Key"], obj["Size"], source_prefix)
            if marker:
                finish(ObjectResult(key=obj["Key"], status="skipped", reason=marker))
                continue
            # Bounded look-ahead keeps memory flat for prefixes with millions of keys.
            if len(in_flight) >= max_workers * 4:
                settle(wait(in_flight, return_when=FIRST_COMPLETED).done)
            in_flight[pool.submit(work, obj)] = obj
        while in_flight:
            settle(wait(in_flight, return_when=FIRST_COMPLETED).done)
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
