"""Glue state vocabulary shared by operators, sensors, triggers and the conditional trigger."""

from __future__ import annotations

from typing import Final

#: Job run states that are still moving.
JOB_RUNNING_STATES: Final = frozenset({"STARTING", "RUNNING", "STOPPING", "WAITING"})
JOB_SUCCESS_STATE: Final = "SUCCEEDED"
#: Terminal job run states that are not success.
JOB_FAILURE_STATES: Final = frozenset({"FAILED", "TIMEOUT", "STOPPED", "ERROR", "EXPIRED"})
#: Job states a Glue conditional trigger may watch (Condition.State).
JOB_WATCHABLE_STATES: Final = ("SUCCEEDED", "STOPPED", "FAILED", "TIMEOUT")

#: Crawler.State values.
CRAWLER_READY: Final = "READY"
CRAWL_SUCCESS_STATE: Final = "SUCCEEDED"
#: LastCrawl.Status values that are not success.
CRAWL_FAILURE_STATES: Final = frozenset({"FAILED", "CANCELLED"})
#: Crawl states a Glue conditional trigger may watch (Condition.CrawlState).
CRAWL_WATCHABLE_STATES: Final = ("SUCCEEDED", "FAILED", "CANCELLED")

#: XCom key under which Glue tasks push the final Glue state of their run or crawl, also on failure.
GLUE_STATE_XCOM_KEY: Final = "glue_state"
#: XCom key of a job run's id, pushed as soon as the run is known (before any waiting).
RUN_ID_XCOM_KEY: Final = "glue_job_run_id"
