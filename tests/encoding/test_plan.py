"""convert_prefix against moto: mapping, failures, conditional steps, and crash-and-rerun convergence."""

from __future__ import annotations

import contextlib

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from airflow_glue_flow.encoding.plan import convert_prefix, s3_client_config
from airflow_glue_flow.encoding.steps import SOURCE_ETAG_METADATA

BUCKET = "conv-bucket"

# ---------------------------------------------------------------------------------- S3 helpers

SOURCES = {
    "in+(0)/a.csv": "id,名前\r\n1,①㈱髙～\r\n".encode("cp932"),
    "in+(0)/日本語/b.csv": "ｶﾀｶﾅ\n".encode("cp932"),
    "in+(0)/empty.csv": b"",
}
MARKERS = {"in+(0)/": b"", "in+(0)/sub/": b""}


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1", config=s3_client_config(4))
        client.create_bucket(Bucket=BUCKET)
        yield client


def _put(client, objects: dict[str, bytes]) -> None:
    for key, body in objects.items():
        client.put_object(Bucket=BUCKET, Key=key, Body=body)


def _contents(client) -> dict[str, bytes]:
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for o in page.get("Contents", [])
    ]
    return {k: client.get_object(Bucket=BUCKET, Key=k)["Body"].read() for k in keys}


def _expected(sources: dict[str, bytes], markers: dict[str, bytes] = MARKERS) -> dict[str, bytes]:
    end = dict(markers)
    for key, body in sources.items():
        rest = key.removeprefix("in+(0)/")
        end["utf8/" + rest] = body.decode("cp932").encode("utf-8")
        end["org/" + rest] = body
    return end


def _convert(client, **kwargs):
    kwargs.setdefault("max_workers", 4)
    return convert_prefix(client, BUCKET, "in+(0)/", "utf8/", "org/", **kwargs)


def _open_uploads(client) -> list[str]:
    return [u["Key"] for u in client.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]


# ------------------------------------------------------------------------------- convert_prefix


def test_converts_archives_and_deletes_with_literal_prefix_and_non_ascii_keys(s3):
    _put(s3, {**MARKERS, **SOURCES})
    seen = []
    report = _convert(s3, on_result=seen.append)
    assert _contents(s3) == _expected(SOURCES)
    assert report.ok
    data = report.to_dict()
    assert data["objects_converted"] == 3
    assert {o["key"] for o in data["skipped"]} == set(MARKERS)
    assert data["bytes_in"] == sum(len(b) for b in SOURCES.values())
    assert data["bytes_out"] == sum(len(b.decode("cp932").encode()) for b in SOURCES.values())
    assert sorted(r.key for r in seen) == sorted([*SOURCES, *MARKERS])
    head = s3.head_object(Bucket=BUCKET, Key="utf8/a.csv")
    source_etag = s3.head_object(Bucket=BUCKET, Key="org/a.csv")["ETag"].strip('"')
    assert head["Metadata"][SOURCE_ETAG_METADATA] == source_etag


def test_prefix_with_regex_characters_is_not_a_pattern(s3):
    # With re.sub the prefix "in+(0)/" would not match itself and keys would keep it.
    _put(s3, {"in+(0)/x.csv": b"x", "inn0/y.csv": b"y", "in0/z.csv": b"z"})
    _convert(s3)
    assert set(_contents(s3)) == {"utf8/x.csv", "org/x.csv", "inn0/y.csv", "in0/z.csv"}


def test_keep_source_when_delete_source_is_false(s3):
    _put(s3, SOURCES)
    _convert(s3, delete_source=False)
    assert _contents(s3) == {**SOURCES, **_expected(SOURCES, markers={})}


def test_strict_failure_leaves_that_object_alone_and_converts_the_others(s3):
    bad = {"in+(0)/bad.csv": b"head\r\n\x82\xff tail"}
    _put(s3, {**SOURCES, **bad})
    report = _convert(s3)
    assert not report.ok
    assert set(report.failed_keys) == {"in+(0)/bad.csv"}
    reason = report.failed_keys["in+(0)/bad.csv"]
    assert "byte offset 6" in reason and "\\x82" in reason
    assert _contents(s3) == {**_expected(SOURCES, markers={}), **bad}


def test_strict_failure_in_a_multipart_output_aborts_the_upload(s3, monkeypatch):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 64)
    bad = {"in+(0)/big.csv": "あいう\r\n".encode("cp932") * 400 + b"\x82\xff"}
    _put(s3, bad)
    calls = []
    s3.meta.events.register("before-call.s3.UploadPart", lambda **kw: calls.append(1))
    report = _convert(s3, part_size=256, chunk_size=128)
    assert calls, "the output should have gone multipart before the bad byte"
    assert set(report.failed_keys) == {"in+(0)/big.csv"}
    assert f"byte offset {len(bad['in+(0)/big.csv']) - 2}" in report.failed_keys["in+(0)/big.csv"]
    assert _contents(s3) == bad
    assert _open_uploads(s3) == []


