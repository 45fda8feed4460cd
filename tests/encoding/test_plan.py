"""convert_prefix against moto in-process: mapping, failures, the key scheme, crash-and-rerun convergence.

The ``s3`` fixture is a store without conditional deletes (tests/support/fakes.store_ignoring_conditional_deletes),
so here the converter must keep every source and report it. The delete path runs against the local
Glue over HTTP, which honours them like S3: tests/encoding/test_plan_local_glue.py.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from airflow_glue_flow.encoding.keys import versioned_key
from airflow_glue_flow.encoding.options import ConversionOptions
from airflow_glue_flow.encoding.plan import convert_prefix, s3_client_config
from airflow_glue_flow.encoding.steps import SOURCE_ETAG_METADATA
from airflow_glue_flow.encoding.store import probe_conditions
from tests.encoding.conversions import (
    MARKERS,
    SOURCES,
    contents,
    convert,
    crash_at_every_call_then_rerun,
    etag,
    expected,
    open_uploads,
    put,
)
from tests.support.fakes import store_ignoring_conditional_deletes

BUCKET = "conv-bucket"


@pytest.fixture
def s3():
    with mock_aws(), store_ignoring_conditional_deletes():
        client = boto3.client("s3", region_name="us-east-1", config=s3_client_config(4))
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_converts_and_archives_with_literal_prefix_and_non_ascii_keys(s3):
    put(s3, BUCKET, {**MARKERS, **SOURCES})
    seen = []
    report = convert(s3, BUCKET, on_result=seen.append, delete_source=False)
    assert contents(s3, BUCKET) == expected(SOURCES, kept=True)
    assert report.ok
    data = report.to_dict()
    assert data["objects_converted"] == 3
    assert {o["key"] for o in data["skipped"]} == set(MARKERS)
    assert data["bytes_in"] == sum(len(b) for b in SOURCES.values())
    assert data["bytes_out"] == sum(len(b.decode("cp932").encode()) for b in SOURCES.values())
    assert sorted(r.key for r in seen) == sorted([*SOURCES, *MARKERS])
    head = s3.head_object(Bucket=BUCKET, Key="utf8/a.csv")
    assert head["Metadata"][SOURCE_ETAG_METADATA] == etag(s3, BUCKET, "org/a.csv")


def test_store_ignoring_conditional_deletes_keeps_every_source_and_says_why(s3):
    # The defect: a store that ignores the per-key ETag would delete a newer version blind.
    put(s3, BUCKET, SOURCES)
    deleted: list[str] = []
    s3.meta.events.register(
        "before-parameter-build.s3.DeleteObjects",
        lambda params, **kw: deleted.extend(o["Key"] for o in params["Delete"]["Objects"]),
    )
    s3.meta.events.register("before-call.s3.DeleteObject", lambda **kw: deleted.append("DeleteObject"))
    report = convert(s3, BUCKET)
    assert contents(s3, BUCKET) == expected(SOURCES, markers={}, kept=True)
    assert set(report.failed_keys) == set(SOURCES)
    assert all(
        "the store does not delete conditionally" in reason and "the source was kept" in reason
        for reason in report.failed_keys.values()
    )
    # The store deletes on a wrong ETag (an older botocore cannot even send it): no conditional delete.
    assert all(
        "DeleteObjects with a per-key ETag deleted on a wrong ETag" in r for r in report.failed_keys.values()
    )
    # Only the probe deleted: one converted copy, which the run then wrote again (contents above).
    assert len(deleted) == 1 and deleted[0].startswith("utf8/")


def test_probe_on_a_store_ignoring_conditional_deletes_says_so_and_that_it_deleted(s3):
    s3.put_object(Bucket=BUCKET, Key="utf8/a.csv", Body=b"converted")
    conditions, deleted = probe_conditions(s3, BUCKET, "utf8/a.csv", 9, part_size=1024)
    assert not conditions.conditional_delete and deleted
    assert "DeleteObjects with a per-key ETag deleted on a wrong ETag" in conditions.why_not
    assert contents(s3, BUCKET) == {}


def test_probe_never_writes_beside_the_conversions_own_objects(s3):
    # The defect: the probe put "<archive_prefix>/.glueflow-probe/<uuid>" into the user's archive prefix,
    # and a crash before its delete left it there for good. It now writes only the converted copy it
    # probes, with its own bytes (or deletes it, on a store that ignores the ETag, and the run rewrites it).
    put(s3, BUCKET, SOURCES)
    written: list[str] = []
    for operation in ("PutObject", "CopyObject", "CreateMultipartUpload"):
        s3.meta.events.register(
            f"before-parameter-build.s3.{operation}", lambda params, **kw: written.append(params["Key"])
        )
    report = convert(s3, BUCKET, delete_source=False)
    assert report.ok, report.failed_keys
    assert contents(s3, BUCKET) == expected(SOURCES, markers={}, kept=True)
    outputs = set(expected(SOURCES, markers={}))
    assert written and set(written) <= outputs


def test_botocore_that_cannot_send_per_key_etags_deletes_nothing(s3, monkeypatch):
    put(s3, BUCKET, {"in+(0)/a.csv": b"abc"})
    # An older botocore's S3 model: ObjectIdentifier without the ETag member. The loaded model is shared
    # by every botocore session of the run (tests/conftest.py), so only this client's copy loses it.
    resolver = s3.meta.service_model._shape_resolver
    shapes = dict(resolver._shape_map)
    members = dict(shapes["ObjectIdentifier"]["members"])
    del members["ETag"]
    shapes["ObjectIdentifier"] = {**shapes["ObjectIdentifier"], "members": members}
    monkeypatch.setattr(resolver, "_shape_map", shapes)
    report = convert(s3, BUCKET)
    assert "this botocore cannot send DeleteObjects with a per-key ETag" in report.failed_keys["in+(0)/a.csv"]
    assert contents(s3, BUCKET)["in+(0)/a.csv"] == b"abc"


def test_prefix_with_regex_characters_is_not_a_pattern(s3):
    # With re.sub the prefix "in+(0)/" would not match itself and keys would keep it.
    put(s3, BUCKET, {"in+(0)/x.csv": b"x", "inn0/y.csv": b"y", "in0/z.csv": b"z"})
    convert(s3, BUCKET, delete_source=False)
    assert set(contents(s3, BUCKET)) == {"in+(0)/x.csv", "utf8/x.csv", "org/x.csv", "inn0/y.csv", "in0/z.csv"}


def test_strict_failure_leaves_that_object_alone_and_converts_the_others(s3):
    bad = {"in+(0)/bad.csv": b"head\r\n\x82\xff tail"}
    put(s3, BUCKET, {**SOURCES, **bad})
    report = convert(s3, BUCKET, delete_source=False)
    assert set(report.failed_keys) == {"in+(0)/bad.csv"}
    reason = report.failed_keys["in+(0)/bad.csv"]
    assert "byte offset 6" in reason and "\\x82" in reason
    assert contents(s3, BUCKET) == {**expected(SOURCES, markers={}, kept=True), **bad}


def test_strict_failure_in_a_multipart_output_aborts_the_upload(s3, monkeypatch):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 64)
    bad = {"in+(0)/big.csv": "あいう\r\n".encode("cp932") * 400 + b"\x82\xff"}
    put(s3, BUCKET, bad)
    calls = []
    s3.meta.events.register("before-call.s3.UploadPart", lambda **kw: calls.append(1))
    report = convert(s3, BUCKET, part_size=256, chunk_size=128)
    assert calls, "the output should have gone multipart before the bad byte"
    assert set(report.failed_keys) == {"in+(0)/big.csv"}
    assert f"byte offset {len(bad['in+(0)/big.csv']) - 2}" in report.failed_keys["in+(0)/big.csv"]
    assert contents(s3, BUCKET) == bad
    assert open_uploads(s3, BUCKET) == []


def test_replace_converts_and_counts(s3):
    put(s3, BUCKET, {"in+(0)/bad.csv": b"a\x82 b"})
    report = convert(s3, BUCKET, errors="replace", delete_source=False)
    assert report.ok
    assert report.to_dict()["replacements"] == 1
    assert contents(s3, BUCKET)["utf8/bad.csv"] == "a\ufffd b".encode()


def test_large_object_goes_multipart_both_ways_and_round_trips(s3, monkeypatch):
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 64)
    body = ("①㈱髙～,ｱｲｳ\r\n" * 3000).encode("cp932")
    put(s3, BUCKET, {"in+(0)/big.csv": body})
    calls: list[str] = []
    s3.meta.events.register("before-call.s3.*", lambda model, **kw: calls.append(model.name))
    report = convert(s3, BUCKET, part_size=4096, chunk_size=1000, delete_source=False)
    assert report.ok, report.failed_keys
    assert calls.count("UploadPart") > 1
    assert "UploadPartCopy" in calls
    assert contents(s3, BUCKET) == {
        "in+(0)/big.csv": body,
        "utf8/big.csv": body.decode("cp932").encode("utf-8"),
        "org/big.csv": body,
    }
    assert etag(s3, BUCKET, "org/big.csv").endswith("-1")


def test_source_overwritten_mid_conversion_is_not_archived_as_the_converted_bytes(s3):
    put(s3, BUCKET, {"in+(0)/a.csv": b"old"})
    old = etag(s3, BUCKET, "in+(0)/a.csv")

    def overwrite(params, **kwargs):
        if params["Key"] == "org/a.csv":  # the archive copy (not the store probe's)
            s3.meta.events.unregister("before-parameter-build.s3.CopyObject", overwrite)
            s3.put_object(Bucket=BUCKET, Key="in+(0)/a.csv", Body=b"new!")

    s3.meta.events.register("before-parameter-build.s3.CopyObject", overwrite)
    report = convert(s3, BUCKET, delete_source=False)
    # S3 refuses the copy (CopySourceIfMatch); moto ignores that header, so here the archive copy holds
    # the new bytes and the checksum comparison reports it.
    reason = report.failed_keys["in+(0)/a.csv"]
    assert "source changed during conversion" in reason or "does not match the source bytes" in reason
    assert contents(s3, BUCKET)["in+(0)/a.csv"] == b"new!"
    assert convert(s3, BUCKET, delete_source=False).ok
    new = etag(s3, BUCKET, "in+(0)/a.csv")
    # utf8/a.csv was made from the old version: the new one is a new object, not a replacement.
    assert contents(s3, BUCKET) == {
        "in+(0)/a.csv": b"new!",
        "utf8/a.csv": b"old",
        versioned_key("utf8/a.csv", new): b"new!",
        "org/a.csv": b"new!",
    }
    assert s3.head_object(Bucket=BUCKET, Key="utf8/a.csv")["Metadata"][SOURCE_ETAG_METADATA] == old


def test_archive_that_does_not_match_is_reported(s3):
    put(s3, BUCKET, {"in+(0)/a.csv": b"abc", "elsewhere/x": b"xyz"})

    def copy_wrong_object(params, **kwargs):
        if params["Key"].startswith("org/a"):
            params["CopySource"] = f"{BUCKET}/elsewhere/x"
            params.pop("CopySourceIfMatch", None)

    s3.meta.events.register("before-parameter-build.s3.CopyObject", copy_wrong_object)
    report = convert(s3, BUCKET)
    assert "archive copy ETag" in report.failed_keys["in+(0)/a.csv"]
    assert contents(s3, BUCKET)["in+(0)/a.csv"] == b"abc"


def test_relanded_file_with_new_bytes_gets_new_keys_and_replaces_nothing(s3):
    put(s3, BUCKET, {"in+(0)/a.csv": "第一版\n".encode("cp932")})
    assert convert(s3, BUCKET, delete_source=False).ok
    s3.delete_object(Bucket=BUCKET, Key="in+(0)/a.csv")  # as the delete would have
    first = contents(s3, BUCKET)
    put(s3, BUCKET, {"in+(0)/a.csv": "第二版\n".encode("cp932")})
    second = etag(s3, BUCKET, "in+(0)/a.csv")
    report = convert(s3, BUCKET, delete_source=False)
    assert report.ok, report.failed_keys
    (result,) = report.converted
    assert (result.target_key, result.archive_key) == (
        versioned_key("utf8/a.csv", second),
        versioned_key("org/a.csv", second),
    )
    state = contents(s3, BUCKET)
    assert {k: state[k] for k in first} == first  # what downstream read and the first original stay
    assert state[result.target_key] == "第二版\n".encode()
    assert state[result.archive_key] == "第二版\n".encode("cp932")
    # A rerun of the same version converges on the same keys.
    assert convert(s3, BUCKET, delete_source=False).converted[0].target_key == result.target_key
    assert contents(s3, BUCKET) == state


def test_replace_target_overwrites_the_converted_copy_but_never_the_archive(s3):
    put(s3, BUCKET, {"in+(0)/a.csv": b"v1\n"})
    assert convert(s3, BUCKET, delete_source=False).ok
    put(s3, BUCKET, {"in+(0)/a.csv": b"v2\n"})
    report = convert(s3, BUCKET, delete_source=False, replace_target=True)
    (result,) = report.converted
    assert result.target_key == "utf8/a.csv"
    assert result.archive_key == versioned_key("org/a.csv", etag(s3, BUCKET, "in+(0)/a.csv"))
    state = contents(s3, BUCKET)
    assert state["utf8/a.csv"] == b"v2\n" and state["org/a.csv"] == b"v1\n"


def test_target_key_written_by_someone_else_is_not_replaced(s3):
    put(s3, BUCKET, {"in+(0)/a.csv": b"mine\n", "utf8/a.csv": b"theirs\n"})
    report = convert(s3, BUCKET, delete_source=False)
    (result,) = report.converted
    assert result.target_key == versioned_key("utf8/a.csv", etag(s3, BUCKET, "in+(0)/a.csv"))
    assert contents(s3, BUCKET)["utf8/a.csv"] == b"theirs\n"


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
        convert_prefix(object(), ConversionOptions(BUCKET, *prefixes))


def test_slowdown_is_retried_with_backoff(s3):
    put(s3, BUCKET, {"in+(0)/a.csv": b"abc"})
    answered = []

    def slow_down(request, **kwargs):
        if not answered:
            answered.append(request.url)
            body = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
            return AWSResponse(request.url, 503, {}, _Raw(body))
        return None

    s3.meta.events.register_first("before-send.s3.PutObject", slow_down)
    report = convert(s3, BUCKET, delete_source=False)
    assert answered
    assert report.ok, report.failed_keys
    assert contents(s3, BUCKET)["utf8/a.csv"] == b"abc"


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **kwargs):
        yield self._body

    def read(self, *args):
        return self._body


@pytest.mark.slow  # two conversions per S3 call of a whole run: the longest of the fast tests otherwise
@pytest.mark.parametrize("multipart", [False, True], ids=["single-part", "multipart"])
def test_crash_before_any_s3_call_then_rerun_converges(s3, monkeypatch, multipart):
    # The delete step's crash points run against the local Glue (test_plan_local_glue.py).
    monkeypatch.setattr("moto.s3.models.S3_UPLOAD_PART_MIN_SIZE", 64)
    sources = dict(SOURCES)
    kwargs = {"max_workers": 1, "delete_source": False}
    if multipart:
        sources = {
            "in+(0)/a.csv": SOURCES["in+(0)/a.csv"],
            "in+(0)/big.csv": ("あいう,①\r\n" * 300).encode("cp932"),
        }
        kwargs.update(part_size=1024, chunk_size=512)
    crash_at_every_call_then_rerun(s3, BUCKET, sources, expected(sources, kept=True), **kwargs)


def test_given_keys_only_those_are_converted_and_a_gone_one_is_skipped(s3):
    # An event-driven run converts the keys S3 reported, not whatever else lies under the prefix.
    put(s3, BUCKET, SOURCES)
    report = convert(
        s3, BUCKET, delete_source=False, keys=["in+(0)/a.csv", "in+(0)/gone.csv", "in+(0)/a.csv"]
    )
    data = report.to_dict()
    assert data["objects_converted"] == 1
    assert [o["key"] for o in data["skipped"]] == ["in+(0)/gone.csv"]
    assert "no longer exists" in data["skipped"][0]["reason"]
    assert (
        s3.get_object(Bucket=BUCKET, Key="utf8/a.csv")["Body"].read()
        == SOURCES["in+(0)/a.csv"].decode("cp932").encode()
    )
    assert "utf8/empty.csv" not in {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_given_keys_outside_the_source_prefix_are_refused_before_any_s3_call(s3):
    with pytest.raises(ValueError, match="keys not under source_prefix"):
        convert(s3, BUCKET, keys=["in+(0)/a.csv", "elsewhere/a.csv"])
