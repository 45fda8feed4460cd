"""Extra links open the AWS console, or the local Glue's console when the task ran against it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from airflow_glue_flow.links.glue import CONSOLE_URL_ENV, GlueCrawlerLink, GlueJobRunLink, local_console_url


def operator_on(endpoint: str | None) -> Any:
    config = SimpleNamespace(get_service_endpoint_url=lambda service: endpoint)
    return SimpleNamespace(hook=SimpleNamespace(conn_config=config))


@pytest.mark.parametrize(
    ("endpoint", "console"),
    [
        ("http://127.0.0.1:4566", "http://127.0.0.1:4566/_console"),
        ("http://localhost:4566/", "http://localhost:4566/_console"),
        (None, None),  # real AWS
        ("https://glue.vpce-0abc.us-east-1.vpce.amazonaws.com", None),  # a VPC endpoint is still AWS
    ],
)
def test_console_url_follows_the_connection_endpoint(endpoint, console, monkeypatch):
    monkeypatch.delenv(CONSOLE_URL_ENV, raising=False)
    assert local_console_url(operator_on(endpoint)) == console


def test_console_url_can_be_set_for_docker_compose(monkeypatch):
    monkeypatch.setenv(CONSOLE_URL_ENV, "http://127.0.0.1:4566/_console/")
    assert local_console_url(operator_on("http://local-glue:4566")) == "http://127.0.0.1:4566/_console"


def test_local_links_open_the_local_console_pages():
    run = GlueJobRunLink().format_link(
        console_url="http://127.0.0.1:4566/_console",
        region_name="us-east-1",
        job_name="se2 job",
        job_run_id="jr_1",
    )
    assert run == "http://127.0.0.1:4566/_console/jobs/se2%20job/runs/jr_1?region=us-east-1"
    crawler = GlueCrawlerLink().format_link(
        console_url="http://127.0.0.1:4566/_console", region_name="us-east-1", crawler_name="se2_in0"
    )
    assert crawler == "http://127.0.0.1:4566/_console/crawlers/se2_in0?region=us-east-1"


def test_aws_links_open_the_aws_console():
    link = GlueJobRunLink().format_link(
        console_url=None,
        region_name="ap-northeast-1",
        aws_domain="aws.amazon.com",
        job_name="j",
        job_run_id="jr_1",
    )
    assert link == "https://console.aws.amazon.com/gluestudio/home?region=ap-northeast-1#/job/j/run/jr_1"


def test_persist_stores_the_local_console_url_with_the_link_values(monkeypatch):
    monkeypatch.delenv(CONSOLE_URL_ENV, raising=False)
    pushed: dict[str, Any] = {}
    ti = SimpleNamespace(xcom_push=lambda key, value: pushed.update({key: value}))
    operator = operator_on("http://127.0.0.1:4566")
    operator.do_xcom_push = True
    GlueJobRunLink.persist(
        context={"ti": ti},
        operator=operator,
        region_name="us-east-1",
        aws_partition="aws",
        job_name="j",
        job_run_id="jr_1",
    )
    assert GlueJobRunLink().format_link(**pushed["glue_job_run"]) == (
        "http://127.0.0.1:4566/_console/jobs/j/runs/jr_1?region=us-east-1"
    )
