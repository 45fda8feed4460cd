"""Merged checks: same-turn GetJobRun/GetCrawler calls become one call, and each wait gets its own answer.

AWS pages these tests rely on:
- GetJobRuns lists a job's runs newest first, at most 200 a page:
  https://docs.aws.amazon.com/glue/latest/webapi/API_GetJobRuns.html
- BatchGetCrawlers takes at most 100 names and lists the missing ones in CrawlersNotFound (and answers
  only for the crawlers the caller may read): https://docs.aws.amazon.com/glue/latest/webapi/API_BatchGetCrawlers.html
"""

from __future__ import annotations

import asyncio
import gc
import weakref
from typing import Any
from unittest import mock

import pytest
from botocore.exceptions import ClientError

from airflow_glue_flow.triggers import merged_checks
from airflow_glue_flow.triggers.merged_checks import MIN_MERGED, MergingGlue, merging
from airflow_glue_flow.waits.drive import drive_async
from airflow_glue_flow.waits.job_run import JobRunWait

JOB = "nightly"


def _error(code: str, operation: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeGlueReads:
    """Async Glue reads over runs and crawlers held here; records every call; ``failing`` injects errors."""

    def __init__(self, runs: dict[str, str] | None = None, crawlers: tuple[str, ...] = ()) -> None:
        #: run id -> state; newest last
        self.runs = dict(runs or {})
        self.crawlers = {name: {"Name": name, "State": "RUNNING"} for name in crawlers}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing: dict[str, ClientError] = {}

    def _call(self, operation: str, kwargs: dict[str, Any]) -> None:
        self.calls.append((operation, kwargs))
        if operation in self.failing:
            raise self.failing[operation]

    def count(self, operation: str) -> int:
        return sum(name == operation for name, _ in self.calls)

    def _run(self, run_id: str) -> dict[str, Any]:
        return {"Id": run_id, "JobName": JOB, "JobRunState": self.runs[run_id]}

    async def get_job_run(self, **kwargs: Any) -> dict[str, Any]:
        self._call("GetJobRun", kwargs)
        if kwargs["RunId"] not in self.runs:
            raise _error("EntityNotFoundException", "GetJobRun", f"Job run {kwargs['RunId']} not found")
        return {"JobRun": self._run(kwargs["RunId"])}

    async def get_job_runs(self, **kwargs: Any) -> dict[str, Any]:
        self._call("GetJobRuns", kwargs)
        newest_first = list(reversed(self.runs))[: kwargs.get("MaxResults", 200)]
        return {"JobRuns": [self._run(run_id) for run_id in newest_first]}

    async def get_crawler(self, **kwargs: Any) -> dict[str, Any]:
        self._call("GetCrawler", kwargs)
        if kwargs["Name"] not in self.crawlers:
            raise _error(
                "EntityNotFoundException",
                "GetCrawler",
                f"Crawler entry with name {kwargs['Name']} does not exist",
            )
        return {"Crawler": self.crawlers[kwargs["Name"]]}

    async def batch_get_crawlers(self, **kwargs: Any) -> dict[str, Any]:
        self._call("BatchGetCrawlers", kwargs)
        assert len(kwargs["CrawlerNames"]) <= 100
        names = kwargs["CrawlerNames"]
        return {
            "Crawlers": [self.crawlers[n] for n in names if n in self.crawlers],
            "CrawlersNotFound": [n for n in names if n not in self.crawlers],
        }

    async def batch_stop_job_run(self, **kwargs: Any) -> dict[str, Any]:
        self._call("BatchStopJobRun", kwargs)
        return {"SuccessfulSubmissions": [], "Errors": []}


def _read_runs(glue: FakeGlueReads, run_ids: list[str]) -> list[Any]:
    """Every run read in the same turn, each by a task of its own (as waits do); answers or errors."""
    facade = MergingGlue(glue)

    async def main() -> list[Any]:
        reads = [facade.get_job_run(JobName=JOB, RunId=r, PredecessorsIncluded=False) for r in run_ids]
        return await asyncio.gather(*reads, return_exceptions=True)

    return asyncio.run(main())


def test_same_turn_reads_of_one_jobs_runs_are_one_get_job_runs_call() -> None:
    glue = FakeGlueReads({f"jr_{i}": ("RUNNING" if i % 2 else "SUCCEEDED") for i in range(6)})

    answers = _read_runs(glue, [f"jr_{i}" for i in range(6)])

    assert [a["JobRun"]["Id"] for a in answers] == [f"jr_{i}" for i in range(6)]
    assert [a["JobRun"]["JobRunState"] for a in answers] == ["SUCCEEDED", "RUNNING"] * 3
    assert (glue.count("GetJobRuns"), glue.count("GetJobRun")) == (1, 0)
    assert glue.calls[0][1] == {"JobName": JOB, "MaxResults": 6 + merged_checks.PAGE_SLACK}


def test_fewer_reads_than_worth_merging_are_made_one_by_one() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(MIN_MERGED)})

    _read_runs(glue, [f"jr_{i}" for i in range(MIN_MERGED - 1)])

    assert (glue.count("GetJobRuns"), glue.count("GetJobRun")) == (0, MIN_MERGED - 1)


