"""S3 conditional requests that moto leaves out, checked and acted on as one step per key.

moto answers If-Match / If-None-Match on GetObject, HeadObject, PutObject and DeleteObject itself, but
ignores ``x-amz-copy-source-if-match`` (and the two date conditions) on CopyObject, the destination's
If-Match / If-None-Match on CopyObject, and the per-key ``ETag`` in DeleteObjects. This WSGI layer adds
them with S3's error codes, and holds a per-key lock around every object write, so that a condition
checked here or in moto still holds when the write lands (S3's conditional writes are atomic; moto's
check-then-write is not under a threaded server).
"""

from __future__ import annotations

import io
import os
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

from glue_flow_local.protocol.auth import access_key_of
from glue_flow_local.protocol.errors import S3Error

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
ObjectId = tuple[str, str]

_S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_PRECONDITION_FAILED = "At least one of the pre-conditions you specified did not hold"
_NO_SUCH_KEY = "The specified key does not exist."
# Headers that describe the original DeleteObjects body, which no longer holds after keys are removed.
_BODY_DIGEST_HEADERS = ("HTTP_CONTENT_MD5", "HTTP_X_AMZ_SDK_CHECKSUM_ALGORITHM")


def precondition_failed(condition: str) -> S3Error:
    """S3's 412 for one failed condition header."""
    return S3Error("PreconditionFailed", _PRECONDITION_FAILED, 412, Condition=condition)


def no_such_key(key: str) -> S3Error:
    """S3's 404 for a missing key."""
    return S3Error("NoSuchKey", _NO_SUCH_KEY, 404, Key=key)


class KeyLocks:
    """A fixed set of locks striped by (bucket, key): bounded memory however many keys are written.

    :param stripes: how many locks; two keys share one with probability ``1/stripes``.
    """

    def __init__(self, stripes: int = 256) -> None:
        self._locks = [threading.Lock() for _ in range(stripes)]

    @contextmanager
    def holding(self, objects: Iterable[ObjectId]) -> Iterator[None]:
        """Hold the locks of every object; taken in one global order so two batches cannot deadlock."""
        chosen = [self._locks[i] for i in sorted({hash(o) % len(self._locks) for o in objects})]
        for lock in chosen:
            lock.acquire()
        try:
            yield
        finally:
            for lock in reversed(chosen):
                lock.release()


def same_etag(given: str, current: str) -> bool:
    """Compare ETags as S3 does: with or without the surrounding quotes."""
    return given.strip().strip('"') == current.strip().strip('"')


