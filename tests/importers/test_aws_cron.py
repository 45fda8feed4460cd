"""AWS cron -> five-field cron. AWS's rules: six fields, ``?`` in one day field, day-of-week 1-7 = SUN-SAT
(https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html)."""

from __future__ import annotations

import pytest

from airflow_glue_flow.importers import AwsCronError, aws_cron_to_cron


@pytest.mark.parametrize(
    ("aws", "cron"),
    [
        ("cron(0 8 * * ? *)", "0 8 * * *"),
        ("cron(15 12 ? * 2-6 *)", "15 12 * * 1-5"),  # MON-FRI as AWS numbers them
        ("cron(0 0 ? * 1,7 *)", "0 0 * * 0,6"),  # SUN and SAT
        ("cron(0 0 ? * 2/2 *)", "0 0 * * 1/2"),  # the step is a count, not a day
        ("cron(0 18 ? * MON-FRI *)", "0 18 * * MON-FRI"),
        ("cron(0/15 * 1 JAN,JUL ? *)", "0/15 * 1 JAN,JUL *"),
    ],
)
def test_aws_cron_converts(aws: str, cron: str) -> None:
    assert aws_cron_to_cron(aws) == cron


@pytest.mark.parametrize(
    ("aws", "named"),
    [
        ("cron(0 10 L * ? *)", "L (last)"),
        ("cron(0 10 ? * 6L *)", "L (last)"),
        ("cron(0 10 15W * ? *)", "W (nearest weekday)"),
        ("cron(0 10 ? * 2#1 *)", "# (nth weekday"),
        ("cron(0 10 * * ? 2030)", "restricts the year"),
        ("cron(0 10 * * *)", "has 5 fields"),
        ("rate(5 minutes)", "is not an AWS cron"),
        ("cron(0 10 ? * 8 *)", "outside AWS's 1-7"),
    ],
)
def test_aws_cron_refuses_what_five_fields_cannot_say(aws: str, named: str) -> None:
    with pytest.raises(AwsCronError, match=named.replace("(", r"\(").replace(")", r"\)")):
        aws_cron_to_cron(aws)


def test_day_names_are_not_taken_for_w() -> None:
    assert aws_cron_to_cron("cron(0 9 ? * WED *)") == "0 9 * * WED"