def test_runs_the_page_does_not_hold_get_their_own_call_and_its_error() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(40)})  # jr_0 is older than the page
    asked = ["jr_0", "jr_38", "jr_39", "jr_37", "jr_gone"]

    answers = _read_runs(glue, asked)

    assert [a["JobRun"]["Id"] for a in answers[:4]] == asked[:4]
    missing = answers[4]
    assert isinstance(missing, ClientError)
    assert missing.response["Error"] == {
        "Code": "EntityNotFoundException",
        "Message": "Job run jr_gone not found",
    }
    assert sorted(kw["RunId"] for name, kw in glue.calls if name == "GetJobRun") == ["jr_0", "jr_gone"]


def test_a_denied_merged_call_falls_back_and_is_not_tried_again() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(5)})
    glue.failing["GetJobRuns"] = _error(
        "AccessDeniedException", "GetJobRuns", "not authorized: glue:GetJobRuns"
    )
    facade = MergingGlue(glue)

    async def two_turns() -> list[Any]:
        answers = []
        for _ in range(2):
            reads = [facade.get_job_run(JobName=JOB, RunId=f"jr_{i}") for i in range(5)]
            answers += await asyncio.gather(*reads)
        return answers

    answers = asyncio.run(two_turns())

    assert [a["JobRun"]["Id"] for a in answers] == [f"jr_{i}" for i in range(5)] * 2
    assert (glue.count("GetJobRuns"), glue.count("GetJobRun")) == (1, 10)


def test_another_failure_of_the_merged_call_falls_back_for_that_turn_only() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(5)})
    glue.failing["GetJobRuns"] = _error("ThrottlingException", "GetJobRuns", "Rate exceeded")
    facade = MergingGlue(glue)

    async def two_turns() -> None:
        await asyncio.gather(*(facade.get_job_run(JobName=JOB, RunId=f"jr_{i}") for i in range(5)))
        del glue.failing["GetJobRuns"]
        await asyncio.gather(*(facade.get_job_run(JobName=JOB, RunId=f"jr_{i}") for i in range(5)))

    asyncio.run(two_turns())

    assert (glue.count("GetJobRuns"), glue.count("GetJobRun")) == (2, 5)


def test_reads_in_different_turns_are_not_merged() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(8)})
    facade = MergingGlue(glue)

    async def staggered(i: int) -> Any:
        await asyncio.sleep(0.01 * (i % 2))  # half of them check a moment later: nobody waits for them
        return await facade.get_job_run(JobName=JOB, RunId=f"jr_{i}")

    async def main() -> list[Any]:
        return await asyncio.gather(*(staggered(i) for i in range(8)))

    asyncio.run(main())

    pages = [kw["MaxResults"] for name, kw in glue.calls if name == "GetJobRuns"]
    assert pages == [4 + merged_checks.PAGE_SLACK] * 2 and glue.count("GetJobRun") == 0


def test_runs_of_different_jobs_are_merged_per_job_and_other_calls_pass_through() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(4)})
    facade = MergingGlue(glue)

    async def main() -> None:
        reads = [facade.get_job_run(JobName=job, RunId=f"jr_{i}") for job in (JOB, "other") for i in range(4)]
        await asyncio.gather(*reads, return_exceptions=True)
        await facade.batch_stop_job_run(JobName=JOB, JobRunIds=["jr_1"])

    asyncio.run(main())

    assert sorted(kw["JobName"] for name, kw in glue.calls if name == "GetJobRuns") == [JOB, "other"]
    assert glue.count("BatchStopJobRun") == 1


def test_reads_with_predecessors_are_not_merged() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(5)})
    facade = MergingGlue(glue)

    async def main() -> None:
        await asyncio.gather(
            *(facade.get_job_run(JobName=JOB, RunId=f"jr_{i}", PredecessorsIncluded=True) for i in range(5))
        )

    asyncio.run(main())

    assert (glue.count("GetJobRuns"), glue.count("GetJobRun")) == (0, 5)


