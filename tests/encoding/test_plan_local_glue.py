"""convert_prefix against the local Glue's S3 over HTTP, which honours conditional requests as S3 does.

AWS behaviour these tests rely on:
- conditional deletes (per-key ``ETag`` in DeleteObjects, answered per key with PreconditionFailed):
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
- conditional writes (``If-None-Match: *`` on PutObject and CopyObject) and ``x-amz-copy-source-if-match``:
  https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_glue_flow.encoding.keys import versioned_key
from airflow_glue_flow.encoding.store import PROBE_ETAG, probe_conditions
from tests.encoding.conversions import (
    ARCHIVE,
    MARKERS,
    SOURCE,
    SOURCES,
    contents,
    convert,
    crash_at_every_call_then_rerun,
    etag,
    expected,
    put,
)

pytestmark = pytest.mark.slow


def test_probe_finds_every_condition_honoured(s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="utf8/a.csv", Body=b"converted", Metadata={"k": "v"})
    before = s3_client.head_object(Bucket=bucket, Key="utf8/a.csv")
    conditions, deleted = probe_conditions(s3_client, bucket, "utf8/a.csv", 9, part_size=1024)
    assert (conditions.conditional_delete, conditions.copy_if_none_match, conditions.put_if_none_match) == (
        True,
        True,
        True,
    ), conditions.why_not
    assert not deleted
    # The probed object is untouched, and the probe wrote nothing else.
    assert contents(s3_client, bucket) == {"utf8/a.csv": b"converted"}
    after = s3_client.head_object(Bucket=bucket, Key="utf8/a.csv")
    assert (after["ETag"], after["Metadata"], after["LastModified"]) == (
        before["ETag"],
        before["Metadata"],
        before["LastModified"],
    )


def test_converts_archives_and_deletes_in_one_conditional_batch(s3_client, bucket):
    put(s3_client, bucket, {**MARKERS, **SOURCES})
    batches: list[dict[str, Any]] = []
    s3_client.meta.events.register(
        "before-parameter-build.s3.DeleteObjects", lambda params, **kw: batches.append(params)
    )
    report = convert(s3_client, bucket)
    assert report.ok, report.failed_keys
    assert contents(s3_client, bucket) == expected(SOURCES)
    sources = [b for b in batches if b["Delete"]["Objects"][0]["ETag"] != PROBE_ETAG]
    assert len(sources) == 1
    etags = {o["Key"]: o["ETag"] for o in sources[0]["Delete"]["Objects"]}
    assert etags == {
        key: f'"{etag(s3_client, bucket, ARCHIVE + key.removeprefix(SOURCE))}"' for key in SOURCES
    }


def test_source_overwritten_between_archive_copy_and_delete_is_kept_and_reported(
    local_glue, s3_client, bucket
):
    # The defect: ten sources overwritten after their archive copy were deleted anyway, and the run
    # said "10 converted, 0 failed".
    originals = {f"{SOURCE}f{i}.csv": f"旧{i}\n".encode("cp932") for i in range(10)}
    put(s3_client, bucket, originals)
    other = local_glue.client("s3")  # another writer, re-landing every file during the run
    newer = {key: f"新{key}\n".encode("cp932") for key in originals}

    def overwrite_before_the_delete(params: dict[str, Any], **kwargs: Any) -> None:
        keys = [o["Key"] for o in params["Delete"]["Objects"]]
        if all(key in newer for key in keys):
            put(other, bucket, {key: newer[key] for key in keys})

    s3_client.meta.events.register("before-parameter-build.s3.DeleteObjects", overwrite_before_the_delete)
    report = convert(s3_client, bucket)
    assert report.failed_keys == {
        key: "source was overwritten after it was archived; the new version was kept" for key in originals
    }
    state = contents(s3_client, bucket)
    assert {key: state[key] for key in originals} == newer  # no new version lost
    assert {key: state[ARCHIVE + key.removeprefix(SOURCE)] for key in originals} == originals


def test_store_answering_not_implemented_keeps_the_sources(s3_client, bucket):
    put(s3_client, bucket, {f"{SOURCE}a.csv": b"abc"})
    requests: list[tuple[list[str], list[str]]] = []
    s3_client.meta.events.register(
        "before-parameter-build.s3.DeleteObjects",
        lambda params, **kw: requests.append(
            (
                [o["Key"] for o in params["Delete"]["Objects"]],
                [o["ETag"] for o in params["Delete"]["Objects"]],
            )
        ),
    )

    class _Http:
        status_code = 200

    def not_implemented(**kwargs: Any) -> Any:
        keys, etags = requests[-1]
        if etags == [PROBE_ETAG]:
            return None  # the probe goes to the store
        return _Http(), {"Errors": [{"Key": k, "Code": "NotImplemented", "Message": "no"} for k in keys]}

    s3_client.meta.events.register("before-call.s3.DeleteObjects", not_implemented)
    report = convert(s3_client, bucket)
    assert report.failed_keys == {
        f"{SOURCE}a.csv": "converted and archived, but the source was not deleted: NotImplemented: no"
    }
    assert contents(s3_client, bucket)[f"{SOURCE}a.csv"] == b"abc"


def test_relanded_original_never_overwrites_its_archived_predecessor(s3_client, bucket):
    put(s3_client, bucket, {f"{SOURCE}a.csv": "初版\n".encode("cp932")})
    assert convert(s3_client, bucket).ok
    put(s3_client, bucket, {f"{SOURCE}a.csv": "再版\n".encode("cp932")})
    second = etag(s3_client, bucket, f"{SOURCE}a.csv")
    calls: list[dict[str, Any]] = []
    s3_client.meta.events.register(
        "before-parameter-build.s3.CopyObject", lambda params, **kw: calls.append(params)
    )
    report = convert(s3_client, bucket)
    assert report.ok, report.failed_keys
    # A run's first object converts before the store probe (which runs on its converted copy) says what
    # the store honours: it looks before it copies, finds the plain archive key holding the earlier
    # original, and copies to the versioned key. (The probe's copy, the converted copy onto itself, replaces its metadata.)
    assert [(c["Key"], c.get("IfNoneMatch")) for c in calls if "MetadataDirective" not in c] == [
        (versioned_key(f"{ARCHIVE}a.csv", second), None),
    ]
    assert contents(s3_client, bucket) == {
        "utf8/a.csv": "初版\n".encode(),
        versioned_key("utf8/a.csv", second): "再版\n".encode(),
        f"{ARCHIVE}a.csv": "初版\n".encode("cp932"),
        versioned_key(f"{ARCHIVE}a.csv", second): "再版\n".encode("cp932"),
    }


def test_crash_before_any_s3_call_then_rerun_converges_and_deletes(s3_client, bucket):
    crash_at_every_call_then_rerun(s3_client, bucket, SOURCES, expected(SOURCES), max_workers=1)
