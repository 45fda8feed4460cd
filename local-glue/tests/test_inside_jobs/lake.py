"""An s3:// bucket in a folder, and a Data Catalog, for the awsglue library's reader and sink tests.

The bucket is mapped as a job run maps it (Hadoop's viewfs overload scheme over a local folder); the
catalog is moto's, reached through the boto3 client the library builds.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest


def mount_bucket(glue_context: Any, root: Path) -> tuple[str, Path]:
    """A new bucket (a unique name, so no file system cached for another test's bucket answers) whose
    objects are the files under ``root / name``; returns (name, folder)."""
    name = f"lake-{uuid.uuid4().hex[:12]}"
    folder = root / name
    folder.mkdir(parents=True)
    conf = glue_context.spark_session.sparkContext._jsc.hadoopConfiguration()
    conf.set("fs.s3.impl", "org.apache.hadoop.fs.viewfs.ViewFileSystemOverloadScheme")
    conf.set("fs.viewfs.overload.scheme.target.s3.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
    conf.set("fs.file.impl", "org.apache.hadoop.fs.RawLocalFileSystem")
    conf.set(f"fs.viewfs.mounttable.{name}.linkFallback", folder.as_uri())
    return name, folder


def write_json_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


@contextmanager
def moto_catalog(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's Glue Data Catalog, which the library's boto3 client reaches; yields a client of it."""
    moto = pytest.importorskip("moto")
    import boto3

    for key, value in {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_GLUE", raising=False)
    with moto.mock_aws():
        client = boto3.client("glue")
        client.create_database(DatabaseInput={"Name": "db"})
        yield client
