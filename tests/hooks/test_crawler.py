from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from airflow_glue_flow.crawl_check import CLOCK_SKEW_TOLERANCE, CrawlCheck, check_crawl, crawl_summary
from airflow_glue_flow.exceptions import (
    GlueApiCallError,
    GlueCrawlerNotFoundError,
    GlueCrawlerRunningError,
    GlueCrawlFailedError,
    GlueCrawlTimeoutError,
    GlueFlowError,
)
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook, running_crawl_start
from airflow_glue_flow.triggers.crawler import GlueCrawlerReadyTrigger
from tests.support.crawler_responses import (
    CRAWLER,
    METRICS,
    OUTCOMES,
    T0,
    AsyncScriptedGlue,
    ScriptedGlue,
    client_error,
    crawler,
)


@pytest.fixture
def hook(aws_default):
    return GlueCrawlerFlowHook(aws_conn_id="aws_default", region_name="us-east-1")


# --- the pure decision -------------------------------------------------------------------------------


def test_running_crawler_is_waiting():
    assert check_crawl(crawler("RUNNING"), T0) == CrawlCheck("waiting", "RUNNING")


def test_ready_with_this_crawls_success_is_success():
    check = check_crawl(crawler("READY", "SUCCEEDED", T0 + timedelta(seconds=3)), T0)
    assert check.outcome == "succeeded"
    assert check.status == "SUCCEEDED"
    assert check.crawl_started_at == T0 + timedelta(seconds=3)


@pytest.mark.parametrize("status", ["SUCCEEDED", "FAILED", "CANCELLED"])
def test_ready_left_from_an_earlier_crawl_is_still_waiting(status):
    check = check_crawl(crawler("READY", status, T0 - timedelta(hours=1)), T0)
    assert check.outcome == "waiting"
    assert check.state == "READY (last crawl started 2026-01-01T11:00:00+00:00, before this one)"


def test_clock_skew_tolerance_boundary():
    inside = T0 - CLOCK_SKEW_TOLERANCE + timedelta(seconds=1)
    outside = T0 - CLOCK_SKEW_TOLERANCE - timedelta(seconds=1)
    assert check_crawl(crawler("READY", "SUCCEEDED", inside), T0).outcome == "succeeded"
    assert check_crawl(crawler("READY", "SUCCEEDED", outside), T0).outcome == "waiting"


def test_ready_without_any_crawl_is_waiting():
    check = check_crawl(crawler("READY"), T0)
    assert check == CrawlCheck("waiting", "READY (no crawl recorded yet)")


def test_without_a_start_time_the_last_crawl_counts():
    assert check_crawl(crawler("READY", "SUCCEEDED", T0 - timedelta(days=3)), None).outcome == "succeeded"


def test_naive_times_are_taken_as_utc():
    naive_start = datetime(2026, 1, 1, 12, 0, 5)
    check = check_crawl(crawler("READY", "SUCCEEDED", naive_start), T0.replace(tzinfo=None))
    assert check.outcome == "succeeded"
    assert check.crawl_started_at == T0 + timedelta(seconds=5)


@pytest.mark.parametrize("status", ["FAILED", "CANCELLED"])
def test_ready_with_failed_or_cancelled_is_failure_with_details(status):
    check = check_crawl(crawler("READY", status, T0, error="Insufficient Lake Formation permission"), T0)
    assert check.outcome == "failed"
    assert (check.status, check.error_message) == (status, "Insufficient Lake Formation permission")
    assert (check.log_group, check.log_stream) == ("/aws-glue/crawlers", CRAWLER)


def test_undocumented_status_is_a_failure_that_names_it():
    check = check_crawl(crawler("READY", "COMPLETED", T0), T0)
    assert check.outcome == "failed"
    assert check.error_message == "unexpected LastCrawl.Status 'COMPLETED'"


