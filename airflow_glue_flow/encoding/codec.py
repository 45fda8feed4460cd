"""Streaming and parallel re-encoding of bytes (e.g. CP932/Shift_JIS to UTF-8) with exact error offsets."""

from __future__ import annotations

import codecs
import io
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from typing import IO, Any, NamedTuple, Protocol

DEFAULT_CHUNK_SIZE = 1 << 20
"""Bytes read from the source per decode step (1 MiB keeps the codec fast and memory flat)."""
ERROR_MODES = ("strict", "replace")

_replacements = threading.local()


def _count_replacement(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _replacements.count = getattr(_replacements, "count", 0) + 1
    return "\ufffd", exc.end


# Same output as the built-in "replace" handler, but counts what it replaced (per thread).
codecs.register_error("glueflow-replace", _count_replacement)


class BinarySink(Protocol):
    """Where :func:`transcode_stream` writes: a binary file object, or anything else with ``write(bytes)``."""

    def write(self, data: bytes, /) -> int: ...


class DecodeFailure(ValueError):
    """The source bytes are not valid in the source encoding (raised with ``errors="strict"``).

    :param encoding: the source encoding.
    :param offset: absolute byte offset of the first invalid byte in the object.
    :param bad_bytes: the invalid byte(s) as the codec reported them.
    :param context: the bytes that follow them (up to 8), to find the spot in a hex dump.
    :param reason: the codec's own explanation.
    """

    def __init__(self, encoding: str, offset: int, bad_bytes: bytes, context: bytes, reason: str) -> None:
        self.encoding = encoding
        self.offset = offset
        self.bad_bytes = bad_bytes
        self.context = context
        self.reason = reason
        super().__init__(
            f"cannot decode as {encoding} at byte offset {offset}: {bad_bytes!r} ({reason}); "
            f"next bytes {context!r}"
        )

    def __reduce__(self) -> tuple[Any, ...]:  # travels back from transcode_file's worker processes
        return type(self), (self.encoding, self.offset, self.bad_bytes, self.context, self.reason)


class TranscodeResult(NamedTuple):
    """What :func:`transcode_stream` did."""

    bytes_read: int
    bytes_written: int
    replacements: int = 0


def check_codecs(source_encoding: str, target_encoding: str, errors: str) -> None:
    for name in (source_encoding, target_encoding):
        try:
            codecs.lookup(name)
        except LookupError:
            raise ValueError(f"unknown encoding {name!r}") from None
    if errors not in ERROR_MODES:
        raise ValueError(f"errors must be one of {ERROR_MODES}, not {errors!r}")


def transcode_stream(
    src: IO[bytes],
    dst: BinarySink,
    source_encoding: str = "cp932",
    target_encoding: str = "utf-8",
    errors: str = "strict",
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    observe: Callable[[bytes], None] | None = None,
) -> TranscodeResult:
    """Re-encode a binary stream chunk by chunk; memory stays flat whatever the stream's length.

    An incremental decoder carries a multibyte character that is split across two chunks over to
    the next chunk, so the output equals a one-shot ``data.decode(...).encode(...)``. Line endings
    and every other byte are kept as the codecs define them.

    :param src: readable binary file object (``read(n)``).
    :param dst: writable binary file object (``write(b)``).
    :param source_encoding: codec name of the input, e.g. ``cp932``, ``shift_jis``, ``euc-jp``,
        ``iso2022_jp``, ``utf-8-sig``.
    :param target_encoding: codec name of the output.
    :param errors: ``strict`` raises :class:`DecodeFailure` naming the byte offset and bytes;
        ``replace`` writes U+FFFD for each invalid sequence and counts them.
    :param chunk_size: bytes read per step.
    :param observe: called with every raw chunk read (used to hash the source on the fly).
    :return: bytes read, bytes written and the number of replacements.
    """
    check_codecs(source_encoding, target_encoding, errors)
    if chunk_size < 1:
        raise ValueError("chunk_size must be positive")
    handler = "strict" if errors == "strict" else "glueflow-replace"
    decoder = codecs.getincrementaldecoder(source_encoding)(handler)
    encoder = codecs.getincrementalencoder(target_encoding)("strict")
    read = written = 0
    _replacements.count = 0
    while True:
        chunk = src.read(chunk_size)
        final = not chunk
        if observe is not None and chunk:
            observe(chunk)
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as exc:
            # exc.object is the decoder's pending bytes followed by this chunk.
            offset = read + exc.start - (len(exc.object) - len(chunk))
            raise DecodeFailure(
                source_encoding,
                offset,
                bytes(exc.object[exc.start : exc.end]),
                bytes(exc.object[exc.end : exc.end + 8]),
                exc.reason,
            ) from None
        read += len(chunk)
        out = encoder.encode(text, final)
        if out:
            dst.write(out)
            written += len(out)
        if final:
            return TranscodeResult(read, written, _replacements.count)


# In these codecs a 0x0A byte is always a line feed, never part of a multibyte character (CP932 and
# Shift_JIS trail bytes are 0x40-0xFC, EUC-JP bytes are >= 0x8E), so text split just after one
# decodes piece by piece exactly as in one go. Stateful codecs (ISO-2022-JP) are not in this set.
LINE_SPLITTABLE = frozenset({"cp932", "shift_jis", "euc_jp", "utf-8", "ascii", "latin-1"})


def _transcode_range(job: tuple[str, int, int, str, str, str]) -> tuple[bytes, int]:
    path, start, end, source_encoding, target_encoding, errors = job
    with open(path, "rb") as src:
        src.seek(start)
        data = src.read(end - start)
    out = io.BytesIO()
    result = transcode_stream(io.BytesIO(data), out, source_encoding, target_encoding, errors, len(data) or 1)
    return out.getvalue(), result.replacements


def _line_ranges(path: str, block_size: int) -> Iterator[tuple[int, int]]:
    """Byte ranges of about ``block_size`` that each end just after a line feed (or at end of file)."""
    size = os.path.getsize(path)
    start = 0
    with open(path, "rb") as src:
        while start < size:
            end = min(start + block_size, size)
            while end < size:
                src.seek(end)
                window = src.read(1 << 16)
                found = window.find(b"\n")
                if found >= 0:
                    end += found + 1
                    break
                end += len(window)
            yield start, min(end, size)
            start = end


def transcode_file(
    src_path: str,
    dst_path: str,
    source_encoding: str = "cp932",
    target_encoding: str = "utf-8",
    errors: str = "strict",
    workers: int = 2,
    block_size: int = 8 << 20,
) -> TranscodeResult:
    """Re-encode a local file on several cores: ranges split just after a line feed decode in parallel.

    Falls back to :func:`transcode_stream` for one worker or codecs not in :data:`LINE_SPLITTABLE`.
    Memory is about ``3 * workers * block_size``.

    :param src_path: input file.
    :param dst_path: output file (overwritten).
    :param workers: processes decoding at the same time.
    :param block_size: approximate bytes per range.
    :raises DecodeFailure: with the absolute byte offset, as :func:`transcode_stream`.
    """
    check_codecs(source_encoding, target_encoding, errors)
    if workers <= 1 or codecs.lookup(source_encoding).name not in LINE_SPLITTABLE:
        with open(src_path, "rb") as src, open(dst_path, "wb") as dst:
            return transcode_stream(src, dst, source_encoding, target_encoding, errors)
    from concurrent.futures import ProcessPoolExecutor

    read = written = replaced = 0
    pending: list[tuple[int, Future[tuple[bytes, int]]]] = []
    with open(dst_path, "wb") as dst, ProcessPoolExecutor(max_workers=workers) as pool:

        def drain(limit: int) -> None:
            nonlocal written, replaced
            while len(pending) > limit:
                start, future = pending.pop(0)
                try:
                    out, count = future.result()
                except DecodeFailure as exc:
                    raise DecodeFailure(
                        exc.encoding, start + exc.offset, exc.bad_bytes, exc.context, exc.reason
                    ) from None
                dst.write(out)
                written += len(out)
                replaced += count

        for start, end in _line_ranges(src_path, block_size):
            job = (src_path, start, end, source_encoding, target_encoding, errors)
            pending.append((start, pool.submit(_transcode_range, job)))
            read += end - start
            drain(workers * 2)
        drain(0)
    return TranscodeResult(read, written, replaced)
