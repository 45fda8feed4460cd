"""AWS's six-field cron, as SCHEDULED Glue triggers read it.

Fields, ``?``, day-of-week 1-7 = SUN-SAT and UTC:
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from glue_flow_local.glue.workflows.cron import CronError, parse_schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_daily_at_three_utc():
    cron = parse_schedule("cron(0 3 * * ? *)")

    assert cron.next_after(at("2026-12-07 02:59")) == at("2026-12-07 03:00")
    assert cron.next_after(at("2026-12-07 03:00")) == at("2026-12-08 03:00")


def test_day_of_week_one_is_sunday_and_names_are_accepted():
    # 2026-12-07 is a Monday.
    sunday = parse_schedule("cron(30 12 ? * 1 *)")
    weekdays = parse_schedule("cron(0/10 * ? * MON-FRI *)")

    assert sunday.next_after(at("2026-12-07 00:00")) == at("2026-12-13 12:30")
    assert weekdays.next_after(at("2026-12-11 23:55")) == at("2026-12-14 00:00")  # Friday night -> Monday
    assert weekdays.next_after(at("2026-12-07 10:01")) == at("2026-12-07 10:10")


def test_month_names_ranges_lists_and_year():
    cron = parse_schedule("cron(15 8,20 1-2 JAN,JUL ? 2027)")

    assert cron.next_after(at("2026-12-07 00:00")) == at("2027-01-01 08:15")
    assert cron.next_after(at("2027-01-02 20:15")) == at("2027-07-01 08:15")
    assert cron.next_after(at("2027-07-02 20:15")) is None  # the year has passed


def test_every_minute():
    assert parse_schedule("cron(* * * * ? *)").next_after(at("2026-12-07 10:00:30")) == at("2026-12-07 10:01")


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ("rate(5 minutes)", "not a cron"),
        ("cron(0 3 * * *)", "has 5 fields"),
        ("cron(0 3 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 3 ? * ? *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 24 * * ? *)", "hours '24' is outside 0-23"),
        ("cron(0 3 ? * 8 *)", "day-of-week '8' is outside 1-7"),
        ("cron(0 3 L * ? *)", "day-of-month 'L' uses L, W or #"),
        ("cron(0 3 ? * 6#3 *)", "uses L, W or #"),
        ("cron(x 3 * * ? *)", "minutes value 'x' is not a number"),
    ],
)
def test_bad_schedules_are_named(schedule, message):
    with pytest.raises(CronError, match=message) as caught:
        parse_schedule(schedule)
    assert schedule in str(caught.value)