def test_summary_with_and_without_metrics():
    check = check_crawl(crawler("READY", "SUCCEEDED", T0), T0)
    assert crawl_summary(CRAWLER, check, METRICS) == {
        "crawler_name": CRAWLER,
        "status": "SUCCEEDED",
        "started_at": "2026-01-01T12:00:00+00:00",
        "ended_at": "2026-01-01T12:00:42.500000+00:00",
        "duration_seconds": 42.5,
        "tables_created": 1,
        "tables_updated": 2,
        "tables_deleted": 0,
        "log_group": "/aws-glue/crawlers",
        "log_stream": CRAWLER,
    }
    bare = crawl_summary(CRAWLER, check, None)
    assert bare["ended_at"] is None and bare["duration_seconds"] is None and bare["tables_created"] is None


# --- starting a crawl --------------------------------------------------------------------------------


def test_start_returns_name_and_utc_start(hook):
    before = datetime.now(UTC)
    with Stubber(hook.glue_client) as stub:
        stub.add_response("start_crawler", {}, {"Name": CRAWLER})
        started = hook.start_crawl(CRAWLER)
        stub.assert_no_pending_responses()
    assert started["crawler_name"] == CRAWLER and started["adopted"] is False
    started_at = datetime.fromisoformat(started["started_at"])
    assert started_at.tzinfo is not None and started_at.utcoffset() == timedelta(0)
    assert before <= started_at <= datetime.now(UTC)


def test_running_crawl_is_adopted_with_its_own_start(hook):
    with Stubber(hook.glue_client) as stub:
        stub.add_client_error(
            "start_crawler", "CrawlerRunningException", "Crawler with name se2_in0 has already started"
        )
        stub.add_response(
            "get_crawler", {"Crawler": crawler("RUNNING", elapsed_ms=90_000)}, {"Name": CRAWLER}
        )
        before = datetime.now(UTC)
        started = hook.start_crawl(CRAWLER, if_running="wait")
        after = datetime.now(UTC)
        stub.assert_no_pending_responses()
    assert started["adopted"] is True
    started_at = datetime.fromisoformat(started["started_at"])
    assert before - timedelta(seconds=90) <= started_at <= after - timedelta(seconds=90)


def test_running_crawl_fails_when_told_to(hook):
    with Stubber(hook.glue_client) as stub:
        stub.add_client_error(
            "start_crawler", "CrawlerRunningException", "Crawler with name se2_in0 has already started"
        )
        stub.add_response("get_crawler", {"Crawler": crawler("STOPPING")}, {"Name": CRAWLER})
        with pytest.raises(GlueCrawlerRunningError) as raised:
            hook.start_crawl(CRAWLER, if_running="fail")
    assert str(raised.value) == (
        "Glue crawler 'se2_in0' is already STOPPING (if_running='fail'): Crawler with name se2_in0 has already started"
    )


@pytest.mark.parametrize("operation", ["start", "read"])
def test_unknown_crawler_is_named(hook, operation):
    with Stubber(hook.glue_client) as stub:
        message = "Crawler entry with name nope does not exist"
        if operation == "start":
            stub.add_client_error("start_crawler", "EntityNotFoundException", message)
        else:
            stub.add_client_error("get_crawler", "EntityNotFoundException", message)
        with pytest.raises(
            GlueCrawlerNotFoundError, match="Glue crawler 'nope' does not exist: Crawler entry"
        ):
            hook.start_crawl("nope") if operation == "start" else hook.read_crawler("nope")


def test_other_aws_errors_name_the_crawler_and_keep_aws_code_and_message(hook):
    with Stubber(hook.glue_client) as stub:
        stub.add_client_error("start_crawler", "AccessDeniedException", "not allowed")
        with pytest.raises(GlueFlowError) as raised:
            hook.start_crawl(CRAWLER)
    assert (
        str(raised.value) == "Glue crawler 'se2_in0': StartCrawler failed: AccessDeniedException: not allowed"
    )
    assert isinstance(raised.value.__cause__, ClientError)


