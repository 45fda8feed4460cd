"""Deferred waits at triggerer scale: this package's triggers against the amazon provider's, in one run.

Each case runs N deferred waits in one asyncio event loop, in a process of its own (in a shared process
the second case would reuse the first one's memory and its RSS would read too low), for a fixed window
after a warm-up, and prints:

- CPU ms per poll: the process's CPU time in the window / the polls made in it (a poll is one wait's
  read of its run or crawl: one AWS call for the amazon triggers; ours merge the polls that fall due in
  the same turn of the loop into one call, see airflow_glue_flow/triggers/merged_checks.py);
- AWS calls per poll;
- polls per trigger per second (the target is 1 / interval);
- RSS per wait: the growth of the process's RSS from before the waits started, / N;
- longest event-loop stall: the worst lateness of a 10 ms probe timer, and the CPU the process spent in it.

Cases, against the local Glue over HTTP (one Python-shell job run and one crawl kept running, every wait
watches them): ``GlueJobRunTrigger`` vs amazon ``GlueJobCompleteTrigger``, ``GlueCrawlerReadyTrigger`` vs
amazon ``GlueCrawlerCompleteTrigger``, first with the waits deferred at once, then with their starts spread
over one interval. Then the scale case: 2,000 job waits polling every 30 s, against
a scripted asyncio endpoint that answers Glue's read calls with runs and crawls that keep running (the
local Glue, one threaded Python process, is not built to serve thousands of callers; the scripted endpoint
runs in its own process, so its CPU is not counted); the same run with ``--waits`` waits gives the RSS
slope, the memory one more wait costs beside the process's fixed costs (the trigger modules' imports
are left out of every case's RSS; the shared client is in it). Last, merged polls: the CPU one check of N
waits costs as N single calls (GetJobRun, GetCrawler) vs one merged call (GetJobRuns, BatchGetCrawlers).

Our cases run twice, with the provider's ``[glue_flow] merged_checks`` option on and off, and the ratios
(ours/amazon, merged on/off) are printed last; ``--local-only`` stops after the cases against the local Glue.
Set ``AIRFLOW__GLUE_FLOW__TRIGGERER_GC_FREEZE=True`` in the environment to measure with the collector
freeze on (it is off by default, as in a triggerer).

Run: ``python bench/bench_triggerer.py`` (defaults: 50 waits, 1 s polls, 20 s window) or e.g.
``python bench/bench_triggerer.py --waits 100 --seconds 30 --scale-waits 2000 --scale-seconds 95``. On a
shared machine, pin it to one core with priority (``taskset -c 1 nice -n -5 python ...``): the cases run
there, and the local Glue and the scripted endpoint are moved to the other cores. Each case also counts
the full garbage collections in its window and the CPU of the longest: one walks every object the process
has not frozen, holding the GIL, and is what stalls a loop of thousands of waits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripted_glue import BUCKET, CRAWLER, JOB, merge_case  # bench/ is on sys.path when this runs
from triggerer_case import CONN_ID, run_case

from glue_flow_local.settings import Credentials

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The cases against the local Glue: (kind, [glue_flow] merged_checks for it; None for the amazon triggers).
MERGE_CASES = (
    ("ours-job", True),
    ("ours-job", False),
    ("amazon-job", None),
    ("ours-crawler", True),
    ("ours-crawler", False),
    ("amazon-crawler", None),
)
#: How long the bench's job run and crawl last: longer than any window.
RUN_SECONDS = 3600
SLEEPER = f"import time\nprint('sleeping', flush=True)\ntime.sleep({RUN_SECONDS})\n".encode()


# ------------------------------------------------------------------------------------- parent


def _off_the_bench_cpus(pid: int = 0) -> None:
    """Move a server process (all its threads) to the CPUs the bench is not pinned to, if it is pinned.

    Run pinned (``taskset -c 1 nice -n -5 python bench/bench_triggerer.py``), the measured cases keep
    their CPU to themselves; the local Glue and the scripted endpoint serve them from the other CPUs.
    """
    others = set(range(os.cpu_count() or 1)) - os.sched_getaffinity(0)
    if others:
        for thread in os.listdir(f"/proc/{pid or os.getpid()}/task"):
            os.sched_setaffinity(int(thread), others)


def _connection(endpoint: str, credentials: Credentials) -> str:
    extra = {"region_name": "us-east-1", "endpoint_url": endpoint}
    login = {"login": credentials.access_key_id, "password": credentials.secret_access_key}
    return json.dumps({"conn_type": "aws", **login, "extra": extra})


def _child(
    args: list[str],
    endpoint: str,
    mode: str = "--child",
    credentials: Credentials | None = None,
    merged_checks: bool | None = None,
) -> dict[str, Any]:
    """Run one case in a process of its own; a case whose waits ended (an error) gives no numbers.

    ``merged_checks`` sets the provider's ``[glue_flow] merged_checks`` option for the case (None: the
    default, or the caller's environment).
    """
    connection = _connection(endpoint, credentials or Credentials())
    # Per-poll progress lines are the task log's business, not the bench's: the amazon triggers log
    # through the standard library (logging.disable in the case), ours through Airflow's logger.
    env = {
        **os.environ,
        f"AIRFLOW_CONN_{CONN_ID.upper()}": connection,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
    }
    if merged_checks is not None:
        env["AIRFLOW__GLUE_FLOW__MERGED_CHECKS"] = str(merged_checks)
    out = subprocess.run(
        [sys.executable, __file__, mode, *args], env=env, capture_output=True, text=True, check=False
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"case {args} failed:\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1])
    if result.get("ended_early"):
        raise RuntimeError(f"case {args}: {result['ended_early']} waits ended: {result['first_end']}")
    return result


def _start_waits(glue_endpoint: str, credentials: Credentials) -> dict[str, Any]:
    from glue_flow_local.clients import local_client

    glue, s3 = (
        local_client(glue_endpoint, "glue", "us-east-1", credentials),
        local_client(glue_endpoint, "s3", "us-east-1", credentials),
    )
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="scripts/sleeper.py", Body=SLEEPER)
    s3.put_object(Bucket=BUCKET, Key="data/x.csv", Body=b"a,b\n1,2\n")
    glue.create_job(
        Name=JOB,
        Role="glue-role",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/scripts/sleeper.py"},
    )
    run_id = glue.start_job_run(JobName=JOB)["JobRunId"]
    glue.create_database(DatabaseInput={"Name": "bench"})
    glue.create_crawler(
        Name=CRAWLER,
        Role="glue-role",
        DatabaseName="bench",
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/data/"}]},
    )
    started_at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(time.time() - 1))
    glue.start_crawler(Name=CRAWLER)
    return {"run_id": run_id, "started_at": started_at, "glue": glue}


def _row(result: dict[str, Any]) -> str:
    return (
        f"| {result['case']} | {result['waits']} | {result['interval_s']:g} | {result['cpu_ms_per_poll']:.2f} "
        f"| {result['calls_per_poll']:.2f} "
        f"| {result['polls_per_trigger_per_s']:.3f} | {result['rss_mb_per_wait']:.3f} "
        f"| {result['longest_stall_ms']:.0f} ({result['longest_stall_cpu_ms']:.0f}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--waits", type=int, default=50)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window per case")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--scale-waits", type=int, default=2000)
    parser.add_argument("--scale-interval", type=float, default=30.0)
    parser.add_argument("--scale-seconds", type=float, default=95.0)
    parser.add_argument("--child", nargs=6, metavar=("KIND", "N", "INTERVAL", "WARMUP", "WINDOW", "WAITS"))
    parser.add_argument(
        "--scale-aligned", action="store_true", help="start the scale case's waits all at once, not spread"
    )
    parser.add_argument("--merge-rounds", type=int, default=20, help="checks timed per merge case")
    parser.add_argument("--merge-child", nargs=3, metavar=("WHAT", "N", "ROUNDS"))
    parser.add_argument(
        "--local-only", action="store_true", help="only the cases against the local Glue (no scale case)"
    )
    args = parser.parse_args()
    if args.merge_child:
        what, n, rounds = args.merge_child
        print(json.dumps(asyncio.run(merge_case(what, int(n), int(rounds), CONN_ID))))
        return
    if args.child:
        kind, n, interval, warmup, window, waits = args.child
        result = asyncio.run(
            run_case(kind, int(n), float(interval), float(warmup), float(window), json.loads(waits))
        )
        print(json.dumps(result))
        return

    from glue_flow_local import LocalGlueProcess as LocalGlue
    from glue_flow_local.settings import ServerOptions

    print(
        "| case | waits | interval s | CPU ms per poll | AWS calls per poll | polls per trigger per s "
        "| RSS MB per wait | longest loop stall ms (process CPU in it) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    results: dict[str, dict[str, Any]] = {}
    with LocalGlue.start(options=ServerOptions(min_crawl_seconds=RUN_SECONDS)) as glue:
        _off_the_bench_cpus(glue.process.pid)
        waits = _start_waits(glue.endpoint_url, glue.credentials)
        client = waits.pop("glue")
        try:
            # Deferred at once (as mapped tasks do: ours merge their checks), then spread over one
            # interval (tasks deferring at different times: every check is a call of its own).
            # Ours with the merged checks on and off ([glue_flow] merged_checks), the amazon ones once.
            for spread in (0.0, args.interval):
                for kind, merged in MERGE_CASES:
                    case = (
                        kind + ("" if merged is not False else ", unmerged") + (", spread" if spread else "")
                    )
                    child = [kind, str(args.waits), str(args.interval), str(args.warmup), str(args.seconds)]
                    results[case] = _child(
                        [*child, json.dumps({**waits, "spread_s": spread})],
                        glue.endpoint_url,
                        credentials=glue.credentials,
                        merged_checks=merged,
                    )
                    print(_row({**results[case], "case": case}), flush=True)
        finally:
            client.batch_stop_job_run(JobName=JOB, JobRunIds=[waits["run_id"]])
            client.stop_crawler(Name=CRAWLER)
    for what in ("job", "crawler"):
        for how in ("", ", spread"):
            ours, amazon = results[f"ours-{what}{how}"], results[f"amazon-{what}{how}"]
            unmerged = results[f"ours-{what}, unmerged{how}"]
            print(
                f"{what}{how or ', at once'}: CPU per poll ours/amazon = "
                f"{ours['cpu_ms_per_poll'] / amazon['cpu_ms_per_poll']:.2f} merged checks on "
                f"({ours['calls_per_poll']:.2f} calls per poll), "
                f"{unmerged['cpu_ms_per_poll'] / amazon['cpu_ms_per_poll']:.2f} off; merged on/off = "
                f"{ours['cpu_ms_per_poll'] / unmerged['cpu_ms_per_poll']:.2f}; RSS per wait ours/amazon = "
                f"{ours['rss_mb_per_wait'] / max(amazon['rss_mb_per_wait'], 1e-9):.2f}"
            )
    if args.local_only:
        return
    scripted: dict[str, dict[str, Any]] = {}
    merges: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        port_file = Path(tmp) / "port"
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("scripted_glue.py")), str(port_file)],
            preexec_fn=_off_the_bench_cpus,
        )
        try:
            while not port_file.exists() or not port_file.read_text():
                time.sleep(0.1)
            endpoint = f"http://127.0.0.1:{port_file.read_text()}"
            # Waits start spread over one interval, as tasks defer at different times (all at once, their
            # checks come as one burst of N calls, and the loop lags by N x the CPU of a poll).
            warmup = str(args.scale_interval if args.scale_aligned else 2 * args.scale_interval)
            scale_run = [str(args.scale_interval), warmup, str(args.scale_seconds)]
            spread = 0 if args.scale_aligned else args.scale_interval
            scripted_waits = json.dumps({"run_id": "jr_scripted", "spread_s": spread})
            # The same run with few waits: the RSS slope between the two is the cost of one more wait.
            for n, key in ((args.waits, "small"), (args.scale_waits, "scale")):
                scripted[key] = _child(["ours-job", str(n), *scale_run, scripted_waits], endpoint)
            print(_row({**scripted["scale"], "case": "ours-job, scripted endpoint"}), flush=True)
            for what, most in (("job", 200), ("crawler", 100)):
                merge = [what, str(min(args.waits, most)), str(args.merge_rounds)]
                merges[what] = _child(merge, endpoint, "--merge-child")
        finally:
            server.terminate()
            server.wait()
    scale, small = scripted["scale"], scripted["small"]
    expected = args.scale_seconds / args.scale_interval
    print(
        f"scale: {scale['waits']} waits at {args.scale_interval:g} s achieved "
        f"{scale['polls_per_trigger_per_s'] * args.scale_seconds / expected:.3f} of their polls; "
        f"longest stall {scale['longest_stall_ms']:.0f} ms, of which this process's CPU "
        f"{scale['longest_stall_cpu_ms']:.0f} ms; {scale['full_collections']} full garbage collections in "
        f"the window, the longest {scale['longest_full_collection_cpu_ms']:.0f} ms of CPU"
    )
    growth = {key: r["rss_mb_per_wait"] * r["waits"] for key, r in scripted.items()}
    print(
        f"RSS per wait (scripted endpoint): average {small['rss_mb_per_wait']:.3f} MB at {small['waits']} "
        f"waits, {scale['rss_mb_per_wait']:.3f} MB at {scale['waits']}; one more wait costs "
        f"{(growth['scale'] - growth['small']) / (scale['waits'] - small['waits']):.4f} MB"
    )
    for what, merge in merges.items():
        single, merged = merge["single_cpu_ms_per_wait_check"], merge["merged_cpu_ms_per_wait_check"]
        print(
            f"merged polls, {what}s: {merge['waits']} waits checked by single calls {single:.3f} CPU ms per "
            f"wait, by one merged call {merged:.3f} ms per wait (merged/single = {merged / single:.2f})"
        )


if __name__ == "__main__":
    main()