async def _six_reads_one_cancelled(facade: MergingGlue, cancelled: int) -> list[Any]:
    """Six same-turn reads (the first leads, the others follow); read ``cancelled`` is cancelled."""
    reads = [asyncio.create_task(facade.get_job_run(JobName=JOB, RunId=f"jr_{i}")) for i in range(6)]
    await asyncio.sleep(0)  # every read has asked
    reads[cancelled].cancel()
    return await asyncio.gather(*reads, return_exceptions=True)


def test_a_cancelled_follower_leaves_the_others_answered() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(6)})

    answers = asyncio.run(_six_reads_one_cancelled(MergingGlue(glue), 1))

    assert isinstance(answers[1], asyncio.CancelledError)
    assert [a["JobRun"]["Id"] for a in [answers[0], *answers[2:]]] == [
        "jr_0",
        *(f"jr_{i}" for i in range(2, 6)),
    ]
    assert (glue.count("GetJobRuns"), glue.count("GetJobRun")) == (1, 0)


def test_when_the_leader_is_cancelled_its_followers_make_their_own_calls() -> None:
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(6)})
    facade = MergingGlue(glue)

    async def main() -> list[Any]:
        answers = await _six_reads_one_cancelled(facade, 0)
        # The face is usable again: the next turn merges.
        await asyncio.gather(*(facade.get_job_run(JobName=JOB, RunId=f"jr_{i}") for i in range(6)))
        return answers

    answers = asyncio.run(main())

    assert isinstance(answers[0], asyncio.CancelledError)
    assert [a["JobRun"]["Id"] for a in answers[1:]] == [f"jr_{i}" for i in range(1, 6)]
    assert [name for name, _ in glue.calls] == ["GetJobRun"] * 5 + ["GetJobRuns"]


def test_same_turn_crawler_reads_are_batched_and_a_missing_crawler_gets_its_own_error() -> None:
    names = [f"crawler-{i}" for i in range(150)]
    glue = FakeGlueReads(crawlers=tuple(names))
    facade = MergingGlue(glue)

    async def main() -> list[Any]:
        reads = [facade.get_crawler(Name=n) for n in [*names, names[0], "gone"]]
        return await asyncio.gather(*reads, return_exceptions=True)

    answers = asyncio.run(main())

    assert [a["Crawler"]["Name"] for a in answers[:151]] == [*names, names[0]]
    assert isinstance(answers[151], ClientError)
    assert "Crawler entry with name gone does not exist" in str(answers[151])
    batches = [kw["CrawlerNames"] for name, kw in glue.calls if name == "BatchGetCrawlers"]
    assert [len(b) for b in batches] == [100, 51]  # 150 names and "gone", each once, 100 a call
    assert [kw["Name"] for name, kw in glue.calls if name == "GetCrawler"] == ["gone"]


def test_one_merging_face_per_shared_client_and_it_does_not_keep_the_client() -> None:
    glue = FakeGlueReads()
    assert merging(glue) is merging(glue)
    assert merging(glue).client is glue and merging(FakeGlueReads()) is not merging(glue)
    gone = weakref.ref(glue)
    del glue
    gc.collect()
    assert gone() is None  # the pool closed and dropped it: nothing here keeps it


@pytest.mark.parametrize("end", ["SUCCEEDED", "FAILED"])
def test_waits_that_check_together_end_as_they_would_alone(end: str) -> None:
    """Job waits driven by their own decisions over merged reads each reach their own run's outcome."""
    glue = FakeGlueReads({f"jr_{i}": "RUNNING" for i in range(6)})
    facade = MergingGlue(glue)
    log = mock.Mock()

    async def main() -> list[dict[str, Any]]:
        waits = [
            JobRunWait(JOB, f"jr_{i}", poll_interval=0, max_attempts=10**6, follow_retries=False, log=log)
            for i in range(6)
        ]
        runs = [asyncio.create_task(drive_async(w.first(), w.advance, {"glue": facade})) for w in waits]
        while glue.count("GetJobRuns") < 3:  # checking together, every turn
            await asyncio.sleep(0)
        for i in range(6):  # odd runs end as parametrized, even ones succeed
            glue.runs[f"jr_{i}"] = end if i % 2 else "SUCCEEDED"
        return await asyncio.gather(*runs)

    events = asyncio.run(main())

    assert [e["run_id"] for e in events] == [f"jr_{i}" for i in range(6)]
    assert [e["state"] for e in events] == ["SUCCEEDED", end] * 3
    assert [e["status"] for e in events] == ["success", "success" if end == "SUCCEEDED" else "error"] * 3
    assert glue.count("GetJobRun") == 0
