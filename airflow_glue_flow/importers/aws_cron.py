"""AWS ``cron(...)`` schedule expressions as the five-field cron of Airflow's ``CronTriggerTimetable``.

AWS cron has six fields (minutes hours day-of-month month day-of-week year), ``?`` for "no specific
value" in one of the two day fields, and numbers day-of-week 1-7 as SUN-SAT, where the five-field cron
numbers 0-6 as SUN-SAT. Glue trigger schedules are in UTC.
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
"""

from __future__ import annotations

import re

_CRON = re.compile(r"^\s*cron\((?P<body>[^)]*)\)\s*$")
_DAY_NAMES = re.compile(r"SUN|MON|TUE|WED|THU|FRI|SAT")
_UNSUPPORTED = {"L": "L (last)", "W": "W (nearest weekday)", "#": "# (nth weekday of the month)"}


class AwsCronError(ValueError):
    """A schedule expression that has no exact five-field cron equivalent."""


def _shift_day_of_week(field: str) -> str:
    """Renumber day-of-week 1-7 (SUN-SAT) as 0-6; names (MON-FRI) and ``*`` stay."""

    def shift(part: str) -> str:
        if part.isdigit():
            number = int(part)
            if not 1 <= number <= 7:
                raise AwsCronError(f"day-of-week {number} is outside AWS's 1-7 (SUN-SAT)")
            return str(number - 1)
        return part

    items = []
    for item in field.split(","):
        base, slash, step = item.partition("/")
        items.append("-".join(shift(p) for p in base.split("-")) + slash + step)
    return ",".join(items)


def aws_cron_to_cron(expression: str) -> str:
    """``cron(0 8 * * ? *)`` -> ``0 8 * * *``.

    :raises AwsCronError: not ``cron(...)`` with six fields, a year other than ``*``, or ``L``/``W``/``#``.
    """
    match = _CRON.match(expression)
    if match is None:
        raise AwsCronError(f"{expression!r} is not an AWS cron(...) expression")
    fields = match.group("body").split()
    if len(fields) != 6:
        raise AwsCronError(f"{expression!r} has {len(fields)} fields; AWS cron has 6")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if year not in ("*", "?"):
        raise AwsCronError(f"{expression!r} restricts the year ({year}), which five-field cron cannot")
    for name, value in (("day-of-month", day_of_month), ("day-of-week", day_of_week)):
        for token, meaning in _UNSUPPORTED.items():
            if token in _DAY_NAMES.sub("", value.upper()):
                raise AwsCronError(f"{expression!r} uses {meaning} in {name}, which five-field cron cannot")
    if day_of_month == "?" and day_of_week == "?":
        raise AwsCronError(f"{expression!r} has ? in both day fields; AWS requires one of them")
    day_of_month = "*" if day_of_month == "?" else day_of_month
    day_of_week = "*" if day_of_week == "?" else _shift_day_of_week(day_of_week)
    return " ".join((minutes, hours, day_of_month, month, day_of_week))