class S3Preconditions:
    """WSGI middleware in front of moto's S3 that adds the missing preconditions and per-key locking.

    :param inner: the WSGI application that serves S3 (moto).
    """

    def __init__(self, inner: WsgiApp) -> None:
        self._inner = inner
        self.locks = KeyLocks()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if environ.get("HTTP_X_AMZ_TARGET") or method not in ("PUT", "POST", "DELETE"):
            return self._inner(environ, start_response)
        bucket, key = _path_object(environ)
        if not bucket:
            return self._inner(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        try:
            if not key and method == "POST" and "delete" in query:
                return self._delete_objects(environ, start_response, bucket)
            if not key:
                return self._inner(environ, start_response)
            copy = method == "PUT" and "HTTP_X_AMZ_COPY_SOURCE" in environ
            source = _copy_source(environ["HTTP_X_AMZ_COPY_SOURCE"]) if copy else None
            # A copy holds its source's lock too, so the source cannot change between check and copy.
            held = [(bucket, key)] + ([source[:2]] if source else [])
            with self.locks.holding(held):
                if source is not None:
                    self._check_copy(environ, bucket, key, source, part="uploadId" in query)
                # Consumed under the lock: the write is done when the lock is released.
                return [b"".join(self._inner(environ, start_response))]
        except S3Error as refusal:
            return refusal.respond(start_response)

    def _check_copy(
        self,
        environ: dict[str, Any],
        bucket: str,
        key: str,
        source: tuple[str, str, str | None],
        *,
        part: bool,
    ) -> None:
        """CopyObject's (and UploadPartCopy's) source conditions, then CopyObject's destination ones."""
        current_source = _current(environ, *source)
        if current_source is not None:
            check_copy_source(environ, current_source.etag, current_source.last_modified)
        if part:
            return
        if_match = environ.get("HTTP_IF_MATCH")
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_match is None and if_none_match is None:
            return
        target = _current(environ, bucket, key, None)
        if if_none_match is not None and target is not None:
            raise precondition_failed("If-None-Match")
        if if_match is not None:
            if target is None:
                raise no_such_key(key)
            if not same_etag(if_match, target.etag):
                raise precondition_failed("If-Match")

    def _delete_objects(
        self, environ: dict[str, Any], start_response: Callable[..., Any], bucket: str
    ) -> Iterable[bytes]:
        """DeleteObjects: keys whose ``ETag`` no longer matches get an Error entry and are kept."""
        body = _read_body(environ)
        try:
            request = ET.fromstring(body)
        except ET.ParseError:
            return self._inner(_with_body(environ, body), start_response)
        objects = [child for child in request if _local(child.tag) == "Object"]
        ids = [(bucket, _text(obj, "Key")) for obj in objects]
        with self.locks.holding(ids):
            refused: list[tuple[str, S3Error]] = []
            for obj in objects:
                etag = _text(obj, "ETag")
                if not etag:
                    continue
                key = _text(obj, "Key")
                current = _current(environ, bucket, key, _text(obj, "VersionId") or None)
                if current is None:
                    refused.append((key, no_such_key(key)))
                elif not same_etag(etag, current.etag):
                    refused.append((key, precondition_failed("If-Match")))
                else:
                    continue
                request.remove(obj)
            if not refused:
                return [b"".join(self._inner(_with_body(environ, body), start_response))]
            to_delete = [child for child in request if _local(child.tag) == "Object"]
            if to_delete:
                deletion = _with_body(environ, _delete_body(request, to_delete))
                status, headers, answer = _call(self._inner, deletion)
            else:
                status, headers, answer = "200 OK", [("Content-Type", "application/xml")], b""
            if not status.startswith("200"):
                start_response(status, headers)
                return [answer]
            payload = _add_errors(answer, refused)
            headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
            start_response(status, [*headers, ("Content-Length", str(len(payload)))])
            return [payload]


def check_copy_source(environ: dict[str, Any], etag: str, last_modified: datetime) -> None:
    """The ``x-amz-copy-source-if-*`` rules of CopyObject, including S3's two documented pairings.

    :raises S3Error: 412 PreconditionFailed naming the condition that failed.
    """
    if_match = environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_MATCH")
    if_none_match = environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_NONE_MATCH")
    unmodified = _date(environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_UNMODIFIED_SINCE"))
    modified = _date(environ.get("HTTP_X_AMZ_COPY_SOURCE_IF_MODIFIED_SINCE"))
    changed_at = _utc(last_modified).replace(microsecond=0)
    if if_match is not None and not same_etag(if_match, etag):
        raise precondition_failed("x-amz-copy-source-If-Match")
    # If-Match true wins over If-Unmodified-Since false.
    if if_match is None and unmodified is not None and changed_at > unmodified:
        raise precondition_failed("x-amz-copy-source-If-Unmodified-Since")
    if if_none_match is not None and same_etag(if_none_match, etag):
        raise precondition_failed("x-amz-copy-source-If-None-Match")
    if modified is not None and changed_at <= modified and if_none_match is None:
        raise precondition_failed("x-amz-copy-source-If-Modified-Since")


def _current(environ: dict[str, Any], bucket: str, key: str, version: str | None) -> Any:
    """moto's current object for a key (None when missing; a missing bucket is left to moto to answer)."""
    from moto.iam.models import get_account_id_from
    from moto.s3.models import s3_backends

    account = os.environ.get("MOTO_ACCOUNT_ID") or get_account_id_from(access_key_of(environ))
    try:
        return s3_backends[account]["aws"].get_object(bucket, key, version_id=version)
    except Exception:  # noqa: BLE001 - moto raises its own MissingBucket/MissingVersion types
        return None


def _path_object(environ: dict[str, Any]) -> tuple[str, str]:
    """(bucket, key) of a path-style request, from the path as it arrived (keys may hold ``%2F``)."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI") or ""
    path = urlparse(raw).path if "://" in raw else raw.split("?", 1)[0]
    if not path:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
    else:
        path = unquote(path)
    bucket, _, key = path.lstrip("/").partition("/")
    return bucket, key


def _copy_source(header: str) -> tuple[str, str, str | None]:
    source, _, query = header.partition("?")
    bucket, _, key = unquote(source).lstrip("/").partition("/")
    version = parse_qs(query).get("versionId", [None])[0]
    return bucket, key, version


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return _utc(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(element: ET.Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return child.text or ""
    return ""


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""


def _with_body(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    changed = {k: v for k, v in environ.items() if k not in _BODY_DIGEST_HEADERS}
    changed = {k: v for k, v in changed.items() if not k.startswith("HTTP_X_AMZ_CHECKSUM_")}
    changed.update({"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    return changed


def _call(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured.update(status=status, headers=headers)

    body = b"".join(app(environ, start_response))
    return captured["status"], list(captured["headers"]), body


def _delete_body(request: ET.Element, objects: Sequence[ET.Element]) -> bytes:
    """A DeleteObjects body for the objects left to delete (Quiet kept)."""
    quiet = _text(request, "Quiet")
    parts = [f"<Quiet>{escape(quiet)}</Quiet>"] if quiet else []
    for obj in objects:
        fields = "".join(
            f"<{name}>{escape(_text(obj, name))}</{name}>"
            for name in ("Key", "VersionId")
            if _text(obj, name)
        )
        parts.append(f"<Object>{fields}</Object>")
    return f'<Delete xmlns="{_S3_NS}">{"".join(parts)}</Delete>'.encode()


def _add_errors(answer: bytes, refused: Sequence[tuple[str, S3Error]]) -> bytes:
    """Append one ``<Error>`` per refused key to moto's DeleteResult (or to a new one)."""
    errors = "".join(
        f"<Error><Key>{escape(key)}</Key><Code>{refusal.code}</Code><Message>{escape(refusal.message)}</Message></Error>"
        for key, refusal in refused
    ).encode()
    end = answer.rfind(b"</DeleteResult>")
    if end < 0:
        head = f'<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="{_S3_NS}">'.encode()
        return head + errors + b"</DeleteResult>"
    return answer[:end] + errors + answer[end:]
