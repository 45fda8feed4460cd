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
import gc
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from scripted_glue import BUCKET, CRAWLER, JOB, merge_case  # bench/ is on sys.path when this runs

from glue_flow_local.settings import Credentials

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

CONN_ID = "bench_glue"
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


# ------------------------------------------------------------------------------ one case (child)


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _trigger(kind: str, waits: dict[str, Any], interval: float) -> Any:
    """The trigger of one case: ours or the amazon provider's, on the bench's job run or crawl.

    Only the measured class is imported, so a case's RSS holds no other trigger module.
    """
    job = {"job_name": JOB, "run_id": waits["run_id"]}
    amazon = {"waiter_delay": int(interval), "waiter_max_attempts": 10**6}
    ours = {"max_attempts": 10**6}
    classes_and_arguments = {
        "ours-job": (
            "airflow_glue_flow.triggers.job.GlueJobRunTrigger",
            {**job, **ours, "poll_interval": interval},
        ),
        "amazon-job": (
            "airflow.providers.amazon.aws.triggers.glue.GlueJobCompleteTrigger",
            {**job, **amazon},
        ),
        "ours-crawler": (
            "airflow_glue_flow.triggers.crawler.GlueCrawlerReadyTrigger",
            {
                "crawler_name": CRAWLER,
                "started_after": waits.get("started_at"),
                "wait_time": interval,
                **ours,
            },
        ),
        "amazon-crawler": (
            "airflow.providers.amazon.aws.triggers.glue_crawler.GlueCrawlerCompleteTrigger",
            {"crawler_name": CRAWLER, **amazon},
        ),
    }
    path, arguments = classes_and_arguments[kind]
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(**arguments, aws_conn_id=CONN_ID)


async def _case(
    kind: str, n: int, interval: float, warmup: float, window: float, waits: dict[str, Any]
) -> dict:
    import logging

    from aiobotocore.client import AioBaseClient

    logging.disable(logging.INFO)  # per-poll progress lines are the task log's business, not the bench's
    # A poll is one wait's read of its run or crawler; calls are the AWS calls made. The amazon triggers
    # make one call per poll; ours merge the polls that fall due in the same turn of the loop.
    polls = calls = 0
    make_call = AioBaseClient._make_api_call
    ours = kind.startswith("ours")

    async def counted(self: Any, operation: str, params: Any) -> Any:
        nonlocal polls, calls
        calls += 1
        polls += not ours
        return await make_call(self, operation, params)

    AioBaseClient._make_api_call = counted  # type: ignore[method-assign]
    if ours:
        # Counted where a wait asks its Glue client for a read. The class is reached through the first
        # wait's clients, not imported here: importing botocore before the waits would keep it out of
        # the freeze a first wait's loads get (triggers/gc_freeze.py), and every full collection of the
        # case would walk it, which a triggerer does not.
        from airflow_glue_flow.triggers.base import WaitClients

        def counting(read: Any) -> Any:
            async def poll(self: Any, **kwargs: Any) -> Any:
                nonlocal polls
                polls += 1
                return await read(self, **kwargs)

            return poll

        enter, counted_classes = WaitClients.__aenter__, set()

        async def counting_enter(self: Any) -> dict[str, Any]:
            clients = await enter(self)
            face = type(clients["glue"])
            if face not in counted_classes:
                counted_classes.add(face)
                for name in ("get_job_run", "get_crawler"):
                    setattr(face, name, counting(getattr(face, name)))
            return clients

        WaitClients.__aenter__ = counting_enter  # type: ignore[method-assign]
    stall = stall_cpu = 0.0
    # Full garbage collections in the window: each walks every object not frozen, holding the GIL.
    full_collections: list[float] = []
    collection_started = [0.0]

    def time_full_collections(phase: str, info: dict[str, Any]) -> None:
        if info["generation"] == 2 and measuring:
            if phase == "start":
                collection_started[0] = time.process_time()
            else:
                full_collections.append(time.process_time() - collection_started[0])

    gc.callbacks.append(time_full_collections)
    measuring = False

    async def probe() -> None:
        # The CPU this process spent during the longest stall tells a loop kept busy by the waits (or
        # the garbage collector) from a process the machine's other work kept off the CPU.
        nonlocal stall, stall_cpu
        while True:
            before, cpu_before = time.perf_counter(), time.process_time()
            await asyncio.sleep(0.01)
            late = time.perf_counter() - before - 0.01
            if measuring and late > stall:
                stall, stall_cpu = late, time.process_time() - cpu_before

    _trigger(kind, waits, interval)  # imports the trigger's modules: a process cost, not a wait's
    rss_before = _rss_mb()
    prober = asyncio.create_task(probe())
    tasks = []
    spread = float(waits.get("spread_s", 0))  # start the waits evenly over this many seconds
    for i in range(n):
        trigger = _trigger(kind, waits, interval)
        tasks.append(asyncio.create_task(_drain(trigger, i * spread / n)))
    await asyncio.sleep(warmup)
    measuring = True
    polls_before, calls_before = polls, calls
    cpu_before, wall_before = time.process_time(), time.perf_counter()
    await asyncio.sleep(window)
    cpu, wall, made = (
        time.process_time() - cpu_before,
        time.perf_counter() - wall_before,
        polls - polls_before,
    )
    calls_made = calls - calls_before
    rss_after = _rss_mb()
    ended = [t for t in tasks if t.done()]
    first_end = repr(ended[0].exception())[:1000] if ended else None
    for task in [*tasks, prober]:
        task.cancel()
    await asyncio.gather(*tasks, prober, return_exceptions=True)
    return {
        "case": kind,
        "waits": n,
        "interval_s": interval,
        "polls": made,
        "calls_per_poll": calls_made / made if made else float("nan"),
        "cpu_ms_per_poll": 1000 * cpu / made if made else float("nan"),
        "polls_per_trigger_per_s": made / n / wall,
        "rss_mb_per_wait": (rss_after - rss_before) / n,
        "longest_stall_ms": 1000 * stall,
        "longest_stall_cpu_ms": 1000 * stall_cpu,
        "full_collections": len(full_collections),
        "longest_full_collection_cpu_ms": 1000 * max(full_collections, default=0.0),
        "ended_early": len(ended),
        "first_end": first_end,
    }


async def _drain(trigger: Any, delay: float) -> None:
    await asyncio.sleep(delay)
    async for event in trigger.run():
        raise RuntimeError(f"a bench wait ended: {event.payload}")


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
            _case(kind, int(n), float(interval), float(warmup), float(window), json.loads(waits))
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