def test_replace_converts_and_counts(s3):
    _put(s3, {"in+(0)/bad.csv": b"a\x82 b"})
    report = _convert(s3, errors="replace")
    assert report.ok
    assert report.to_dict()["replacements"] == 1
    assert _contents(s3)["utf8/bad.csv"] == "a\ufffd b".encode()


def test_large_object_goes_multipart_both_ways_and_round_trips(s3, monkeypatch):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 64)
    body = ("①㈱髙～,ｱｲｳ\r\n" * 3000).encode("cp932")
    _put(s3, {"in+(0)/big.csv": body})
    calls: list[str] = []
    s3.meta.events.register("before-call.s3.*", lambda model, **kw: calls.append(model.name))
    report = _convert(s3, part_size=4096, chunk_size=1000)
    assert report.ok, report.failed_keys
    assert calls.count("UploadPart") > 1
    assert "UploadPartCopy" in calls
    assert _contents(s3) == {
        "utf8/big.csv": body.decode("cp932").encode("utf-8"),
        "org/big.csv": body,
    }
    assert s3.head_object(Bucket=BUCKET, Key="org/big.csv")["ETag"].strip('"').endswith("-1")


def test_source_overwritten_mid_conversion_is_kept(s3):
    _put(s3, {"in+(0)/a.csv": b"old"})

    def overwrite(**kwargs):
        s3.meta.events.unregister("before-call.s3.CopyObject", overwrite)
        s3.put_object(Bucket=BUCKET, Key="in+(0)/a.csv", Body=b"new!")

    s3.meta.events.register("before-call.s3.CopyObject", overwrite)
    report = _convert(s3)
    # Real S3 refuses the copy (CopySourceIfMatch); moto ignores that header, so there the archive
    # copy holds the new bytes and the checksum comparison stops the delete.
    reason = report.failed_keys["in+(0)/a.csv"]
    assert "source changed during conversion" in reason or "does not match the source bytes" in reason
    assert _contents(s3)["in+(0)/a.csv"] == b"new!"
    assert _convert(s3).ok
    assert _contents(s3) == {"utf8/a.csv": b"new!", "org/a.csv": b"new!"}


def test_archive_that_does_not_match_blocks_the_delete(s3):
    _put(s3, {"in+(0)/a.csv": b"abc", "elsewhere/x": b"xyz"})

    def copy_wrong_object(params, **kwargs):
        params["CopySource"] = f"{BUCKET}/elsewhere/x"
        params.pop("CopySourceIfMatch", None)

    s3.meta.events.register("before-parameter-build.s3.CopyObject", copy_wrong_object)
    report = _convert(s3)
    assert "archive copy ETag" in report.failed_keys["in+(0)/a.csv"]
    assert _contents(s3)["in+(0)/a.csv"] == b"abc"


@pytest.mark.parametrize(
    ("prefixes", "message"),
    [
        (("in/", "in/utf8/", "org/"), "target_prefix 'in/utf8/' overlaps"),
        (("in/", "utf8/", "in/org/"), "archive_prefix 'in/org/' overlaps"),
        (("", "utf8/", "org/"), "source_prefix '' must not be empty"),
        (("in/", "out/", "out/"), "archive_prefix 'out/' is also the target_prefix"),
        (("se2/in0", "se2/utf8/", "org/"), "source_prefix 'se2/in0' must end with '/'"),
        (("in/", "utf8", "org/"), "target_prefix 'utf8' must end with '/'"),
        (("in/", "utf8/", "org"), "archive_prefix 'org' must end with '/'"),
    ],
)
def test_bad_prefixes_are_refused_before_any_s3_call(prefixes, message):
    with pytest.raises(ValueError, match=message):
        convert_prefix(object(), BUCKET, *prefixes)


def test_slowdown_is_retried_with_backoff(s3):
    _put(s3, {"in+(0)/a.csv": b"abc"})
    answered = []

    def slow_down(request, **kwargs):
        if not answered:
            answered.append(request.url)
            body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            return AWSResponse(request.url, 503, {}, _Raw(body))
        return None

    s3.meta.events.register_first("before-send.s3.PutObject", slow_down)
    report = _convert(s3)
    assert answered
    assert report.ok, report.failed_keys
    assert _contents(s3)["utf8/a.csv"] == b"abc"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs):
        yield self._body

    def read(self, *args):
        return self._body


# ------------------------------------------------------------------------- crash and rerun


class Crash(Exception):
    """The process died: this S3 call and every later one never happen."""


def _crash_after(client, n: int) -> list[str]:
    calls: list[str] = []

    def hook(model, **kwargs):
        calls.append(model.name)
        if len(calls) > n:
            raise Crash(f"crash before call {len(calls)} ({model.name})")

    client.meta.events.register("before-call.s3.*", hook, unique_id="crash")
    return calls


