"""S3 conditional requests against the local Glue over HTTP, answered as S3 answers them.

S3's rules, per operation:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-requests.html
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.slow


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def _put(s3: Any, bucket: str, key: str, body: bytes) -> str:
    return s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]


def _body(s3: Any, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _exists(s3: Any, bucket: str, key: str) -> bool:
    return s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount", 0) > 0


# GetObject / HeadObject: If-Match mismatch is 412, If-None-Match match is 304.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html#API_GetObject_RequestSyntax


def test_get_if_match_returns_the_object_only_when_the_etag_matches(s3_client: Any, bucket: str) -> None:
    etag = _put(s3_client, bucket, "a.csv", b"one")
    assert s3_client.get_object(Bucket=bucket, Key="a.csv", IfMatch=etag)["Body"].read() == b"one"
    with pytest.raises(ClientError) as excinfo:
        s3_client.get_object(Bucket=bucket, Key="a.csv", IfMatch='"0123"')
    assert _error(excinfo) == ("PreconditionFailed", 412)


def test_get_and_head_if_none_match_on_the_current_etag_is_not_modified(s3_client: Any, bucket: str) -> None:
    etag = _put(s3_client, bucket, "a.csv", b"one")
    for call in (s3_client.get_object, s3_client.head_object):
        with pytest.raises(ClientError) as excinfo:
            call(Bucket=bucket, Key="a.csv", IfNoneMatch=etag)
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert s3_client.get_object(Bucket=bucket, Key="a.csv", IfNoneMatch='"0123"')["Body"].read() == b"one"


# PutObject: If-None-Match "*" refuses an existing key, If-Match a changed one (412), and If-Match on a
# missing key is 404 NoSuchKey.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html#API_PutObject_RequestSyntax


def test_put_if_none_match_star_creates_only_a_new_key(s3_client: Any, bucket: str) -> None:
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"first", IfNoneMatch="*")
    with pytest.raises(ClientError) as excinfo:
        s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"second", IfNoneMatch="*")
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert _body(s3_client, bucket, "a.csv") == b"first"


def test_put_if_match_replaces_only_the_version_the_writer_read(s3_client: Any, bucket: str) -> None:
    old = _put(s3_client, bucket, "a.csv", b"one")
    _put(s3_client, bucket, "a.csv", b"two")
    with pytest.raises(ClientError) as excinfo:
        s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"three", IfMatch=old)
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert _body(s3_client, bucket, "a.csv") == b"two"
    current = s3_client.head_object(Bucket=bucket, Key="a.csv")["ETag"]
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"three", IfMatch=current)
    assert _body(s3_client, bucket, "a.csv") == b"three"


def test_put_if_match_on_a_missing_key_is_no_such_key(s3_client: Any, bucket: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        s3_client.put_object(Bucket=bucket, Key="absent.csv", Body=b"x", IfMatch='"0123"')
    assert _error(excinfo) == ("NoSuchKey", 404)
    assert not _exists(s3_client, bucket, "absent.csv")


# CopyObject: the x-amz-copy-source-if-* headers test the source (412 when they fail), and
# If-Match / If-None-Match test the destination like PutObject.
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html#API_CopyObject_RequestSyntax


def test_copy_source_if_match_copies_only_the_version_the_caller_read(s3_client: Any, bucket: str) -> None:
    old = _put(s3_client, bucket, "src.csv", b"one")
    _put(s3_client, bucket, "src.csv", b"two")
    source = {"Bucket": bucket, "Key": "src.csv"}
    with pytest.raises(ClientError) as excinfo:
        s3_client.copy_object(Bucket=bucket, Key="dst.csv", CopySource=source, CopySourceIfMatch=old)
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert not _exists(s3_client, bucket, "dst.csv")
    current = s3_client.head_object(Bucket=bucket, Key="src.csv")["ETag"]
    s3_client.copy_object(Bucket=bucket, Key="dst.csv", CopySource=source, CopySourceIfMatch=current)
    assert _body(s3_client, bucket, "dst.csv") == b"two"


def test_copy_source_if_none_match_on_the_current_etag_fails(s3_client: Any, bucket: str) -> None:
    etag = _put(s3_client, bucket, "src.csv", b"one")
    with pytest.raises(ClientError) as excinfo:
        s3_client.copy_object(
            Bucket=bucket,
            Key="dst.csv",
            CopySource={"Bucket": bucket, "Key": "src.csv"},
            CopySourceIfNoneMatch=etag,
        )
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert not _exists(s3_client, bucket, "dst.csv")


def test_copy_source_date_conditions_fail_with_412(s3_client: Any, bucket: str) -> None:
    _put(s3_client, bucket, "src.csv", b"one")
    source = {"Bucket": bucket, "Key": "src.csv"}
    past, future = datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC) + timedelta(days=1)
    for condition in ({"CopySourceIfUnmodifiedSince": past}, {"CopySourceIfModifiedSince": future}):
        with pytest.raises(ClientError) as excinfo:
            s3_client.copy_object(Bucket=bucket, Key="dst.csv", CopySource=source, **condition)
        assert _error(excinfo) == ("PreconditionFailed", 412)
    assert not _exists(s3_client, bucket, "dst.csv")
    s3_client.copy_object(Bucket=bucket, Key="dst.csv", CopySource=source, CopySourceIfModifiedSince=past)
    assert _body(s3_client, bucket, "dst.csv") == b"one"


def test_upload_part_copy_checks_the_source_etag(s3_client: Any, bucket: str) -> None:
    """https://docs.aws.amazon.com/AmazonS3/latest/API/API_UploadPartCopy.html#API_UploadPartCopy_RequestSyntax"""
    old = _put(s3_client, bucket, "src.csv", b"one")
    _put(s3_client, bucket, "src.csv", b"two")
    upload = s3_client.create_multipart_upload(Bucket=bucket, Key="dst.csv")["UploadId"]
    with pytest.raises(ClientError) as excinfo:
        s3_client.upload_part_copy(
            Bucket=bucket,
            Key="dst.csv",
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "src.csv"},
            CopySourceIfMatch=old,
        )
    assert _error(excinfo) == ("PreconditionFailed", 412)
    s3_client.abort_multipart_upload(Bucket=bucket, Key="dst.csv", UploadId=upload)


