from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pendulum
import pytest
from airflow.sdk import DAG
from botocore.stub import Stubber
from moto import mock_aws

from airflow_glue_flow.exceptions import (
    GlueCrawlerNotFoundError,
    GlueCrawlerRunningError,
    GlueTaskParameterError,
)
from airflow_glue_flow.hooks.crawler import GlueCrawlerFlowHook
from airflow_glue_flow.links.glue import GlueCrawlerLink
from airflow_glue_flow.operators.crawler import GlueCrawlerStartOperator
from tests.support.crawler_responses import CRAWLER, T0, ScriptedGlue, client_error, crawler
from tests.support.fakes import FakeTI, set_aws_connection


@pytest.fixture(autouse=True)
def _aws_conn(monkeypatch):
    set_aws_connection(monkeypatch, region_name="eu-west-1")  # the console link names this region


def _operator(**kwargs: Any) -> GlueCrawlerStartOperator:
    return GlueCrawlerStartOperator(**{"task_id": "start_crawler", "crawler_name": CRAWLER, **kwargs})


def _execute(operator: GlueCrawlerStartOperator, glue: ScriptedGlue) -> tuple[dict[str, Any], FakeTI]:
    ti = FakeTI()
    with mock.patch.object(GlueCrawlerFlowHook, "glue_client", glue):
        return operator.execute({"ti": ti}), ti


def test_class_contract():
    # Not a crawl-state source for conditional triggers: the READY sensor is.
    assert not hasattr(GlueCrawlerStartOperator, "glue_resource_type")
    assert {"crawler_name", "if_running", "aws_conn_id", "region_name"} <= set(
        GlueCrawlerStartOperator.template_fields
    )
    assert [type(link) for link in GlueCrawlerStartOperator.operator_extra_links] == [GlueCrawlerLink]


def test_starts_the_crawler_and_returns_its_start_time():
    glue = ScriptedGlue()
    before = datetime.now(UTC)
    result, ti = _execute(_operator(), glue)
    assert glue.calls == ["StartCrawler"]
    assert result["crawler_name"] == CRAWLER and result["adopted"] is False
    assert before <= datetime.fromisoformat(result["started_at"]) <= datetime.now(UTC)
    assert ti.xcom["glue_crawler"] == {
        "region_name": "eu-west-1",
        "aws_domain": "aws.amazon.com",
        "crawler_name": CRAWLER,
    }
    link = GlueCrawlerLink().format_link(**ti.xcom["glue_crawler"])
    assert link == (
        "https://console.aws.amazon.com/glue/home?region=eu-west-1#/v2/data-catalog/crawlers/view/se2_in0"
    )


def test_running_crawler_is_adopted_by_default():
    running = client_error(
        "CrawlerRunningException", "Crawler with name se2_in0 has already started", "StartCrawler"
    )
    glue = ScriptedGlue([crawler("RUNNING", "SUCCEEDED", T0 - timedelta(days=1), elapsed_ms=30_000)], running)
    before = datetime.now(UTC)
    result, _ = _execute(_operator(), glue)
    assert result["adopted"] is True
    started_at = datetime.fromisoformat(result["started_at"])
    assert before - timedelta(seconds=30) <= started_at <= datetime.now(UTC) - timedelta(seconds=30)


def test_running_crawler_fails_with_if_running_fail():
    running = client_error(
        "CrawlerRunningException", "Crawler with name se2_in0 has already started", "StartCrawler"
    )
    glue = ScriptedGlue([crawler("RUNNING")], running)
    with pytest.raises(GlueCrawlerRunningError, match="Glue crawler 'se2_in0' is already RUNNING"):
        _execute(_operator(if_running="fail"), glue)


def test_unknown_crawler_against_moto():
    with mock_aws():
        with pytest.raises(GlueCrawlerNotFoundError, match="Glue crawler 'missing' does not exist"):
            _operator(crawler_name="missing").execute({"ti": FakeTI()})


def test_starts_a_real_crawler_in_moto_and_adopts_it_on_a_second_start():
    with mock_aws():
        hook = GlueCrawlerFlowHook(aws_conn_id="aws_default")
        hook.glue_client.create_crawler(
            Name=CRAWLER,
            Role="arn:aws:iam::123456789012:role/glue",
            Targets={"S3Targets": [{"Path": "s3://b/"}]},
        )
        first = _operator().execute({"ti": FakeTI()})
        second = _operator().execute({"ti": FakeTI()})
    assert (first["adopted"], second["adopted"]) == (False, True)
    # moto shows the running crawl in LastCrawl; the adopted start is that crawl's start.
    assert abs(datetime.fromisoformat(second["started_at"]) - datetime.fromisoformat(first["started_at"])) < (
        timedelta(seconds=5)
    )


def test_bad_if_running_is_refused_at_parse_time_and_templates_at_run_time():
    with pytest.raises(GlueTaskParameterError, match="if_running='maybe' must be 'wait' or 'fail'"):
        _operator(if_running="maybe")
    templated = _operator(if_running="{{ params.if_running }}")
    templated.if_running = "sometimes"  # as rendered
    glue = ScriptedGlue()
    with pytest.raises(GlueTaskParameterError, match="if_running='sometimes'"):
        _execute(templated, glue)
    assert glue.calls == []


def test_parsing_a_dag_contacts_no_aws():
    with (
        mock.patch.object(GlueCrawlerFlowHook, "get_conn", side_effect=AssertionError("AWS contacted")),
        mock.patch.object(
            GlueCrawlerFlowHook, "get_connection", side_effect=AssertionError("connection read")
        ),
    ):
        with DAG("crawl_parse", schedule=None, start_date=pendulum.datetime(2024, 1, 1)):
            _operator()


def test_stubbed_start_request_is_well_formed():
    operator = _operator()
    with Stubber(operator.hook.glue_client) as stub:
        stub.add_response("start_crawler", {}, {"Name": CRAWLER})
        operator.execute({"ti": FakeTI()})
        stub.assert_no_pending_responses()
