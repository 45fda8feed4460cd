"""AWS's six-field cron expressions, as SCHEDULED Glue triggers use them: ``cron(0 3 * * ? *)``.

Fields: minutes, hours, day-of-month, month (1-12 or JAN-DEC), day-of-week (1-7 = SUN-SAT, or SUN-SAT),
year; ``,`` lists, ``-`` ranges, ``*`` any, ``/`` increments, and ``?`` (any) in exactly one of
day-of-month and day-of-week. Times are UTC. ``L``, ``W`` and ``#`` are refused, naming the field.
https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_MONTHS = {m: i + 1 for i, m in enumerate("JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split())}
_DAYS = {d: i + 1 for i, d in enumerate("SUN MON TUE WED THU FRI SAT".split())}
# (name, lowest, highest, names)
_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("minutes", 0, 59, {}),
    ("hours", 0, 23, {}),
    ("day-of-month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, {}),
)
#: How far ahead a schedule is searched for its next time.
_HORIZON_DAYS = 366 * 5


class CronError(ValueError):
    """A schedule expression the local Glue cannot read; the message names the expression and field."""


@dataclass(frozen=True)
class Cron:
    """A parsed schedule: the values each field allows (None: any)."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None
    months: frozenset[int]
    days_of_week: frozenset[int] | None
    years: frozenset[int]

    def matches_day(self, day: datetime) -> bool:
        """Whether the schedule runs on this (UTC) day at all."""
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        # Python's Monday is 0; AWS's Sunday is 1.
        weekday = (day.weekday() + 1) % 7 + 1
        return self.days_of_week is None or weekday in self.days_of_week

    def next_after(self, moment: datetime) -> datetime | None:
        """The first time strictly after ``moment`` (a whole minute, UTC), or None within five years."""
        moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
        day = moment.replace(hour=0, minute=0)
        for _ in range(_HORIZON_DAYS):
            if self.matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = day.replace(hour=hour, minute=minute)
                        if candidate > moment:
                            return candidate
            day += timedelta(days=1)
        return None


class CronTimes:
    """The next cron time of each scheduled thing (a trigger, a crawler: key (region, name)) while it stays
    scheduled."""

    def __init__(self) -> None:
        self._next: dict[tuple[str, str], tuple[str, datetime]] = {}

    def due(self, key: tuple[str, str], schedule: str, now: datetime) -> bool:
        """Whether the time of ``key`` has come at ``now``; the first look (or a changed schedule) only
        learns its next time, so a thing never fires for a time before it was scheduled.

        :raises CronError: for a schedule that is not AWS cron.
        """
        known = self._next.get(key)
        due = known[1] if known is not None and known[0] == schedule else None
        if due is not None and now < due:
            return False
        following = parse_schedule(schedule).next_after(now)
        if following is None:
            self._next.pop(key, None)
        else:
            self._next[key] = (schedule, following)
        return due is not None

    def keep_only(self, region: str, live: set[tuple[str, str]]) -> None:
        """Forget the things of a region that are not ``live`` (no longer scheduled: a new schedule starts
        from its own time)."""
        for key in [k for k in self._next if k[0] == region and k not in live]:
            del self._next[key]


def parse_schedule(schedule: str) -> Cron:
    """Parse ``cron(<six fields>)``.

    :param schedule: the trigger's Schedule.
    :raises CronError: naming the expression and what is wrong with it.
    """
    match = re.fullmatch(r"\s*cron\((.*)\)\s*", schedule or "")
    if match is None:
        raise CronError(f"Schedule {schedule!r} is not a cron(...) expression")
    parts = match.group(1).split()
    if len(parts) != 6:
        raise CronError(f"Schedule {schedule!r} has {len(parts)} fields; AWS cron has six")
    if (parts[2] == "?") == (parts[4] == "?"):
        raise CronError(f"Schedule {schedule!r}: exactly one of day-of-month and day-of-week must be '?'")
    values = [_field(schedule, text, *spec) for text, spec in zip(parts, _FIELDS, strict=True)]
    minutes, hours, dom, months, dow, years = values
    assert minutes and hours and months and years  # only the day fields may be '?'
    return Cron(schedule, minutes, hours, dom, months, dow, years)


def _field(
    schedule: str, text: str, name: str, low: int, high: int, names: dict[str, int]
) -> frozenset[int] | None:
    if text == "?":
        if name not in ("day-of-month", "day-of-week"):
            raise CronError(f"Schedule {schedule!r}: '?' is allowed only in day-of-month or day-of-week")
        return None
    allowed: set[int] = set()
    for item in text.split(","):
        range_part, _, step_text = item.partition("/")
        step = _number(schedule, name, step_text, {}) if step_text else 1
        if range_part == "*":
            first, last = low, high
        elif "-" in range_part:
            start, end = range_part.split("-", 1)
            first, last = _number(schedule, name, start, names), _number(schedule, name, end, names)
        else:
            first = _number(schedule, name, range_part, names)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or step < 1:
            raise CronError(f"Schedule {schedule!r}: {name} {item!r} is outside {low}-{high}")
        allowed.update(range(first, last + 1, step))
    return frozenset(allowed)


def _number(schedule: str, name: str, text: str, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        if any(mark in upper for mark in ("L", "W", "#")):
            raise CronError(
                f"Schedule {schedule!r}: {name} {text!r} uses L, W or #, which the local Glue does not run"
            )
        raise CronError(f"Schedule {schedule!r}: {name} value {text!r} is not a number")
    return int(text)
