"""Shared data and helpers of the convert_prefix tests (moto in-process and the local Glue over HTTP)."""

from __future__ import annotations

from typing import Any

from airflow_glue_flow.encoding.options import ConversionOptions
from airflow_glue_flow.encoding.plan import convert_prefix
from airflow_glue_flow.encoding.report import ConversionReport

SOURCES = {
    "in+(0)/a.csv": "id,名前\r\n1,①㈱髙～\r\n".encode("cp932"),
    "in+(0)/日本語/b.csv": "ｶﾀｶﾅ\n".encode("cp932"),
    "in+(0)/empty.csv": b"",
}
MARKERS = {"in+(0)/": b"", "in+(0)/sub/": b""}
SOURCE, TARGET, ARCHIVE = "in+(0)/", "utf8/", "org/"


def put(client: Any, bucket: str, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        client.put_object(Bucket=bucket, Key=key, Body=body)


def contents(client: Any, bucket: str) -> dict[str, bytes]:
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]
    return {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def expected(
    sources: dict[str, bytes], markers: dict[str, bytes] = MARKERS, *, kept: bool = False
) -> dict[str, bytes]:
    """The bucket after a conversion: converted and archived copies, the sources too when ``kept``."""
    end = {**markers, **(sources if kept else {})}
    for key, body in sources.items():
        rest = key.removeprefix(SOURCE)
        end[TARGET + rest] = body.decode("cp932").encode("utf-8")
        end[ARCHIVE + rest] = body
    return end


def convert(client: Any, bucket: str, **kwargs: Any) -> ConversionReport:
    """Convert SOURCE to TARGET and ARCHIVE; ``kwargs`` are options and ``convert_prefix``'s own arguments."""
    kwargs.setdefault("max_workers", 4)
    own = {name: kwargs.pop(name) for name in ("chunk_size", "on_result") if name in kwargs}
    return convert_prefix(client, ConversionOptions(bucket, SOURCE, TARGET, ARCHIVE, **kwargs), **own)


def open_uploads(client: Any, bucket: str) -> list[str]:
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]


def etag(client: Any, bucket: str, key: str) -> str:
    return client.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')


class Crash(Exception):
    """The process died: this S3 call and every later one never happen."""


def crash_after(client: Any, n: int) -> list[str]:
    """Raise :class:`Crash` before every S3 call after the first ``n``; returns the calls seen."""
    calls: list[str] = []

    def hook(model: Any, **kwargs: Any) -> None:
        calls.append(model.name)
        if len(calls) > n:
            raise Crash(f"crash before call {len(calls)} ({model.name})")

    client.meta.events.register("before-call.s3.*", hook, unique_id="crash")
    return calls


def stop_crashing(client: Any) -> None:
    client.meta.events.unregister("before-call.s3.*", unique_id="crash")


def crash_at_every_call_then_rerun(
    client: Any, bucket: str, sources: dict[str, bytes], end: dict[str, bytes], **kwargs: Any
) -> int:
    """Crash a run before each of its S3 calls in turn; check no source byte is lost and a rerun gives ``end``.

    :return: the number of S3 calls of an undisturbed run (each was a crash point).
    """
    import contextlib

    put(client, bucket, {**MARKERS, **sources})
    calls = crash_after(client, 10**6)
    assert convert(client, bucket, **kwargs).ok
    total = len(calls)
    stop_crashing(client)
    assert total > 10
    for n in range(total):
        for key in contents(client, bucket):
            client.delete_object(Bucket=bucket, Key=key)
        put(client, bucket, {**MARKERS, **sources})
        crash_after(client, n)
        with contextlib.suppress(Crash):  # a crash while listing ends the whole run
            convert(client, bucket, **kwargs)
        stop_crashing(client)
        state = contents(client, bucket)
        # Whatever the crash left, no source byte is lost: each object is in the source or the archive.
        for key, body in sources.items():
            assert state.get(key) == body or state.get(ARCHIVE + key.removeprefix(SOURCE)) == body, (n, key)
        # And nothing but the conversion's own objects: no probe or scratch object a rerun may never see
        # (a run that finds no source does not look for it), each output whole or absent.
        left = {key: body for key, body in state.items() if key not in sources}
        assert {key: end.get(key) for key in left} == left, n
        rerun = convert(client, bucket, **kwargs)
        assert rerun.ok, (n, rerun.failed_keys)
        assert contents(client, bucket) == end, n
        assert open_uploads(client, bucket) == [], n
    return total
