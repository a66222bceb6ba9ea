"""EventBridge schedule expressions, as AWS documents them, and their fire times (docs/tasks.md). Pure.

- `rate(N minute|minutes|hour|hours|day|days)`: every N units from the schedule's creation (singular
  unit for 1, plural otherwise, as AWS refuses the other forms).
- `cron(minutes hours day-of-month month day-of-week year)`: six fields; `,` `-` `*` `/` in each;
  month names JAN-DEC and day names SUN-SAT (1 = SUN); `?` in exactly one of day-of-month and
  day-of-week; `L` (last day of the month, or `5L` the last Thursday), `W` (`15W` the weekday nearest
  the 15th, `LW` the last weekday), `#` (`3#2` the second Tuesday); years 1970-2199. In the schedule's
  time zone (IANA name, default UTC).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kube_ecs.ecs import model
from kube_ecs.ecs.normalize import read_request
from kube_ecs.ecs.problems import InvalidSpec, Note, Problem, join
from kube_ecs.ecs.run_task import MUTABLE, validate_run_task

_RATE = re.compile(r"^rate\(\s*([0-9]+)\s+(minute|minutes|hour|hours|day|days)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
# A rate is at most a year (525600 minutes, 8760 hours, 365 days): beyond, fire times overflow datetime.
MAX_RATE = 365 * 86400
_DIGITS = re.compile(r"[0-9]+")  # ASCII only: str.isdigit() takes "²", which int() refuses
_MONTHS = {name: i for i, name in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {name: i for i, name in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
# (name, lowest, highest, names)
_Field = tuple[str, int, int, dict[str, int]]
_FIELDS: tuple[_Field, ...] = (
    ("minutes", 0, 59, {}), ("hours", 0, 23, {}), ("day-of-month", 1, 31, {}), ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS), ("year", 1970, 2199, {}))
LAST_YEAR = 2199


class BadExpression(ValueError):
    """The expression is not one EventBridge takes; the message says what is allowed."""


@dataclass(frozen=True)
class _DayRule:
    """A day-of-month or day-of-week field: plain values, and its L / W / # forms."""

    any: bool = False  # `?`: the other field decides
    values: frozenset[int] = frozenset()
    last: bool = False  # day-of-month L
    last_weekday: bool = False  # day-of-month LW
    nearest_weekday: frozenset[int] = frozenset()  # day-of-month nW
    last_of: frozenset[int] = frozenset()  # day-of-week nL
    nth: frozenset[tuple[int, int]] = frozenset()  # day-of-week d#n


@dataclass(frozen=True)
class Schedule:
    """A parsed expression: `rate` seconds, or cron's fields."""

    expression: str
    rate: int | None = None
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    month_days: _DayRule = _DayRule()
    months: frozenset[int] = frozenset()
    week_days: _DayRule = _DayRule()
    years: frozenset[int] = frozenset()


def _number(text: str, field: _Field) -> int:
    name, low, high, names = field
    value = int(text) if _DIGITS.fullmatch(text) else names.get(text.upper())
    if value is None or not low <= value <= high:
        raise BadExpression(f"{name}: {text!r} is not a value from {low} to {high}"
                            + (f" or a name ({'-'.join(list(names)[::len(names) - 1])})" if names else ""))
    return value


def _values(text: str, field: _Field) -> frozenset[int]:
    """A field of `,`-separated items, each `*`, `a`, `a-b`, with an optional `/step`."""
    name, low, high, _ = field
    out: set[int] = set()
    for item in text.split(","):
        span, _, step_text = item.partition("/")
        if step_text and not _DIGITS.fullmatch(step_text) or step_text and int(step_text) == 0:
            raise BadExpression(f"{name}: {item!r} has a step that is not a positive number")
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            a, b = span.split("-", 1)
            first, last = _number(a, field), _number(b, field)
            if first > last:
                raise BadExpression(f"{name}: the range {span!r} goes backwards")
        else:
            first = _number(span, field)
            last = high if step_text else first
        out.update(range(first, last + 1, step))
    return frozenset(out)


def _month_days(text: str) -> _DayRule:
    if text == "?":
        return _DayRule(any=True)
    if text == "L":
        return _DayRule(last=True)
    if text == "LW":
        return _DayRule(last_weekday=True)
    if text.endswith("W"):
        return _DayRule(nearest_weekday=frozenset({_number(text[:-1], _FIELDS[2])}))
    return _DayRule(values=_values(text, _FIELDS[2]))


def _week_days(text: str) -> _DayRule:
    if text == "?":
        return _DayRule(any=True)
    if text == "L":
        return _DayRule(values=frozenset({_DAYS["SAT"]}))
    if text.endswith("L"):
        return _DayRule(last_of=frozenset({_number(text[:-1], _FIELDS[4])}))
    if "#" in text:
        day, _, nth = text.partition("#")
        if not _DIGITS.fullmatch(nth) or not 1 <= int(nth) <= 5:
            raise BadExpression(f"day-of-week: {text!r}: the week after # is 1 to 5")
        return _DayRule(nth=frozenset({(_number(day, _FIELDS[4]), int(nth))}))
    return _DayRule(values=_values(text, _FIELDS[4]))


