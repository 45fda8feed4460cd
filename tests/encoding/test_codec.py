"""The streaming transcoder and the parallel file transcoder."""

from __future__ import annotations

import codecs
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_glue_flow.encoding.codec import DecodeFailure, TranscodeResult, transcode_file, transcode_stream

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


# ------------------------------------------------------------------------- parallel file path


@pytest.mark.parametrize("workers", [1, 2])
def test_transcode_file_on_two_cores_equals_a_one_shot_decode(tmp_path, workers):
    text = "".join(f"{i},①㈱髙～ｱｲｳ,{'x' * (i % 97)}\r\n" for i in range(3000)) + "no final newline ①"
    src = tmp_path / "in.csv"
    src.write_bytes(text.encode("cp932"))
    result = transcode_file(str(src), str(tmp_path / "out.csv"), workers=workers, block_size=4096)
    assert (tmp_path / "out.csv").read_bytes() == text.encode("utf-8")
    assert result.bytes_read == src.stat().st_size


def test_transcode_file_reports_the_absolute_offset_from_a_worker(tmp_path):
    good = "あいう,①\n".encode("cp932") * 2000
    src = tmp_path / "in.csv"
    src.write_bytes(good + b"ok\x82\n" + good)
    with pytest.raises(DecodeFailure) as info:
        transcode_file(str(src), str(tmp_path / "out.csv"), workers=2, block_size=1000)
    assert info.value.offset == len(good) + 2
    assert info.value.bad_bytes == b"\x82"


def test_transcode_file_keeps_stateful_codecs_in_one_piece(tmp_path):
    text = "日本語\n" * 500
    src = tmp_path / "in.txt"
    src.write_bytes(text.encode("iso2022_jp"))
    transcode_file(str(src), str(tmp_path / "out.txt"), "iso2022_jp", workers=2, block_size=64)
    assert (tmp_path / "out.txt").read_text("utf-8") == text