def test_copy_if_none_match_star_never_overwrites_the_destination(s3_client: Any, bucket: str) -> None:
    _put(s3_client, bucket, "src.csv", b"new")
    _put(s3_client, bucket, "dst.csv", b"archived")
    with pytest.raises(ClientError) as excinfo:
        s3_client.copy_object(
            Bucket=bucket, Key="dst.csv", CopySource={"Bucket": bucket, "Key": "src.csv"}, IfNoneMatch="*"
        )
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert _body(s3_client, bucket, "dst.csv") == b"archived"
    s3_client.copy_object(
        Bucket=bucket, Key="fresh.csv", CopySource={"Bucket": bucket, "Key": "src.csv"}, IfNoneMatch="*"
    )
    assert _body(s3_client, bucket, "fresh.csv") == b"new"


def test_copy_if_match_checks_the_destination_etag(s3_client: Any, bucket: str) -> None:
    _put(s3_client, bucket, "src.csv", b"new")
    stale = _put(s3_client, bucket, "dst.csv", b"v1")
    _put(s3_client, bucket, "dst.csv", b"v2")
    source = {"Bucket": bucket, "Key": "src.csv"}
    with pytest.raises(ClientError) as excinfo:
        s3_client.copy_object(Bucket=bucket, Key="dst.csv", CopySource=source, IfMatch=stale)
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert _body(s3_client, bucket, "dst.csv") == b"v2"
    with pytest.raises(ClientError) as excinfo:
        s3_client.copy_object(Bucket=bucket, Key="absent.csv", CopySource=source, IfMatch=stale)
    assert _error(excinfo) == ("NoSuchKey", 404)


# DeleteObject with If-Match: 412 on a changed object, 404 NoSuchKey on a missing one; DeleteObjects
# takes a per-key ETag and reports a failed precondition as that key's Error entry, keeping the object.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-deletes.html
# https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html