def test_adopted_start_prefers_what_the_api_says():
    now = datetime(2026, 1, 1, 13, 0, tzinfo=UTC)
    # The crawl that refused our start finished in between: LastCrawl is that crawl.
    assert running_crawl_start(crawler("READY", "SUCCEEDED", T0), now) == T0
    # Emulators show the running crawl in LastCrawl with a status that is not final.
    assert running_crawl_start(crawler("RUNNING", "RUNNING", T0), now) == T0
    # Real Glue: LastCrawl is the previous, finished crawl; CrawlElapsedTime dates this one.
    assert running_crawl_start(
        crawler("RUNNING", "SUCCEEDED", T0, elapsed_ms=60_000), now
    ) == now - timedelta(minutes=1)
    assert running_crawl_start(crawler("RUNNING"), now) == now


# --- the check loop, sync and async ------------------------------------------------------------------


def _wait_sync(hook, glue, started_after=T0, wait_time=5.0, max_attempts=3):
    sleeps: list[float] = []
    with mock.patch.object(GlueCrawlerFlowHook, "glue_client", glue):
        event = hook.wait_for_crawl(CRAWLER, started_after, wait_time, max_attempts, sleep=sleeps.append)
    return event, sleeps


def _wait_async(hook, glue, started_after=T0, wait_time=0.0, max_attempts=3):
    """The same wait, driven in the triggerer (the trigger's event payload)."""
    client = AsyncScriptedGlue(glue)
    trigger = GlueCrawlerReadyTrigger(
        crawler_name=CRAWLER,
        started_after=started_after.isoformat() if started_after else None,
        wait_time=wait_time,
        max_attempts=max_attempts,
        aws_conn_id=hook.aws_conn_id,
        region_name=hook.region_name,
    )

    async def first_event():
        async for event in trigger.run():
            return event.payload

    with mock.patch.object(GlueCrawlerFlowHook, "get_async_conn", mock.AsyncMock(return_value=client)):
        event = asyncio.run(first_event())
    assert client.entered == 1
    return event


@pytest.fixture(params=["sync", "async"])
def wait(request, hook):
    def _wait(glue, **kwargs):
        if request.param == "sync":
            return _wait_sync(hook, glue, **kwargs)[0]
        return _wait_async(hook, glue, **kwargs)

    return _wait


def test_success_reads_metrics_once_at_the_end(wait):
    glue = ScriptedGlue(OUTCOMES["succeeded"])
    event = wait(glue)
    assert event["status"] == "success" and event["glue_state"] == "SUCCEEDED"
    assert event["summary"]["started_at"] == "2026-01-01T12:00:01+00:00"
    assert event["summary"]["tables_updated"] == 2
    assert glue.calls == ["GetCrawler", "GetCrawler", "GetCrawlerMetrics"]


def test_stale_ready_right_after_start_is_not_success(wait):
    glue = ScriptedGlue(OUTCOMES["stale_then_succeeded"])
    event = wait(glue)
    assert event["status"] == "success"
    assert event["summary"]["started_at"] == "2026-01-01T12:00:02+00:00"
    assert glue.count("GetCrawler") == 3


@pytest.mark.parametrize(
    ("outcome", "status", "message"),
    [
        (
            "failed",
            "FAILED",
            "Glue crawler 'se2_in0' crawl FAILED: Access denied to s3://b/k (logs: /aws-glue/crawlers / se2_in0)",
        ),
        (
            "cancelled",
            "CANCELLED",
            "Glue crawler 'se2_in0' crawl CANCELLED: no error message from AWS (logs: /aws-glue/crawlers / se2_in0)",
        ),
    ],
)
def test_failed_and_cancelled_crawls(wait, outcome, status, message):
    glue = ScriptedGlue(OUTCOMES[outcome])
    event = wait(glue)
    assert event["glue_state"] == status
    error = GlueFlowError.from_event(event)
    assert type(error) is GlueCrawlFailedError and str(error) == message
    assert "GetCrawlerMetrics" not in glue.calls


def test_never_ready_times_out_after_exactly_max_attempts_calls(hook):
    glue = ScriptedGlue(OUTCOMES["never_ready"])
    event, sleeps = _wait_sync(hook, glue, wait_time=60, max_attempts=3)
    assert glue.count("GetCrawler") == 3 and not glue.script
    assert sleeps == [60, 60, 60]
    error = GlueFlowError.from_event(event)
    assert type(error) is GlueCrawlTimeoutError
    assert str(error) == "Glue crawler 'se2_in0' still RUNNING after 3 checks over 180 s"
    assert event["glue_state"] is None


