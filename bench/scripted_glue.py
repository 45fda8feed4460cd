"""A scripted Glue endpoint for the triggerer bench, and the merged-poll measurement made against it.

The local Glue, one threaded Python process, is not built to serve thousands of callers; this endpoint
answers GetJobRun, GetJobRuns, GetCrawler and BatchGetCrawlers with runs and crawls that keep running,
carrying the fields real ones carry, so that parsing an answer costs what it costs.

Run: ``python bench/scripted_glue.py PORT_FILE`` (it writes the port it listens on to PORT_FILE).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

JOB = "bench-sleeper"
CRAWLER = "bench-crawler"
BUCKET = "bench-triggerer"


def scripted_answer(target: str, request: dict[str, Any]) -> dict[str, Any]:
    """What the scripted endpoint answers: job runs and crawls that keep running."""
    # The fields a real Python-shell run and a real crawler carry, so that parsing costs what it costs.
    run = {
        "Id": "jr_scripted",
        "Attempt": 0,
        "JobName": JOB,
        "JobMode": "SCRIPT",
        "StartedOn": 1764500000.0,
        "LastModifiedOn": 1764500005.0,
        "JobRunState": "RUNNING",
        "Arguments": {"--job-language": "python", "--airflow_ti": "dag.task.run.1"},
        "PredecessorRuns": [],
        "AllocatedCapacity": 0,
        "ExecutionTime": 5,
        "Timeout": 2880,
        "MaxCapacity": 0.0625,
        "LogGroupName": "/aws-glue/python-jobs",
        "GlueVersion": "3.0",
    }
    crawler = {
        "Name": CRAWLER,
        "Role": "glue-role",
        "Targets": {"S3Targets": [{"Path": f"s3://{BUCKET}/data/", "Exclusions": []}]},
        "DatabaseName": "bench",
        "Classifiers": [],
        "SchemaChangePolicy": {
            "UpdateBehavior": "UPDATE_IN_DATABASE",
            "DeleteBehavior": "DEPRECATE_IN_DATABASE",
        },
        "State": "RUNNING",
        "CrawlElapsedTime": 5000,
        "CreationTime": 1764500000.0,
        "LastUpdated": 1764500000.0,
        "LastCrawl": {"Status": "SUCCEEDED", "StartTime": 1764400000.0, "LogGroup": "/aws-glue/crawlers"},
        "Version": 1,
    }
    if target == "AWSGlue.GetJobRuns":  # a job with that many runs going on, newest first
        ids = ["jr_scripted", *(f"jr_scripted_{i}" for i in range(1, request.get("MaxResults", 1)))]
        return {"JobRuns": [{**run, "Id": run_id} for run_id in ids]}
    if target == "AWSGlue.GetCrawler":
        return {"Crawler": crawler}
    if target == "AWSGlue.BatchGetCrawlers":
        return {"Crawlers": [{**crawler, "Name": name} for name in request["CrawlerNames"]]}
    return {"JobRun": run}


def serve(port_file: str) -> None:
    """Answer Glue's read calls (:func:`scripted_answer`) as fast as asyncio can."""
    from aiohttp import web

    async def answer(request: web.Request) -> web.Response:
        body = scripted_answer(request.headers.get("X-Amz-Target", ""), json.loads(await request.read()))
        return web.Response(text=json.dumps(body), content_type="application/x-amz-json-1.1")

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/", answer)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=4096)
        await site.start()
        Path(port_file).write_text(str(site._server.sockets[0].getsockname()[1]))  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


async def merge_case(what: str, n: int, rounds: int, conn_id: str) -> dict[str, Any]:
    """CPU of one check of ``n`` waits: ``n`` single reads at once vs one merged read, on one shared client.

    Jobs: ``n`` GetJobRun calls vs one GetJobRuns call listing ``n`` runs (the most one page holds is
    200); crawlers: ``n`` GetCrawler calls vs one BatchGetCrawlers call naming ``n`` crawlers (at most 100).
    """
    from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
    from airflow_glue_flow.triggers.client_pool import CLIENTS

    async with CLIENTS.client(GlueCrawlerFlowHook(aws_conn_id=conn_id)) as glue:

        async def single() -> None:
            if what == "job":
                await asyncio.gather(*(glue.get_job_run(JobName=JOB, RunId="jr_scripted") for _ in range(n)))
            else:
                await asyncio.gather(*(glue.get_crawler(Name=CRAWLER) for _ in range(n)))

        async def merged() -> None:
            if what == "job":
                await glue.get_job_runs(JobName=JOB, MaxResults=n)
            else:
                await glue.batch_get_crawlers(CrawlerNames=[f"{CRAWLER}-{i}" for i in range(n)])

        spent = {"single": 0.0, "merged": 0.0}
        for round_ in range(rounds + 1):  # the first round opens the connections and is not counted
            for way, check in (("single", single), ("merged", merged)):
                before = time.process_time()
                await check()
                if round_:
                    spent[way] += time.process_time() - before
    return {
        "case": f"merge-{what}",
        "waits": n,
        **{f"{way}_cpu_ms_per_wait_check": 1000 * cpu / (n * rounds) for way, cpu in spent.items()},
    }


if __name__ == "__main__":
    serve(sys.argv[1])
