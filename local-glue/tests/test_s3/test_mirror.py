"""The buckets a Spark run sees as folders, and what it changed written back to S3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from glue_flow_local.s3.mirror import BucketMirror

pytestmark = pytest.mark.slow


def test_pull_then_push_round_trips_adds_changes_and_deletes(
    s3_client: Any, bucket: str, tmp_path: Path
) -> None:
    s3_client.put_object(Bucket=bucket, Key="in/", Body=b"")
    s3_client.put_object(Bucket=bucket, Key="in/a.csv", Body=b"a,b\n1,2\n")
    s3_client.put_object(Bucket=bucket, Key="in/old.csv", Body=b"old")
    s3_client.put_object(Bucket=bucket, Key="keep.txt", Body=b"same")
    mirror = BucketMirror(s3_client, tmp_path / "s3")
    assert bucket in mirror.pull()
    root = tmp_path / "s3" / bucket
    assert (root / "in" / "a.csv").read_bytes() == b"a,b\n1,2\n"
    assert (root / "in").is_dir()
    (root / "in" / "a.csv").write_bytes(b"changed")
    (root / "in" / "old.csv").unlink()
    (root / "out").mkdir()
    (root / "out" / "part-0.parquet").write_bytes(b"PAR1")
    mirror.push()
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {"in/", "in/a.csv", "keep.txt", "out/part-0.parquet"}
    assert s3_client.get_object(Bucket=bucket, Key="in/a.csv")["Body"].read() == b"changed"
    assert s3_client.get_object(Bucket=bucket, Key="out/part-0.parquet")["Body"].read() == b"PAR1"


def test_a_key_no_hadoop_path_can_name_is_left_out_and_kept(
    s3_client: Any, bucket: str, tmp_path: Path
) -> None:
    s3_client.put_object(Bucket=bucket, Key="a//b.csv", Body=b"x")
    mirror = BucketMirror(s3_client, tmp_path / "s3")
    mirror.pull()
    assert f"s3://{bucket}/a//b.csv" in mirror.skipped
    mirror.push()
    assert s3_client.get_object(Bucket=bucket, Key="a//b.csv")["Body"].read() == b"x"


def test_files_carry_the_objects_last_modified_time(s3_client: Any, bucket: str, tmp_path: Path) -> None:
    s3_client.put_object(Bucket=bucket, Key="a.csv", Body=b"x")
    modified = s3_client.head_object(Bucket=bucket, Key="a.csv")["LastModified"].timestamp()
    BucketMirror(s3_client, tmp_path / "s3").pull()
    assert (tmp_path / "s3" / bucket / "a.csv").stat().st_mtime == modified
