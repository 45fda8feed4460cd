"""The glue_crawler_job_chain DAG, loaded from its file and run with dag.test() against scripted Glue.

Start crawler -> wait for the crawl -> run the job, on an existing crawler and job (``deploy=false``,
as the seed runs them): success, each crawl failure, the crawl timeout after ``max_attempts`` checks and
each failed end of the job run, waiting in the worker; success and one of each kind of failure waiting
in the triggerer. What the DAG deploys is run on the local Glue in test_glue_crawler_job_chain_deploy.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from airflow_glue_flow.exceptions import GlueCrawlFailedError, GlueCrawlTimeoutError, GlueJobRunFailedError
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
from airflow_glue_flow.hooks.job import RUN_TAG_ARGUMENT, GlueJobFlowHook
from airflow_glue_flow.operators.job_cleanup import GlueJobRunCleanupOperator
from airflow_glue_flow.states import GLUE_STATE_XCOM_KEY, JOB_FAILURE_STATES
from tests.conftest import REPO_ROOT, task_states
from tests.support.airflow_internals import parse_dags
from tests.support.crawler_responses import (
    CRAWLER,
    METRICS,
    AsyncScriptedGlue,
    ScriptedGlue,
    crawler,
    now_plus,
)
from tests.support.glue_job_fakes import JOB, FakeGlue, patch_glue

DAG_FILE = REPO_ROOT / "dags" / "glue_crawler_job_chain.py"
DAG_ID = "glue_crawler_job_chain"
TASKS = ("job_definition", "deploy", "start_crawler", "wait_for_crawler", "run_job", "stop_left_glue_runs")
#: With deploy=false nothing is deployed: both deploy tasks are skipped, the chain runs.
NOT_DEPLOYED = {"job_definition": "skipped", "deploy": "skipped"}
MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["sync", "deferrable"])
JOB_ERROR = "ZeroDivisionError: division by zero"


pytestmark = pytest.mark.usefixtures("aws_default")


def load_dag(deferrable: bool) -> Any:
    """The DAG as the DAG processor loads it from its file, waiting in the worker or in the triggerer.

    ``deferrable`` defaults from ``[operators] default_deferrable`` when the operator modules are imported,
    so the mode is set on the loaded tasks, as that setting would have.
    """
    dagbag = parse_dags(DAG_FILE)
    assert dagbag.import_errors == {}
    dag = dagbag.get_dag(DAG_ID)
    assert dag is not None and set(dag.task_ids) == set(TASKS)
    for task_id in ("wait_for_crawler", "run_job"):
        dag.get_task(task_id).deferrable = deferrable
    # The job is polled every 30 s and retried after 10 s; the scripted run has nothing to wait for.
    dag.get_task("run_job").poll_interval = 0
    dag.get_task("run_job").retry_delay = timedelta(0)
    return dag


@contextmanager
def scripted_glue(crawls: ScriptedGlue, job: FakeGlue) -> Iterator[AsyncScriptedGlue]:
    """Answer every crawler hook (sync and async client) from ``crawls`` and every job hook from ``job``."""
    async_crawls = AsyncScriptedGlue(crawls)
    # The hooks read the region for the console links from their client's metadata.
    crawls.meta = SimpleNamespace(region_name="us-east-1", partition="aws", client=crawls)  # type: ignore[attr-defined]
    with (
        mock.patch.object(GlueCrawlerFlowHook, "conn", crawls),
        mock.patch.object(GlueCrawlerFlowHook, "get_async_conn", mock.AsyncMock(return_value=async_crawls)),
        patch_glue(job),
    ):
        yield async_crawls


def crawl(final_status: str | None, checks_before: int = 1) -> ScriptedGlue:
    """GetCrawler replies: the previous crawl's READY (right after start), RUNNING, then this crawl's end.

    :param final_status: LastCrawl.Status of this crawl when it ends READY; ``None``: it never ends.
    :param checks_before: RUNNING replies between the stale READY and the end.
    """
    replies: list[Any] = [lambda: crawler("READY", "SUCCEEDED", now_plus(-86_400))]
    replies += [crawler("RUNNING")] * checks_before
    if final_status is not None:
        error = "" if final_status == "SUCCEEDED" else "Access denied to s3://bucket/in0/"
        replies.append(lambda: crawler("READY", final_status, now_plus(0), error=error))
    return ScriptedGlue(replies)


def run_chain(
    run_dag,
    deferrable: bool,
    crawls: ScriptedGlue,
    job: FakeGlue,
    max_attempts: int = 3,
    deploy: bool = False,
):
    dag = load_dag(deferrable)
    conf = {
        "deploy": deploy,
        "crawler_name": CRAWLER,
        "job_name": JOB,
        "wait_time": 0,
        "max_attempts": max_attempts,
    }
    # The teardown that stops left-behind runs reads GetJobRuns, which the scripted Glue does not
    # answer; it is run for real in tests/operators/test_job_cleanup.py and the deployment test.
    teardown = mock.patch.object(GlueJobRunCleanupOperator, "execute", return_value={})
    with scripted_glue(crawls, job) as async_crawls, teardown:
        dag_run = run_dag(dag, conf=conf)
        # Deferrable: the checks ran in the (inline) triggerer, on the async clients.
        job_waited_async = GlueJobFlowHook.get_async_conn.await_count > 0
    assert async_crawls.entered == (1 if deferrable and crawls.count("GetCrawler") else 0)
    assert job_waited_async is (deferrable and bool(job.calls_to("StartJobRun")))
    return dag_run


def xcom(dag_run, task_id: str, key: str = "return_value") -> Any:
    return dag_run.get_task_instance(task_id).xcom_pull(task_ids=task_id, key=key)


@MODES
def test_crawl_succeeded_then_job_succeeded(run_dag, task_errors, deferrable):
    crawls, job = crawl("SUCCEEDED"), FakeGlue(states=["STARTING", "RUNNING", "SUCCEEDED"])
    dag_run = run_chain(run_dag, deferrable, crawls, job)

    assert task_states(dag_run) == {**dict.fromkeys(TASKS, "success"), **NOT_DEPLOYED}
    assert str(dag_run.state) == "success"
    assert task_errors == {}

    started = xcom(dag_run, "start_crawler")
    assert (started["crawler_name"], started["adopted"]) == (CRAWLER, False)
    summary = xcom(dag_run, "wait_for_crawler")
    # The stale READY of the first check was skipped: the summary is of the crawl this run started.
    assert datetime.fromisoformat(summary["started_at"]) >= datetime.fromisoformat(started["started_at"])
    assert summary["status"] == "SUCCEEDED" and summary["crawler_name"] == CRAWLER
    assert (summary["tables_created"], summary["tables_updated"], summary["tables_deleted"]) == (
        METRICS["TablesCreated"],
        METRICS["TablesUpdated"],
        METRICS["TablesDeleted"],
    )
    assert xcom(dag_run, "wait_for_crawler", GLUE_STATE_XCOM_KEY) == "SUCCEEDED"
    assert xcom(dag_run, "run_job") == "jr_1"
    assert xcom(dag_run, "run_job", GLUE_STATE_XCOM_KEY) == "SUCCEEDED"

    assert crawls.calls == ["StartCrawler"] + ["GetCrawler"] * 3 + ["GetCrawlerMetrics"]
    [start] = job.calls_to("StartJobRun")
    # The job starts once, by name only, as the seed's startJobRun.sync: its own DefaultArguments apply.
    # The one argument tags the run with its task instance so that a retry reattaches instead of restarting.
    assert start == {
        "JobName": JOB,
        "Arguments": {RUN_TAG_ARGUMENT: f"{DAG_ID}/{dag_run.run_id}/run_job"},
    }
    assert len(job.calls_to("GetJobRun")) == 3


@pytest.mark.parametrize(
    ("status", "deferrable"),
    [("FAILED", False), ("CANCELLED", False), ("FAILED", True)],
    ids=["FAILED-sync", "CANCELLED-sync", "FAILED-deferrable"],
)
def test_failed_crawl_fails_the_wait_and_never_starts_the_job(run_dag, task_errors, deferrable, status):
    crawls, job = crawl(status), FakeGlue()
    dag_run = run_chain(run_dag, deferrable, crawls, job)

    assert task_states(dag_run) == {
        **NOT_DEPLOYED,
        "start_crawler": "success",
        "wait_for_crawler": "failed",
        "run_job": "upstream_failed",
        "stop_left_glue_runs": "success",
    }
    assert str(dag_run.state) == "failed"
    error = task_errors["wait_for_crawler"]
    assert type(error) is GlueCrawlFailedError
    assert str(error) == (
        f"Glue crawler {CRAWLER!r} crawl {status}: Access denied to s3://bucket/in0/ "
        f"(logs: /aws-glue/crawlers / {CRAWLER})"
    )
    assert set(task_errors) == {"wait_for_crawler"}
    # Pushed before the error was raised, for downstream conditions.
    assert xcom(dag_run, "wait_for_crawler", GLUE_STATE_XCOM_KEY) == status
    assert xcom(dag_run, "wait_for_crawler") is None
    assert crawls.calls == ["StartCrawler"] + ["GetCrawler"] * 3
    assert job.calls == []


@MODES
def test_crawl_still_running_after_max_attempts_checks_times_out(run_dag, task_errors, deferrable):
    max_attempts = 4
    # More replies than checks: the wait must stop at exactly max_attempts GetCrawler calls.
    crawls, job = crawl(None, checks_before=max_attempts + 2), FakeGlue()
    dag_run = run_chain(run_dag, deferrable, crawls, job, max_attempts=max_attempts)

    assert task_states(dag_run) == {
        **NOT_DEPLOYED,
        "start_crawler": "success",
        "wait_for_crawler": "failed",
        "run_job": "upstream_failed",
        "stop_left_glue_runs": "success",
    }
    error = task_errors["wait_for_crawler"]
    assert type(error) is GlueCrawlTimeoutError
    assert str(error) == f"Glue crawler {CRAWLER!r} still RUNNING after {max_attempts} checks over 0 s"
    assert crawls.count("GetCrawler") == max_attempts
    assert crawls.calls == ["StartCrawler"] + ["GetCrawler"] * max_attempts
    # A crawl that has not ended has no final Glue state.
    assert xcom(dag_run, "wait_for_crawler", GLUE_STATE_XCOM_KEY) is None
    assert job.calls == []


@pytest.mark.parametrize(
    ("state", "deferrable"),
    # Each failure state in the worker; the trigger's handling of every state is covered by the operator's
    # sync/deferrable parity tests, so one deferrable run checks the chain.
    [(state, False) for state in sorted(JOB_FAILURE_STATES)] + [("FAILED", True)],
    ids=[f"{state}-sync" for state in sorted(JOB_FAILURE_STATES)] + ["FAILED-deferrable"],
)
def test_failed_job_run_fails_the_last_task_with_aws_message(run_dag, task_errors, deferrable, state):
    crawls, job = crawl("SUCCEEDED"), FakeGlue(states=["RUNNING", state], error_message=JOB_ERROR)
    dag_run = run_chain(run_dag, deferrable, crawls, job)

    assert task_states(dag_run) == {
        **NOT_DEPLOYED,
        "start_crawler": "success",
        "wait_for_crawler": "success",
        "run_job": "failed",
        "stop_left_glue_runs": "success",
    }
    assert str(dag_run.state) == "failed"
    error = task_errors["run_job"]
    assert type(error) is GlueJobRunFailedError
    assert str(error) == f"Glue job {JOB!r} run jr_1 ended {state}: {JOB_ERROR}"
    assert set(task_errors) == {"run_job"}
    assert xcom(dag_run, "wait_for_crawler", GLUE_STATE_XCOM_KEY) == "SUCCEEDED"
    assert xcom(dag_run, "run_job", GLUE_STATE_XCOM_KEY) == state
    assert xcom(dag_run, "run_job", "glue_job_run_id") == "jr_1"
    assert xcom(dag_run, "run_job") is None
    assert len(job.calls_to("StartJobRun")) == 1
    # A run that ended has nothing left to stop.
    assert job.calls_to("BatchStopJobRun") == []


def test_a_failed_deploy_never_starts_the_crawler(run_dag, task_errors):
    # start_crawler runs after a deploy that succeeded or was skipped (deploy=false), not after a failed one.
    from botocore.exceptions import ClientError

    from airflow_glue_flow.operators.deploy import GlueDeployOperator

    denied = ClientError(
        {"Error": {"Code": "AccessDeniedException", "Message": "not authorized to perform glue:CreateJob"}},
        "CreateJob",
    )
    crawls, job = crawl("SUCCEEDED"), FakeGlue()
    with mock.patch.object(GlueDeployOperator, "execute", side_effect=denied):
        dag_run = run_chain(run_dag, False, crawls, job, deploy=True)

    assert task_states(dag_run) == {
        "job_definition": "success",
        "deploy": "failed",
        "start_crawler": "upstream_failed",
        "wait_for_crawler": "upstream_failed",
        "run_job": "upstream_failed",
        "stop_left_glue_runs": "success",
    }
    assert str(dag_run.state) == "failed"
    assert task_errors["deploy"] is denied
    assert crawls.calls == [] and job.calls == []
