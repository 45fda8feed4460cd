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
from airflow_glue_flow.encoding.store import PROBE_FOLDER, probe_conditions
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
    conditions = probe_conditions(s3_client, bucket, ARCHIVE)
    assert (conditions.conditional_delete, conditions.copy_if_none_match, conditions.put_if_none_match) == (
        True,
        True,
        True,
    ), conditions.why_not
    assert contents(s3_client, bucket) == {}  # the probe leaves nothing behind


def test_converts_archives_and_deletes_in_one_conditional_batch(s3_client, bucket):
    put(s3_client, bucket, {**MARKERS, **SOURCES})
    batches: list[dict[str, Any]] = []
    s3_client.meta.events.register(
        "before-parameter-build.s3.DeleteObjects", lambda params, **kw: batches.append(params)
    )
    report = convert(s3_client, bucket)
    assert report.ok, report.failed_keys
    assert contents(s3_client, bucket) == expected(SOURCES)
    sources = [b for b in batches if not b["Delete"]["Objects"][0]["Key"].startswith(ARCHIVE + PROBE_FOLDER)]
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
    requests: list[list[str]] = []
    s3_client.meta.events.register(
        "before-parameter-build.s3.DeleteObjects",
        lambda params, **kw: requests.append([o["Key"] for o in params["Delete"]["Objects"]]),
    )

    class _Http:
        status_code = 200

    def not_implemented(**kwargs: Any) -> Any:
        keys = requests[-1]
        if keys[0].startswith(ARCHIVE + PROBE_FOLDER):
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
    # The plain archive key was tried with If-None-Match and refused, then the versioned key was used.
    assert [
        (c["Key"], c.get("IfNoneMatch")) for c in calls if not c["Key"].startswith(ARCHIVE + PROBE_FOLDER)
    ] == [
        (f"{ARCHIVE}a.csv", "*"),
        (versioned_key(f"{ARCHIVE}a.csv", second), "*"),
    ]
    assert contents(s3_client, bucket) == {
        "utf8/a.csv": "初版\n".encode(),
        versioned_key("utf8/a.csv", second): "再版\n".encode(),
        f"{ARCHIVE}a.csv": "初版\n".encode("cp932"),
        versioned_key(f"{ARCHIVE}a.csv", second): "再版\n".encode("cp932"),
    }


def test_crash_before_any_s3_call_then_rerun_converges_and_deletes(s3_client, bucket):
    crash_at_every_call_then_rerun(s3_client, bucket, SOURCES, expected(SOURCES), max_workers=1)
