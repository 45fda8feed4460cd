"""Start-up of the local Glue beside moto's own server, measured side by side in one run.

Each round starts, in turn, ``glue-flow-local serve`` and ``moto_server`` (the moto release the local
Glue serves through), and measures for each:

- time to URL: from the process start to the line that names its address (the local Glue prints its URL
  as the first stdout line; moto_server logs ``Running on http://...`` on stderr);
- time to first answer: from the process start to the first answered S3 ListBuckets (the local Glue loads
  moto and its API layers on that first request).

It prints the median of each over the rounds and the local Glue / moto_server ratios. Run on an idle
machine for numbers to compare with the README's::

    .venv/bin/python bench/bench_local_startup.py --rounds 7
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

import boto3
from botocore.config import Config

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _first_line(stream: IO[str], matches: Callable[[str], bool], found: list[str]) -> None:
    for line in stream:
        if matches(line):
            found.append(line.strip())
            break
    for _ in stream:  # keep draining, so the server never blocks on a full pipe
        pass


def _first_answer(url: str, started: float, timeout: float = 120.0) -> float:
    s3 = boto3.session.Session().client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 0}, connect_timeout=timeout, read_timeout=timeout),
    )
    s3.list_buckets()
    return time.monotonic() - started


def _measure(
    argv: list[str], stream_name: str, matches: Callable[[str], bool], url_of: Callable[[str], str]
) -> tuple[float, float]:
    """(seconds to the URL line, seconds to the first answered request) for one server start."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    started = time.monotonic()
    process = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=env
    )
    try:
        found: list[str] = []
        streams = {"stdout": process.stdout, "stderr": process.stderr}
        for name, stream in streams.items():
            assert stream is not None
            test = matches if name == stream_name else (lambda line: False)
            threading.Thread(target=_first_line, args=(stream, test, found), daemon=True).start()
        while not found:
            if process.poll() is not None:
                raise RuntimeError(f"{argv[0]} exited with {process.returncode} before naming its address")
            if time.monotonic() - started > 120:
                raise RuntimeError(f"{argv[0]} named no address within 120 s")
            time.sleep(0.002)
        to_url = time.monotonic() - started
        return to_url, _first_answer(url_of(found[0]), started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def local_glue() -> tuple[float, float]:
    """One start of ``glue-flow-local serve``."""
    command = (
        [str(BIN / "glue-flow-local")]
        if (BIN / "glue-flow-local").exists()
        else [
            sys.executable,
            "-m",
            "glue_flow_local",
        ]
    )
    return _measure([*command, "serve"], "stdout", lambda line: line.startswith("http://"), str.strip)


def moto_server() -> tuple[float, float]:
    """One start of moto's own ``moto_server``."""
    port = _free_port()
    executable = str(BIN / "moto_server") if (BIN / "moto_server").exists() else shutil.which("moto_server")
    if executable is None:
        raise SystemExit("moto_server is not installed (pip install 'moto[server]')")
    return _measure(
        [executable, "-p", str(port)],
        "stderr",
        lambda line: "Running on http://" in line,
        lambda line: f"http://127.0.0.1:{port}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="starts of each server (default %(default)s)")
    args = parser.parse_args(argv)
    results: dict[str, list[tuple[float, float]]] = {"glue-flow-local serve": [], "moto_server": []}
    for _ in range(args.rounds):
        results["glue-flow-local serve"].append(local_glue())
        results["moto_server"].append(moto_server())
    medians = {
        name: (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))
        for name, runs in results.items()
    }
    load = os.getloadavg()[0]
    print(f"{args.rounds} starts each, alternating; load average {load:.2f} on {os.cpu_count()} CPUs")
    print(f"{'server':<24}{'time to URL':>14}{'first answer':>15}   (medians; min-max of time to URL)")
    for name, (to_url, first) in medians.items():
        spread = [r[0] for r in results[name]]
        print(f"{name:<24}{to_url:>12.2f} s{first:>13.2f} s   ({min(spread):.2f}-{max(spread):.2f} s)")
    (glue_url, glue_first), (moto_url, moto_first) = medians["glue-flow-local serve"], medians["moto_server"]
    print(
        f"ratio local Glue / moto_server: time to URL {glue_url / moto_url:.2f}x, "
        f"first answer {glue_first / moto_first:.2f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