def test_delete_if_match_deletes_only_the_version_the_caller_read(s3_client: Any, bucket: str) -> None:
    old = _put(s3_client, bucket, "a.csv", b"one")
    current = _put(s3_client, bucket, "a.csv", b"two")
    with pytest.raises(ClientError) as excinfo:
        s3_client.delete_object(Bucket=bucket, Key="a.csv", IfMatch=old)
    assert _error(excinfo) == ("PreconditionFailed", 412)
    assert _body(s3_client, bucket, "a.csv") == b"two"
    s3_client.delete_object(Bucket=bucket, Key="a.csv", IfMatch=current)
    assert not _exists(s3_client, bucket, "a.csv")
    with pytest.raises(ClientError) as excinfo:
        s3_client.delete_object(Bucket=bucket, Key="a.csv", IfMatch=current)
    assert _error(excinfo) == ("NoSuchKey", 404)


def test_delete_objects_keeps_each_key_whose_etag_changed(s3_client: Any, bucket: str) -> None:
    stale = _put(s3_client, bucket, "changed.csv", b"converted")
    _put(s3_client, bucket, "changed.csv", b"re-landed")
    same = _put(s3_client, bucket, "same.csv", b"converted")
    _put(s3_client, bucket, "plain.csv", b"x")
    answer = s3_client.delete_objects(
        Bucket=bucket,
        Delete={
            "Objects": [
                {"Key": "changed.csv", "ETag": stale},
                {"Key": "same.csv", "ETag": same},
                {"Key": "plain.csv"},
            ]
        },
    )
    assert sorted(d["Key"] for d in answer["Deleted"]) == ["plain.csv", "same.csv"]
    assert [(e["Key"], e["Code"]) for e in answer["Errors"]] == [("changed.csv", "PreconditionFailed")]
    assert _body(s3_client, bucket, "changed.csv") == b"re-landed"
    assert not _exists(s3_client, bucket, "same.csv")


# Check and write are one step: concurrent conditional writers to one key never both win.


def test_concurrent_create_only_puts_have_exactly_one_winner(s3_client: Any, bucket: str) -> None:
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(n: int) -> None:
        try:
            s3_client.put_object(Bucket=bucket, Key="lock", Body=str(n).encode(), IfNoneMatch="*")
            result = f"won:{n}"
        except ClientError as err:
            result = err.response["Error"]["Code"]
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=create, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [o for o in outcomes if o.startswith("won:")]
    assert len(winners) == 1
    assert sorted(set(outcomes) - set(winners)) == ["PreconditionFailed"]
    assert _body(s3_client, bucket, "lock") == winners[0].split(":")[1].encode()


def test_concurrent_compare_and_swap_loses_no_increment(s3_client: Any, bucket: str) -> None:
    _put(s3_client, bucket, "counter", b"0")

    def add(times: int) -> None:
        done = 0
        while done < times:
            got = s3_client.get_object(Bucket=bucket, Key="counter")
            value = int(got["Body"].read())
            try:
                s3_client.put_object(
                    Bucket=bucket, Key="counter", Body=str(value + 1).encode(), IfMatch=got["ETag"]
                )
                done += 1
            except ClientError as err:
                assert err.response["Error"]["Code"] == "PreconditionFailed"

    threads = [threading.Thread(target=add, args=(10,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _body(s3_client, bucket, "counter") == b"60"


def test_a_slow_write_cannot_slip_between_another_writers_check_and_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """moto checks If-None-Match, then writes: with the write slowed down, both writers passed the check.

    The in-thread server lets the test widen moto's window; the per-key lock must close it.
    """
    from moto.s3.models import S3Backend

    from glue_flow_local import LocalGlueServer
    from glue_flow_local.clients import local_client

    real_put = S3Backend.put_object

    def slow_put(self: Any, *args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)
        return real_put(self, *args, **kwargs)

    monkeypatch.setattr(S3Backend, "put_object", slow_put)
    server = LocalGlueServer().start()
    try:
        s3 = local_client(server.endpoint_url, "s3", "us-east-1")
        s3.create_bucket(Bucket="race-bucket")
        codes: list[str] = []

        def create(n: int) -> None:
            try:
                s3.put_object(Bucket="race-bucket", Key="k", Body=str(n).encode(), IfNoneMatch="*")
                codes.append("won")
            except ClientError as err:
                codes.append(err.response["Error"]["Code"])

        threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(codes) == ["PreconditionFailed"] * 3 + ["won"]
    finally:
        server.stop()
