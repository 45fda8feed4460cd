"""Benchmarks of the encoding conversion, each measured side by side with its baseline in one run.

1. Transcoding core on a local CP932 CSV: ``transcode_stream`` (one core) and ``transcode_file``
   (two cores, split at line feeds) against ``iconv -f CP932 -t UTF-8``.
2. Peak RSS of the converting process for one large object through S3 served by the local Glue,
   beside the seed's whole-body approach on a smaller object.
3. Many small objects: ``convert_prefix`` against the seed's one-at-a-time loop, once against the
   loopback server as it is and once with 20 ms added to every S3 request. The seed runs in Glue next
   to real S3, where a small request's median latency is in the tens of milliseconds (AWS's S3
   performance guidelines); on loopback both runs are bound by the server's own CPU instead.

Run: ``python bench/bench_encoding.py`` (full sizes) or e.g.
``python bench/bench_encoding.py --core-mb 20 --big-mb 100 --seed-mb 20 --small-count 100``.
Generated data goes to bench/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "bench" / "data"
sys.path.insert(0, str(REPO))

from encoding_inputs import LocalS3, kanji_pool, make_csv, seed_job  # noqa: E402 - bench/ is on sys.path when this runs

from airflow_glue_flow.encoding import (  # noqa: E402
    ConversionOptions,
    convert_prefix,
    s3_client_config,
    transcode_file,
    transcode_stream,
)

BUCKET = "bench-bucket"


# -------------------------------------------------------------------------------- 1. core speed


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_core(megabytes: int, repeat: int) -> list[tuple[str, str, str]]:
    src = make_csv(DATA / f"core_{megabytes}mb.csv", megabytes)
    size = src.stat().st_size
    out = DATA / "core_out.csv"
    iconv = shutil.which("iconv")

    def run_iconv() -> None:
        with open(out, "wb") as dst:
            subprocess.run([iconv, "-f", "CP932", "-t", "UTF-8", str(src)], stdout=dst, check=True)

    def run_stream() -> None:
        with open(src, "rb") as s, open(out, "wb") as d:
            transcode_stream(s, d)

    t_iconv = _best(run_iconv, repeat) if iconv else float("nan")
    reference = out.read_bytes() if iconv else None
    t_stream = _best(run_stream, repeat)
    same_stream = reference is None or out.read_bytes() == reference
    t_par = _best(lambda: transcode_file(str(src), str(out), workers=2), repeat)
    same_par = reference is None or out.read_bytes() == reference
    out.unlink()
    mb = size / 1e6
    print(f"[core] {mb:.0f} MB CP932 CSV, best of {repeat}")
    rows = [
        ("iconv -f CP932 -t UTF-8", f"{mb / t_iconv:.0f} MB/s", "1.00 (baseline)"),
        (
            "transcode_stream (1 core)",
            f"{mb / t_stream:.0f} MB/s",
            f"{t_iconv / t_stream:.2f}" + ("" if same_stream else " OUTPUT DIFFERS"),
        ),
        (
            "transcode_file (2 processes)",
            f"{mb / t_par:.0f} MB/s",
            f"{t_iconv / t_par:.2f}" + ("" if same_par else " OUTPUT DIFFERS"),
        ),
    ]
    for row in rows:
        print("  ", *row)
    return rows


def _env(endpoint: str) -> dict[str, str]:
    return {
        **os.environ,
        "AWS_ENDPOINT_URL_S3": endpoint,
        "PYTHONPATH": str(REPO),
    }


def _child(mode: str, prefix: str) -> None:
    """Run one conversion in this (child) process and print its peak RSS as JSON."""
    import boto3

    start = time.perf_counter()
    if mode == "seed":
        seed_job(BUCKET, prefix, "seed-utf8/", "seed-org/", "cp932")
    else:
        client = boto3.client("s3", config=s3_client_config(8))
        report = convert_prefix(client, ConversionOptions(BUCKET, prefix, "utf8/", "org/", max_workers=8))
        assert report.ok, report.failed_keys
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's peak resident set size.

    VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over an exec, so a child started from a big
    parent would report the parent's peak.
    """
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_child(endpoint: str, mode: str, prefix: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--prefix", prefix],
        env=_env(endpoint),
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _upload(client, path: Path, key: str) -> None:
    from boto3.s3.transfer import TransferConfig

    client.upload_file(str(path), BUCKET, key, Config=TransferConfig(multipart_chunksize=64 << 20))


# ------------------------------------------------------------------------------------ 2. memory


def bench_memory(big_mb: int, seed_mb: int) -> list[tuple[str, str, str]]:
    big = make_csv(DATA / f"big_{big_mb}mb.csv", big_mb)
    small = make_csv(DATA / f"core_{seed_mb}mb.csv", seed_mb)
    baseline = subprocess.run(
        [sys.executable, __file__, "--child", "imports"],
        capture_output=True,
        text=True,
        check=True,
    )
    import_rss = float(baseline.stdout)
    server = LocalS3()
    try:
        client = server.client()
        client.create_bucket(Bucket=BUCKET)
        _upload(client, small, "seed-in/data.csv")
        seed = _run_child(server.endpoint, "seed", "seed-in/")
        _upload(client, small, "ours-small-in/data.csv")
        ours_small = _run_child(server.endpoint, "ours", "ours-small-in/")
        _upload(client, big, "big-in/data.csv")
        ours = _run_child(server.endpoint, "ours", "big-in/")
        out = client.head_object(Bucket=BUCKET, Key="utf8/data.csv")["ContentLength"]
    finally:
        server.stop()
    print(f"[memory] peak RSS of the converting process (python + boto3 alone: {import_rss:.0f} MB)")
    rows = [
        (
            f"seed whole-body, {small.stat().st_size / 1e6:.0f} MB object",
            f"{seed['peak_rss_mb']:.0f} MB",
            f"{seed['seconds']:.1f} s",
        ),
        (
            f"convert_prefix, {small.stat().st_size / 1e6:.0f} MB object",
            f"{ours_small['peak_rss_mb']:.0f} MB",
            f"{ours_small['seconds']:.1f} s",
        ),
        (
            f"convert_prefix, {big.stat().st_size / 1e6:.0f} MB object ({out / 1e6:.0f} MB out)",
            f"{ours['peak_rss_mb']:.0f} MB",
            f"{ours['seconds']:.1f} s",
        ),
    ]
    for row in rows:
        print("  ", *row)
    return rows


# ------------------------------------------------------------------------------ 3. small objects


def bench_small(count: int, workers: int, latency_ms: float = 0.0) -> list[tuple[str, str, str]]:
    import boto3

    # A fresh default session for this run; with latency_ms each S3 request first waits that long,
    # like the round trip to a real S3 endpoint (the local server answers in well under 1 ms of network).
    boto3.setup_default_session()
    if latency_ms:
        boto3.DEFAULT_SESSION.events.register(
            "before-send.s3", lambda **kwargs: time.sleep(latency_ms / 1000)
        )
    rnd = random.Random(7)
    pool = kanji_pool()
    bodies = [
        "".join(f"{i},{''.join(rnd.choices(pool, k=6))},{rnd.random():.3f}\r\n" for i in range(40)).encode(
            "cp932"
        )
        for _ in range(count)
    ]
    server = LocalS3()
    try:
        client = server.client(workers)
        client.create_bucket(Bucket=BUCKET)
        from concurrent.futures import ThreadPoolExecutor

        def load(prefix: str) -> None:
            with ThreadPoolExecutor(8) as ex:
                list(
                    ex.map(
                        lambda i: client.put_object(
                            Bucket=BUCKET, Key=f"{prefix}{i:05d}.csv", Body=bodies[i]
                        ),
                        range(count),
                    )
                )

        load("seed-in/")
        env_before = dict(os.environ)
        os.environ["AWS_ENDPOINT_URL_S3"] = server.endpoint
        try:
            start = time.perf_counter()
            seed_job(BUCKET, "seed-in/", "seed-utf8/", "seed-org/", "cp932")
            t_seed = time.perf_counter() - start
        finally:
            os.environ.clear()
            os.environ.update(env_before)
        load("in/")
        start = time.perf_counter()
        report = convert_prefix(
            client, ConversionOptions(BUCKET, "in/", "utf8/", "org/", max_workers=workers)
        )
        t_ours = time.perf_counter() - start
        assert report.ok and len(report.converted) == count, report.failed_keys
        same = all(
            client.get_object(Bucket=BUCKET, Key=f"utf8/{i:05d}.csv")["Body"].read()
            == client.get_object(Bucket=BUCKET, Key=f"seed-utf8/{i:05d}.csv")["Body"].read()
            for i in rnd.sample(range(count), min(count, 20))
        )
    finally:
        server.stop()
    delay = f", {latency_ms:g} ms added per request" if latency_ms else ""
    size_kb = sum(map(len, bodies)) / count / 1000
    print(f"[small] {count} objects of ~{size_kb:.1f} kB through the local Glue's S3{delay}")
    rows = [
        ("seed loop (one at a time)", f"{count / t_seed:.0f} objects/s", "1.00 (baseline)"),
        (
            f"convert_prefix (max_workers={workers})",
            f"{count / t_ours:.0f} objects/s",
            f"{t_seed / t_ours:.2f}" + ("" if same else " OUTPUT DIFFERS"),
        ),
    ]
    for row in rows:
        print("  ", *row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--core-mb", type=int, default=100, help="size of the local CSV for the core benchmark"
    )
    parser.add_argument("--repeat", type=int, default=3, help="core benchmark: best of N runs")
    parser.add_argument("--big-mb", type=int, default=1024, help="size of the large S3 object")
    parser.add_argument(
        "--seed-mb", type=int, default=100, help="object size for the seed's whole-body approach"
    )
    parser.add_argument("--small-count", type=int, default=1000, help="number of small objects")
    parser.add_argument("--workers", type=int, default=16, help="max_workers for the small-object run")
    parser.add_argument(
        "--latency-ms",
        type=float,
        action="append",
        help="small-object run with this much added per S3 request (repeatable; default: 0 and 20)",
    )
    parser.add_argument("--only", choices=["core", "memory", "small"], action="append")
    parser.add_argument("--child", choices=["seed", "ours", "imports"], help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "imports":
        import boto3  # noqa: F401

        print(peak_rss_mb())
        return
    if args.child:
        _child(args.child, args.prefix)
        return
    # Only ever the local Glue: its default credentials, no profile from the machine.
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    only = set(args.only or ["core", "memory", "small"])
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpu(s), load {os.getloadavg()[0]:.1f}")
    if "core" in only:
        bench_core(args.core_mb, args.repeat)
    if "small" in only:
        for latency in args.latency_ms or [0.0, 20.0]:
            bench_small(args.small_count, args.workers, latency)
    if "memory" in only:
        bench_memory(args.big_mb, args.seed_mb)


if __name__ == "__main__":
    main()