def parse(expression: str) -> Schedule:
    """`expression` parsed; BadExpression with what is wrong and what is allowed."""
    text = expression.strip()
    if found := _RATE.match(text):
        value, unit = int(found[1]), found[2]
        if value < 1:
            raise BadExpression("rate: the value must be a positive number")
        if (value == 1) != (not unit.endswith("s")):
            raise BadExpression(f"rate: use the singular unit for 1 and the plural one otherwise "
                                f"(rate(1 {unit.rstrip('s')}), rate({max(value, 2)} {unit.rstrip('s')}s))")
        seconds = value * _UNITS[unit.rstrip("s")]
        if seconds > MAX_RATE:
            raise BadExpression("rate: the period is at most a year (525600 minutes, 8760 hours or 365 days)")
        return Schedule(text, rate=seconds)
    found = _CRON.match(text)
    if not found:
        raise BadExpression("a schedule expression is rate(value unit) or cron(minutes hours day-of-month month "
                            "day-of-week year)")
    parts = found[1].split()
    if len(parts) != 6:
        raise BadExpression(f"cron takes six fields (minutes hours day-of-month month day-of-week year), not "
                            f"{len(parts)}")
    minutes, hours, month_days, months, week_days, years = parts
    if (month_days == "?") == (week_days == "?"):
        raise BadExpression("cron: one of day-of-month and day-of-week must be ?, and only one")
    return Schedule(text, minutes=_values(minutes, _FIELDS[0]), hours=_values(hours, _FIELDS[1]),
                    month_days=_month_days(month_days), months=_values(months, _FIELDS[3]),
                    week_days=_week_days(week_days), years=_values(years, _FIELDS[5]))


def zone(name: str | None) -> tzinfo:
    """The time zone of a schedule (default UTC); BadExpression for an unknown name."""
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise BadExpression(f"scheduleExpressionTimezone: {name!r} is not an IANA time zone name "
                            f"(such as Europe/Paris)") from e


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Monday is 0 in Python, 2 in AWS's cron


def _nearest_weekday(year: int, month: int, wanted: int) -> int:
    """The weekday nearest day `wanted` of the month, never crossing into another month (as AWS's W)."""
    last = calendar.monthrange(year, month)[1]
    day = min(wanted, last)
    weekday = date(year, month, day).weekday()
    if weekday == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return day + 1 if day < last else day - 2
    return day


def _day_matches(schedule: Schedule, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    month_rule, week_rule = schedule.month_days, schedule.week_days
    if not month_rule.any:
        return (day.day in month_rule.values or (month_rule.last and day.day == last)
                or (month_rule.last_weekday and day.day == _nearest_weekday(day.year, day.month, last))
                or any(day.day == _nearest_weekday(day.year, day.month, n) for n in month_rule.nearest_weekday))
    weekday = _aws_weekday(day)
    return (weekday in week_rule.values or (weekday in week_rule.last_of and day.day + 7 > last)
            or (weekday, (day.day - 1) // 7 + 1) in week_rule.nth)


def _cron_after(schedule: Schedule, after: datetime, tz: tzinfo) -> datetime | None:
    start = (after.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1))
    day = start.date()
    times = sorted((h, m) for h in schedule.hours for m in schedule.minutes)
    while day.year <= LAST_YEAR:
        if day.year not in schedule.years:
            day = date(day.year + 1, 1, 1)
            continue
        if day.month not in schedule.months:
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
            continue
        if _day_matches(schedule, day):
            for hour, minute in times:
                local = datetime(day.year, day.month, day.day, hour, minute)
                if local < start:
                    continue
                fire = local.replace(tzinfo=tz)
                if fire.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local:  # not in a DST gap
                    return fire.astimezone(UTC)
        day += timedelta(days=1)
    return None


def next_fire(schedule: Schedule, after: datetime, *, anchor: datetime, tz: tzinfo = UTC) -> datetime | None:
    """The first fire time strictly after `after` (aware), in UTC; None when there is none any more (a
    past year). A rate fires every period from `anchor` (the schedule's creation)."""
    if schedule.rate is not None:
        periods = max(0, int((after - anchor).total_seconds() // schedule.rate)) + 1
        return (anchor + timedelta(seconds=periods * schedule.rate)).astimezone(UTC)
    return _cron_after(schedule, after, tz)


def check(expression: str, timezone: str | None) -> list[str]:
    """What EventBridge refuses about a schedule ([] when it takes it), each message naming the field."""
    problems = []
    try:
        parse(expression)
    except BadExpression as e:
        problems.append(f"scheduleExpression: {e}")
    try:
        zone(timezone)
    except BadExpression as e:
        problems.append(str(e))
    return problems


MAX_HISTORY, DEFAULT_HISTORY = 50, 5


def check_scheduled_task(raw: Any) -> tuple[dict | None, list[Problem], list[Note]]:
    """(normalized spec or None, problems, notes) of a ScheduledTask: its schedule, its history limit and
    its RunTask request (paths under runTask.)."""
    try:
        spec, notes = read_request(raw, model.SCHEDULED_TASK, "a scheduled task")
    except InvalidSpec as e:
        return None, e.problems, []
    problems = [Problem(*message.split(": ", 1)) for message in
                check(spec.get("scheduleExpression", ""), spec.get("scheduleExpressionTimezone"))]
    limit = spec.get("runsHistoryLimit", DEFAULT_HISTORY)
    if not 1 <= limit <= MAX_HISTORY:
        problems.append(Problem("runsHistoryLimit", f"must be between 1 and {MAX_HISTORY}, not {limit}"))
    task = spec.get("runTask") or {}
    problems += [Problem(join("runTask", field), "set on the Task a run makes (StopTask), not on the schedule")
                 for field in MUTABLE if field in task]
    problems += [Problem(join("runTask", p.path), p.message) for p in validate_run_task(task)]
    return (None if problems else spec), problems, notes
