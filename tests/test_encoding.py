"""The streaming transcoder and the S3 prefix conversion (moto), including crash-and-rerun convergence."""

from __future__ import annotations

import codecs
import contextlib
import io

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from airflow_glue_flow import encoding
from airflow_glue_flow.encoding import (
    DecodeFailure,
    TranscodeResult,
    convert_prefix,
    s3_client_config,
    transcode_stream,
)

BUCKET = "conv-bucket"
# NEC special characters, NEC-selected IBM extensions, IBM extensions, and the CP932 mappings that
# differ from JIS (wave dash -> FULLWIDTH TILDE, minus, double vertical line, ...).
TRICKY = "①⑳Ⅰⅹⅰ㍉㌔㈱㈲№℡∮∑≒≡∫√⊥∠∟⊿∵∩∪髙﨑德ⅰ￢￤＇＂～－∥￠￡￢―ｱｶﾞﾟ｡｢｣､･\t\r\n"


def _cp932_repertoire() -> list[str]:
    chars = []
    for cp in range(0x10000):
        c = chr(cp)
        try:
            if c.encode("cp932").decode("cp932") == c:
                chars.append(c)
        except UnicodeError:
            pass
    return chars


CP932_CHARS = _cp932_repertoire()


class Trickle(io.RawIOBase):
    """A source that returns at most ``step`` bytes per read, like a slow network stream."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self._step = step

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._step if n < 0 else min(n, self._step)
        out = bytes(self._data[self._pos : self._pos + n])
        self._pos += len(out)
        return out


def _transcode(data: bytes, **kwargs) -> tuple[bytes, TranscodeResult]:
    out = io.BytesIO()
    result = transcode_stream(io.BytesIO(data), out, **kwargs)
    return out.getvalue(), result


# ---------------------------------------------------------------------------------- transcoder


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(CP932_CHARS), max_size=300),
    chunk_size=st.integers(min_value=1, max_value=64),
)
def test_any_cp932_text_at_any_chunk_size_equals_a_one_shot_decode(text, chunk_size):
    data = text.encode("cp932")
    out, result = _transcode(data, chunk_size=chunk_size)
    assert out == data.decode("cp932").encode("utf-8")
    assert result == TranscodeResult(len(data), len(out), 0)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 20])
def test_tricky_repertoire_round_trips_as_pythons_codec_defines(chunk_size):
    data = TRICKY.encode("cp932")
    out, _ = _transcode(data, chunk_size=chunk_size)
    assert out.decode("utf-8") == TRICKY
    assert "～".encode("cp932") == b"\x81\x60"  # the wave dash byte pair
    assert out.decode("utf-8").encode("cp932") == data


def test_line_endings_are_kept_byte_for_byte():
    data = "a\r\nｲ\nb\rc\r\n\r\n".encode("cp932")
    out, _ = _transcode(data, chunk_size=1)
    assert out == b"a\r\n\xef\xbd\xb2\nb\rc\r\n\r\n"


def test_multibyte_character_split_by_a_short_read_is_joined():
    data = ("あ" * 5 + "①").encode("cp932")
    out = io.BytesIO()
    transcode_stream(Trickle(data, 3), out, chunk_size=1024)
    assert out.getvalue().decode("utf-8") == "あ" * 5 + "①"


@pytest.mark.parametrize(
    ("source_encoding", "text"),
    [
        ("shift_jis", "日本語のテキスト\r\n"),
        ("euc-jp", "日本語のテキスト\n"),
        ("iso2022_jp", "日本語 and ASCII 混在\n"),
        ("cp932", "①㈱髙～\n"),
    ],
)
def test_other_japanese_sources(source_encoding, text):
    data = text.encode(source_encoding)
    for chunk_size in (1, 2, 5, 1 << 16):
        out, _ = _transcode(data, source_encoding=source_encoding, chunk_size=chunk_size)
        assert out.decode("utf-8") == text


def test_utf8_sig_source_drops_the_bom():
    data = codecs.BOM_UTF8 + "日本\n".encode()
    out, _ = _transcode(data, source_encoding="utf-8-sig", chunk_size=2)
    assert out == "日本\n".encode()


@pytest.mark.parametrize(
    ("data", "offset", "bad"),
    [
        (b"abc\x82\xffdef", 3, b"\x82"),  # lead byte with an impossible trail byte
        (b"ok\n\x81\n", 3, b"\x81"),  # a line feed is never a trail byte
        (b"ab" + "あ".encode("cp932")[:1], 2, b"\x82"),  # truncated at end of stream
        (b"\xfc\x20", 0, b"\xfc"),
    ],
)
@pytest.mark.parametrize("chunk_size", [1, 2, 1 << 20])
def test_strict_names_the_absolute_offset_and_bytes(data, offset, bad, chunk_size):
    with pytest.raises(DecodeFailure) as info:
        _transcode(data, chunk_size=chunk_size)
    assert info.value.offset == offset
    assert info.value.bad_bytes == bad
    assert f"byte offset {offset}" in str(info.value)
    assert repr(bad) in str(info.value)


def test_strict_offset_deep_into_a_long_stream():
    data = "あ".encode("cp932") * 100_000 + b"\x82\xff" + b"x" * 10
    with pytest.raises(DecodeFailure) as info:
        _transcode(data, chunk_size=4097)
    assert info.value.offset == 200_000


def test_replace_writes_fffd_and_counts():
    data = b"a\x82 b\x81\nc" + "あ".encode("cp932")[:1]
    out, result = _transcode(data, errors="replace", chunk_size=1)
    assert out.decode("utf-8") == data.decode("cp932", errors="replace") == "a\ufffd b\ufffd\nc\ufffd"
    assert result.replacements == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source_encoding": "klingon"}, "unknown encoding 'klingon'"),
        ({"target_encoding": "nope"}, "unknown encoding 'nope'"),
        ({"errors": "ignore"}, "errors must be one of"),
        ({"chunk_size": 0}, "chunk_size must be positive"),
    ],
)
def test_bad_transcode_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _transcode(b"abc", **kwargs)


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
    assert head["Metadata"][encoding.SOURCE_ETAG_METADATA] == source_etag


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
        (("in/a", "in/", "org/"), "overlaps source_prefix"),
        (("", "utf8/", "org/"), "source_prefix must not be empty"),
        (("in/", "out/", "out/"), "are both 'out/'"),
    ],
)
def test_overlapping_prefixes_are_refused_before_any_s3_call(prefixes, message):
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


# ------------------------------------------------------------------------- parallel file path


@pytest.mark.parametrize("workers", [1, 2])
def test_transcode_file_on_two_cores_equals_a_one_shot_decode(tmp_path, workers):
    text = "".join(f"{i},①㈱髙～ｱｲｳ,{'x' * (i % 97)}\r\n" for i in range(3000)) + "no final newline ①"
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode("cp932"))
    result = encoding.transcode_file(str(src), str(tmp_path / "out.csv"), workers=workers, block_size=4096)
    assert (tmp_path / "out.csv").read_bytes() == text.encode("utf-8")
    assert result.bytes_read == src.stat().st_size


def test_transcode_file_reports_the_absolute_offset_from_a_worker(tmp_path):
    good = "あいう,①\n".encode("cp932") * 2000
    src = tmp_path / "in.csv"
    src.write_bytes(good + b"ok\x82\n" + good)
    with pytest.raises(DecodeFailure) as info:
        encoding.transcode_file(str(src), str(tmp_path / "out.csv"), workers=2, block_size=1000)
    assert info.value.offset == len(good) + 2
    assert info.value.bad_bytes == b"\x82"


def test_transcode_file_keeps_stateful_codecs_in_one_piece(tmp_path):
    text = "日本語\n" * 500
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("iso2022_jp"))
    encoding.transcode_file(str(src), str(tmp_path / "out.txt"), "iso2022_jp", workers=2, block_size=64)
    assert (tmp_path / "out.txt").read_text("utf-8") == text


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