@pytest.mark.parametrize("multipart", [False, True], ids=["single-part", "multipart"])
def test_crash_before_any_s3_call_then_rerun_converges(s3, monkeypatch, multipart):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 64)
    sources = dict(SOURCES)
    kwargs = {"max_workers": 1}
    if multipart:
        sources = {
            "in+(0)/a.csv": SOURCES["in+(0)/a.csv"],
            "in+(0)/big.csv": ("あいう,①\r\n" * 300).encode("cp932"),
        }
        kwargs.update(part_size=1024, chunk_size=512)
    expected = _expected(sources)

    # Count the S3 calls of an undisturbed run on the same starting state.
    _put(s3, {**MARKERS, **sources})
    calls = _crash_after(s3, 10**6)
    assert _convert(s3, **kwargs).ok
    total = len(calls)
    s3.meta.events.unregister("before-call.s3.*", unique_id="crash")
    assert total > 10

    for n in range(total):
        for key in _contents(s3):
            s3.delete_object(Bucket=BUCKET, Key=key)
        _put(s3, {**MARKERS, **sources})
        _crash_after(s3, n)
        with contextlib.suppress(Crash):  # a crash while listing ends the whole run
            _convert(s3, **kwargs)
        s3.meta.events.unregister("before-call.s3.*", unique_id="crash")
        state = _contents(s3)
        # Whatever the crash left, no source byte is lost: each object is in the source or the archive.
        for key, body in sources.items():
            assert state.get(key) == body or state.get("org/" + key.removeprefix("in+(0)/")) == body, (n, key)
        rerun = _convert(s3, **kwargs)
        assert rerun.ok, (n, rerun.failed_keys)
        assert _contents(s3) == expected, n
        assert _open_uploads(s3) == [], n


class _Http:
    status_code = 200


def _answer_delete_objects(client, code: str) -> list[dict]:
    """Make DeleteObjects answer every key with the error ``code`` (without deleting anything)."""
    requests: list[dict] = []
    client.meta.events.register(
        "before-parameter-build.s3.DeleteObjects", lambda params, **kw: requests.append(params)
    )

    def short_circuit(**kwargs):
        keys = requests[-1]["Delete"]["Objects"]
        return _Http(), {"Errors": [{"Key": o["Key"], "Code": code, "Message": code} for o in keys]}

    client.meta.events.register("before-call.s3.DeleteObjects", short_circuit)
    return requests


def test_sources_are_deleted_in_one_conditional_batch(s3):
    _put(s3, SOURCES)
    calls: list[str] = []
    s3.meta.events.register("before-call.s3.*", lambda model, **kw: calls.append(model.name))
    batches: list[dict] = []
    s3.meta.events.register(
        "before-parameter-build.s3.DeleteObjects", lambda params, **kw: batches.append(params)
    )
    assert _convert(s3).ok
    assert calls.count("DeleteObjects") == 1 and "DeleteObject" not in calls
    etags = {o["Key"]: o["ETag"] for o in batches[0]["Delete"]["Objects"]}
    assert set(etags) == set(SOURCES)
    assert etags["in+(0)/a.csv"] == s3.head_object(Bucket=BUCKET, Key="org/a.csv")["ETag"]


def test_delete_falls_back_when_the_store_has_no_conditional_delete(s3):
    _put(s3, {"in+(0)/a.csv": b"abc"})
    _answer_delete_objects(s3, "NotImplemented")
    assert _convert(s3).ok
    assert set(_contents(s3)) == {"utf8/a.csv", "org/a.csv"}


def test_source_overwritten_after_archiving_is_kept_and_reported(s3):
    _put(s3, {"in+(0)/a.csv": b"abc"})
    _answer_delete_objects(s3, "PreconditionFailed")
    report = _convert(s3)
    assert report.failed_keys == {
        "in+(0)/a.csv": "source was overwritten after it was archived; the new version was kept"
    }
    assert _contents(s3)["in+(0)/a.csv"] == b"abc"


def test_older_botocore_without_conditional_batch_delete_still_deletes(s3, monkeypatch):
    _put(s3, {"in+(0)/a.csv": b"abc"})
    model = s3.meta.service_model
    real_shape_for = model.shape_for

    class _NoETag:
        members = {"Key": None, "VersionId": None}

    monkeypatch.setattr(
        model,
        "shape_for",
        lambda name, *a: _NoETag() if name == "ObjectIdentifier" else real_shape_for(name, *a),
    )
    batches: list[dict] = []
    s3.meta.events.register(
        "before-parameter-build.s3.DeleteObjects", lambda params, **kw: batches.append(params)
    )
    assert _convert(s3).ok
    assert batches[0]["Delete"]["Objects"] == [{"Key": "in+(0)/a.csv"}]
    assert set(_contents(s3)) == {"utf8/a.csv", "org/a.csv"}
