"""The region's S3 buckets as a folder tree for one Spark job run, and the run's changes written back.

A Spark job reads and writes ``s3://bucket/key`` through Hadoop's viewfs overload scheme, which maps
each bucket to ``<root>/<bucket>``. Before the run every object is copied there (a key ending in ``/`` is
a folder marker); after it, files that are new or changed are uploaded and objects whose files are gone
are deleted, through the local endpoint, so boto3 sees what Spark wrote and Spark saw what boto3 had put.
"""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

#: Parallel transfers (the local endpoint serves each on its own thread).
_WORKERS = 8


class MirrorError(Exception):
    """An object cannot be given to a Spark job as a file; the message names it."""


@dataclass
class BucketMirror:
    """The buckets of one region under ``root``.

    :param s3: an S3 client of the local endpoint.
    :param root: the folder that holds one folder per bucket.
    """

    s3: Any
    root: Path
    buckets: list[str] = field(default_factory=list)
    _files: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    _markers: set[tuple[str, str]] = field(default_factory=set)
    #: Objects left out: keys with an empty, '.' or '..' path segment, which no Hadoop path can name
    #: (Spark on AWS cannot read them either).
    skipped: list[str] = field(default_factory=list)

    def pull(self) -> list[str]:
        """Copy every object of every bucket under :attr:`root`; return the bucket names."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.buckets = sorted(b["Name"] for b in self.s3.list_buckets().get("Buckets", []))
        downloads: list[tuple[str, str, Path, float]] = []
        for bucket in self.buckets:
            base = self.root / bucket
            base.mkdir(exist_ok=True)
            for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for obj in page.get("Contents", []):
                    key = obj["Key"]
                    path = self._path(bucket, key)
                    if path is None:
                        self.skipped.append(f"s3://{bucket}/{key}")
                        continue
                    if key.endswith("/"):
                        path.mkdir(parents=True, exist_ok=True)
                        self._markers.add((bucket, key))
                    else:
                        path.parent.mkdir(parents=True, exist_ok=True)
                        downloads.append((bucket, key, path, obj["LastModified"].timestamp()))
        with ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(self._download, downloads))
        for bucket, key, path, _ in downloads:
            if path.is_dir():
                raise MirrorError(f"s3://{bucket}/{key} is both an object and a folder of other objects")
            self._files[(bucket, key)] = _stamp(path)
        return self.buckets

    def _download(self, item: tuple[str, str, Path, float]) -> None:
        bucket, key, path, modified = item
        try:
            self.s3.download_file(bucket, key, str(path))
        except (IsADirectoryError, NotADirectoryError):
            raise MirrorError(
                f"s3://{bucket}/{key} is both an object and a folder of other objects"
            ) from None
        # The file's modification time is the object's LastModified, which Spark (and job bookmarks) see.
        os.utime(path, (modified, modified))

    def push(self) -> None:
        """Upload the files the run added or changed; delete the objects whose files it removed."""
        uploads: list[tuple[str, str, Path]] = []
        present: set[tuple[str, str]] = set()
        for bucket in self.buckets:
            base = self.root / bucket
            for folder, _, names in os.walk(base):
                for name in names:
                    path = Path(folder) / name
                    key = path.relative_to(base).as_posix()
                    present.add((bucket, key))
                    if self._files.get((bucket, key)) != _stamp(path):
                        uploads.append((bucket, key, path))
        with ThreadPoolExecutor(_WORKERS) as pool:
            list(pool.map(lambda item: self.s3.upload_file(str(item[2]), item[0], item[1]), uploads))
        gone = [k for k in self._files if k not in present]
        gone += [(b, k) for b, k in self._markers if not self.root.joinpath(b, k).is_dir()]
        for bucket, key in gone:
            self.s3.delete_object(Bucket=bucket, Key=key)

    def remove(self) -> None:
        """Delete the folder tree."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _path(self, bucket: str, key: str) -> Path | None:
        parts = PurePosixPath(key.rstrip("/")).parts if key.strip("/") else ()
        if key.startswith("/") or "//" in key or any(p in (".", "..") for p in parts):
            return None
        return self.root.joinpath(bucket, *parts)


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns
