"""What one side of a check did, read from the local Glue's call log (``GET /_local/calls``).

The call log lists, in order, every Glue call with a side effect that the endpoint answered (request and
answer) and every end of a job run or crawl. From the entries a side added, :func:`observe` keeps:

- the calls with side effects (StartJobRun with JobName and Arguments, StartCrawler, BatchStopJobRun,
  StopCrawler) in the order they were answered. Arguments that only name the run are left out: those a
  workflow adds to every job run it starts (``--WORKFLOW_NAME``, ``--WORKFLOW_RUN_ID``) and the task
  instance tag of ``GlueJobRunOperator`` (``--airflow_ti``);
- which call started after which other call's run or crawl had ended (the order that is a dependency);
- each job's and crawler's final state and number of runs or crawls.
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from typing import Any

#: The call log's path on the endpoint.
CALLS_PATH = "/_local/calls"
#: Arguments that name the run, so they differ per run: a Glue workflow gives every job run it starts the
#: first two, GlueJobRunOperator tags its runs with the third.
RUN_NAMING_ARGUMENTS = ("--WORKFLOW_NAME", "--WORKFLOW_RUN_ID", "--airflow_ti")
_COMPARED = ("StartJobRun", "StartCrawler", "BatchStopJobRun", "StopCrawler")


def read_calls(endpoint_url: str, since: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The call log's entries numbered ``since`` and later, and the next entry's number.

    :raises OSError: the endpoint has no call log (it is not a local Glue) or cannot be reached.
    """
    url = f"{endpoint_url.rstrip('/')}{CALLS_PATH}?since={since}"
    with urllib.request.urlopen(url, timeout=30) as answer:  # noqa: S310 - the user's endpoint URL
        body: dict[str, Any] = json.loads(answer.read())
    return list(body["Calls"]), int(body["Next"])


@dataclass
class Observation:
    """What one side did.

    :param calls: each call as text (``StartJobRun load {"--day": "1"}``), in order.
    :param after: (i, j): call j started after the run or crawl of call i ended.
    :param jobs: job name -> (final state, runs).
    :param crawls: crawler name -> (final state, crawls).
    :param outcome: the side's outcome, as the side reports it.
    :param succeeded: whether that outcome is a success (a Glue workflow run's: COMPLETED).
    :param step_failed: whether a job run or crawl of the side did not succeed.
    :param s3: what the side wrote in S3 (:func:`~.resources.s3_changes`).
    :param caught: errors the side's run went on after (a state machine's caught errors).
    :param running: the job runs and crawls the side started that had not ended.
    """

    calls: list[str] = field(default_factory=list)
    after: set[tuple[int, int]] = field(default_factory=set)
    jobs: dict[str, tuple[str, int]] = field(default_factory=dict)
    crawls: dict[str, tuple[str, int]] = field(default_factory=dict)
    outcome: str = ""
    succeeded: bool = False
    step_failed: bool = False
    s3: dict[str, str] = field(default_factory=dict)
    caught: list[str] = field(default_factory=list)
    running: int = 0


def _call_text(entry: dict[str, Any]) -> str:
    request, action = entry.get("Request") or {}, entry["Action"]
    if action == "StartJobRun":
        arguments = {
            k: v for k, v in sorted((request.get("Arguments") or {}).items()) if k not in RUN_NAMING_ARGUMENTS
        }
        text = f"StartJobRun {request.get('JobName')}"
        if arguments:
            text += " " + json.dumps(arguments, sort_keys=True)
    elif action == "BatchStopJobRun":
        text = f"BatchStopJobRun {request.get('JobName')}"
    else:
        text = f"{action} {request.get('Name')}"
    error = (entry.get("Response") or {}).get("__type")
    return f"{text} (refused: {error})" if error else text


def observe(entries: list[dict[str, Any]]) -> Observation:
    """The calls, their order and the final states from the call log entries of one side."""
    seen = Observation()
    started_at: list[int] = []  # call index -> the entry's Seq
    ends: dict[int, int] = {}  # call index -> Seq of the end of the run or crawl it started
    open_runs: dict[str, int] = {}  # job run id -> call index
    open_crawls: dict[str, int] = {}  # crawler -> call index
    for entry in entries:
        action, event = entry.get("Action"), entry.get("Event")
        if action in _COMPARED:
            index = len(seen.calls)
            seen.calls.append(_call_text(entry))
            started_at.append(entry["Seq"])
            response = entry.get("Response") or {}
            if "__type" in response:
                continue
            if action == "StartJobRun":
                open_runs[str(response.get("JobRunId"))] = index
            elif action == "StartCrawler":
                open_crawls[str(entry["Request"].get("Name"))] = index
        elif event == "JobRunEnded":
            name = str(entry["JobName"])
            state, runs = seen.jobs.get(name, ("", 0))
            seen.jobs[name] = (str(entry["JobRunState"]), runs + 1)
            root = str(entry["JobRunId"]).split("_attempt_", 1)[0]
            if root in open_runs and not entry.get("Retrying"):
                ends[open_runs.pop(root)] = entry["Seq"]
        elif event == "CrawlEnded":
            name = str(entry["CrawlerName"])
            state, crawls = seen.crawls.get(name, ("", 0))
            seen.crawls[name] = (str(entry["Status"]), crawls + 1)
            if name in open_crawls:
                ends[open_crawls.pop(name)] = entry["Seq"]
    seen.running = len(open_runs) + len(open_crawls)
    seen.step_failed = any(s != "SUCCEEDED" for s, _ in [*seen.jobs.values(), *seen.crawls.values()])
    for first, ended in ends.items():
        for later, start in enumerate(started_at):
            if start > ended:
                seen.after.add((first, later))
    return seen
