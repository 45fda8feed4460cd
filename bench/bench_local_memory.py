"""Does the local Glue's memory stay bounded over many job runs and crawls?

Starts ``glue-flow local serve``, then runs rounds of Python-shell job runs and crawls (each job run
writes log lines, each crawl reads a CSV) and prints the server's resident memory (with its children)
after every round, the growth per job run in the first and in the last rounds, and their ratio. A leak
grows at the same rate in both halves (ratio near 1); bounded memory flattens out (ratio near 0). It
also counts the run working folders left in the server's state folder (0: each goes with its run).

    python bench/bench_local_memory.py [--rounds 6] [--runs 20] [--crawls 5]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from glue_flow_local import LocalGlueProcess  # noqa: E402

SCRIPT = b"""
import sys
for n in range(50):
    print("line", n, "x" * 200)
print("to stderr", file=sys.stderr)
"""
CSV = b"id,name,value\n" + b"".join(b"%d,name%d,%d.5\n" % (n, n, n) for n in range(500))
DONE = {"SUCCEEDED", "FAILED", "TIMEOUT", "STOPPED", "ERROR"}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB (from /proc)."""
    total, pids = 0, [pid]
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            pids += [int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split()]
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total / 1024


def threads(pid: int) -> int:
    """Threads of the server process."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:"))


def _wait(check: Any, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.1)


def one_round(glue: LocalGlueProcess, bucket: str, runs: int, crawls: int) -> None:
    client, s3 = glue.client("glue"), glue.client("s3")
    run_ids = []
    for _ in range(runs):
        while True:
            try:
                run_ids.append(client.start_job_run(JobName="mem_job")["JobRunId"])
                break
            except client.exceptions.ConcurrentRunsExceededException:
                time.sleep(0.1)
    for run_id in run_ids:
        _wait(
            lambda r=run_id: client.get_job_run(JobName="mem_job", RunId=r)["JobRun"]["JobRunState"] in DONE
        )
    for _ in range(crawls):
        name = f"mem_crawler_{uuid.uuid4().hex[:8]}"
        s3.put_object(Bucket=bucket, Key=f"{name}/data.csv", Body=CSV)
        client.create_crawler(
            Name=name,
            Role="r",
            DatabaseName="mem",
            Targets={"S3Targets": [{"Path": f"s3://{bucket}/{name}/"}]},
        )
        client.start_crawler(Name=name)
        _wait(lambda n=name: "LastCrawl" in client.get_crawler(Name=n)["Crawler"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=20, help="job runs per round")
    parser.add_argument("--crawls", type=int, default=5, help="crawls per round")
    args = parser.parse_args()
    with LocalGlueProcess.start() as glue:
        client, s3 = glue.client("glue"), glue.client("s3")
        bucket = "mem-bench"
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="job.py", Body=SCRIPT)
        client.create_job(
            Name="mem_job",
            Role="r",
            Command={"Name": "pythonshell", "ScriptLocation": f"s3://{bucket}/job.py"},
            ExecutionProperty={"MaxConcurrentRuns": 4},
        )
        pid = glue.process.pid
        samples = [rss_mb(pid)]
        print(f"after start: {samples[0]:.0f} MB, {threads(pid)} threads")
        for n in range(1, args.rounds + 1):
            one_round(glue, bucket, args.runs, args.crawls)
            time.sleep(1)
            samples.append(rss_mb(pid))
            done = f"{n * args.runs} job runs, {n * args.crawls} crawls"
            left = len(list((glue.state_dir / "runs").glob("*")))
            print(
                f"after round {n} ({done}): {samples[-1]:.0f} MB, {threads(pid)} threads, "
                f"{left} run folders left"
            )
        half = args.rounds // 2
        first = (samples[half] - samples[1]) / max(half - 1, 1) / args.runs
        last = (samples[-1] - samples[half]) / (args.rounds - half) / args.runs
        print(
            f"growth per job run: rounds 2-{half}: {first * 1024:.0f} KB, rounds {half + 1}-{args.rounds}: {last * 1024:.0f} KB"
        )
        total = (samples[-1] - samples[1]) / (max(args.rounds - 1, 1) * args.runs)
        print(f"growth per job run after the first round: {total * 1024:.0f} KB")
        if first > 0:
            print(f"ratio last/first: {last / first:.2f}")


if __name__ == "__main__":
    main()