def test_never_ready_async_makes_the_same_calls_and_error(hook):
    glue = ScriptedGlue([crawler("RUNNING")] * 4)
    event = _wait_async(hook, glue, wait_time=0.0, max_attempts=4)
    assert glue.count("GetCrawler") == 4
    assert (
        GlueFlowError.from_event(event).message
        == "Glue crawler 'se2_in0' still RUNNING after 4 checks over 0 s"
    )


def test_stale_ready_until_the_end_is_a_timeout_not_a_failure(wait):
    event = wait(ScriptedGlue(OUTCOMES["stale_forever"]))
    error = GlueFlowError.from_event(event)
    assert type(error) is GlueCrawlTimeoutError
    assert (
        "still READY (last crawl started 2026-01-01T09:00:00+00:00, before this one) after 3 checks"
        in str(error)
    )


def test_crawler_deleted_while_waiting(wait):
    event = wait(ScriptedGlue(OUTCOMES["deleted"]))
    assert type(GlueFlowError.from_event(event)) is GlueCrawlerNotFoundError


def test_aws_error_while_waiting_is_one_error_event(wait):
    glue = ScriptedGlue(OUTCOMES["denied"])
    error = GlueFlowError.from_event(wait(glue))
    assert type(error) is GlueApiCallError
    assert error.fields["error_code"] == "AccessDeniedException"
    assert (
        str(error) == "Glue crawler 'se2_in0': GetCrawler failed: AccessDeniedException: no glue:GetCrawler"
    )
    assert glue.count("GetCrawler") == 2


def test_metrics_without_permission_still_succeed(wait):
    denied = client_error("AccessDeniedException", "no glue:GetCrawlerMetrics", "GetCrawlerMetrics")
    event = wait(ScriptedGlue(OUTCOMES["succeeded"], metrics=denied))
    assert event["status"] == "success"
    assert event["summary"]["tables_created"] is None and event["summary"]["status"] == "SUCCEEDED"


# --- against the local Glue (real crawls, real boto3 and aiobotocore clients) ----------------------


@pytest.mark.slow
def test_start_adopt_and_wait_against_the_local_glue(
    local_aws_default, glue_client, s3_client, bucket, unique
):
    from airflow_glue_flow.crawl_check import parse_utc

    s3_client.put_object(Bucket=bucket, Key="in0/cvlog.csv", Body=b"deviceid,uuid\niphone,1\n")
    database, good, bad = unique("se2"), unique("good"), unique("bad")
    glue_client.create_database(DatabaseInput={"Name": database})
    role = "arn:aws:iam::123456789012:role/glue"
    for name, path in ((good, f"s3://{bucket}/in0/"), (bad, "s3://no-such-bucket/x/")):
        glue_client.create_crawler(
            Name=name, Role=role, DatabaseName=database, Targets={"S3Targets": [{"Path": path}]}
        )
    hook = GlueCrawlerFlowHook(aws_conn_id=local_aws_default)

    started = hook.start_crawl(good)
    assert hook.start_crawl(good)["adopted"] is True
    with pytest.raises(GlueCrawlerRunningError):
        hook.start_crawl(good, if_running="fail")
    event = hook.wait_for_crawl(good, parse_utc(started["started_at"]), 0.2, 50)
    assert event["glue_state"] == "SUCCEEDED" and event["summary"]["tables_created"] == 1

    started = hook.start_crawl(bad)
    trigger = GlueCrawlerReadyTrigger(
        crawler_name=bad,
        started_after=started["started_at"],
        wait_time=0.2,
        max_attempts=50,
        aws_conn_id=local_aws_default,
    )

    async def first_event():
        async for fired in trigger.run():
            return fired.payload

    event = asyncio.run(first_event())
    error = GlueFlowError.from_event(event)
    assert type(error) is GlueCrawlFailedError and "no-such-bucket" in str(error)

    with pytest.raises(GlueCrawlerNotFoundError):
        hook.start_crawl(unique("missing"))
