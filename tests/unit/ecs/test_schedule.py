"""EventBridge schedule expressions: what is taken and refused, and the fire times (ecs/schedule.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kube_ecs.ecs import schedule

AT = datetime(2026, 12, 2, 14, 7, tzinfo=UTC)  # a Wednesday


def fires(expression, n=3, *, after=AT, anchor=AT, tz=None):
    parsed, zone = schedule.parse(expression), schedule.zone(tz)
    out = []
    for _ in range(n):
        after = schedule.next_fire(parsed, after, anchor=anchor, tz=zone)
        out.append(after.strftime("%Y-%m-%d %H:%M"))
    return out


@pytest.mark.parametrize(("expression", "tz", "expected"), [
    ("rate(1 minute)", None, ["2026-12-02 14:08", "2026-12-02 14:09", "2026-12-02 14:10"]),
    ("rate(7 minutes)", None, ["2026-12-02 14:14", "2026-12-02 14:21", "2026-12-02 14:28"]),  # not a divisor of 60
    ("rate(2 hours)", None, ["2026-12-02 16:07", "2026-12-02 18:07", "2026-12-02 20:07"]),
    ("rate(1 day)", None, ["2026-12-03 14:07", "2026-12-04 14:07", "2026-12-05 14:07"]),
    ("cron(0 12 * * ? *)", None, ["2026-12-03 12:00", "2026-12-04 12:00", "2026-12-05 12:00"]),
    ("cron(0/15 * ? * MON-FRI *)", None, ["2026-12-02 14:15", "2026-12-02 14:30", "2026-12-02 14:45"]),
    ("cron(0 18 ? * 2-6 *)", None, ["2026-12-02 18:00", "2026-12-03 18:00", "2026-12-04 18:00"]),  # 2-6: MON-FRI
    ("cron(0 8 1 * ? *)", None, ["2027-01-01 08:00", "2027-02-01 08:00", "2027-03-01 08:00"]),
    ("cron(0 9 L * ? *)", None, ["2026-12-31 09:00", "2027-01-31 09:00", "2027-02-28 09:00"]),
    ("cron(0 9 LW * ? *)", None, ["2026-12-31 09:00", "2027-01-29 09:00", "2027-02-26 09:00"]),
    ("cron(0 9 1W * ? *)", None, ["2027-01-01 09:00", "2027-02-01 09:00", "2027-03-01 09:00"]),
    ("cron(0 9 15W * ? *)", None, ["2026-12-15 09:00", "2027-01-15 09:00", "2027-02-15 09:00"]),
    ("cron(0 9 ? * 6L *)", None, ["2026-12-25 09:00", "2027-01-29 09:00", "2027-02-26 09:00"]),  # last Friday
    ("cron(0 9 ? * 3#2 *)", None, ["2026-12-08 09:00", "2027-01-12 09:00", "2027-02-09 09:00"]),  # 2nd Tuesday
    ("cron(30 2 ? * L *)", None, ["2026-12-05 02:30", "2026-12-12 02:30", "2026-12-19 02:30"]),  # Saturdays
    ("cron(0 0 1 JAN ? 2028-2029)", None, ["2028-01-01 00:00", "2029-01-01 00:00"]),
    ("cron(0 9 * * ? *)", "Europe/Paris", ["2026-12-03 08:00", "2026-12-04 08:00", "2026-12-05 08:00"]),
    ("cron(0 9 * * ? *)", "America/New_York", ["2026-12-03 14:00", "2026-12-04 14:00", "2026-12-05 14:00"]),
], ids=lambda v: str(v))
def test_fire_times(expression, tz, expected):
    assert fires(expression, len(expected), tz=tz) == expected


def test_a_year_past_fires_no_more():
    parsed = schedule.parse("cron(0 0 1 JAN ? 2026)")
    assert schedule.next_fire(parsed, AT, anchor=AT) is None


def test_a_rate_counts_from_its_anchor_not_from_the_last_fire():
    assert fires("rate(5 minutes)", 2, after=AT, anchor=AT - timedelta(minutes=3)) == \
        ["2026-12-02 14:09", "2026-12-02 14:14"]


def test_daylight_saving_gap_is_skipped():
    # 2027-03-28 02:30 does not exist in Paris.
    after = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
    assert fires("cron(30 2 * * ? *)", 2, after=after, tz="Europe/Paris") == ["2027-03-29 00:30", "2027-03-30 00:30"]


@pytest.mark.parametrize(("expression", "words"), [
    ("rate(1 minutes)", "singular unit for 1"),
    ("rate(5 minute)", "singular unit for 1"),
    ("rate(0 minutes)", "positive"),
    ("rate(5 weeks)", "rate(value unit)"),
    ("cron(0 12 * * * *)", "one of day-of-month and day-of-week must be ?"),
    ("cron(0 12 ? * ? *)", "one of day-of-month and day-of-week must be ?"),
    ("cron(0 12 * *)", "six fields"),
    ("cron(61 * * * ? *)", "minutes: '61' is not a value from 0 to 59"),
    ("cron(0 25 * * ? *)", "hours: '25'"),
    ("cron(0 0 ? * FOO *)", "day-of-week: 'FOO'"),
    ("cron(0 0 ? * 2#6 *)", "the week after # is 1 to 5"),
    ("cron(0 0 5-1 * ? *)", "goes backwards"),
    ("cron(0/0 * * * ? *)", "step"),
    ("cron(0 0 1 * ? 1969)", "year: '1969'"),
    ("0 12 * * *", "rate(value unit) or cron("),
])
def test_refused_expressions_say_what_is_allowed(expression, words):
    with pytest.raises(schedule.BadExpression) as e:
        schedule.parse(expression)
    assert words in str(e.value)


@pytest.mark.parametrize("expression", [
    "rate(99999999999999 minutes)", "rate(525601 minutes)", "rate(8761 hours)", "rate(366 days)",
    "rate(\u00b2 minutes)", "cron(\u00b2 * * * ? *)", "cron(*/\u00b2 * * * ? *)", "cron(0/00 * * * ? *)",
    "cron(0 0 ? * 1#\u00b2 *)", "cron(0 0 \u00b2W * ? *)", "cron(0 0 1-\u00b2 * ? *)", "cron(0 0 ? * \u0663L *)",
])
def test_odd_numbers_are_refused_as_bad_expressions_at_admission(expression):
    # Anything else (OverflowError in next_fire, ValueError from int("\u00b2")) broke every pass.
    assert schedule.check(expression, None), expression
    assert all(p.startswith("scheduleExpression: ") for p in schedule.check(expression, None))


def test_a_rate_of_a_year_fires():
    for expression in ("rate(525600 minutes)", "rate(8760 hours)", "rate(365 days)"):
        assert schedule.check(expression, None) == []
        assert fires(expression, 1) == ["2027-12-02 14:07"]
    assert "at most a year" in schedule.check("rate(366 days)", None)[0]


def test_unknown_time_zone():
    assert schedule.check("rate(1 minute)", "Mars/Olympus") == [
        "scheduleExpressionTimezone: 'Mars/Olympus' is not an IANA time zone name (such as Europe/Paris)"]
    assert schedule.check("rate(1 minute)", None) == []


def test_scheduled_task_checks():
    spec, problems, _ = schedule.check_scheduled_task({
        "scheduleExpression": "rate(2 minute)", "runsHistoryLimit": 99,
        "runTask": {"taskDefinition": "x", "count": 11, "desiredStatus": "STOPPED"}})
    assert spec is None
    assert [str(p) for p in problems] == [
        "scheduleExpression: rate: use the singular unit for 1 and the plural one otherwise (rate(1 minute), "
        "rate(2 minutes))",
        "runsHistoryLimit: must be between 1 and 50, not 99",
        "runTask.desiredStatus: set on the Task a run makes (StopTask), not on the schedule",
        "runTask.count: count must be between 1 and 10, not 11."]
    spec, problems, notes = schedule.check_scheduled_task({
        "scheduleExpression": "cron(0 12 * * ? *)", "state": "DISABLED",
        "runTask": {"taskDefinition": "x", "enableExecuteCommand": True}})
    assert problems == [] and spec is not None and spec["state"] == "DISABLED"
    assert [n.path for n in notes] == ["runTask.enableExecuteCommand"]


def test_the_sample_is_valid():
    import pathlib

    import yaml

    from kube_ecs.ecs.run_task import check_run_task, validate_against
    from kube_ecs.ecs.validate import check_task_definition

    taskdef, task, scheduled = yaml.safe_load_all(
        (pathlib.Path(__file__).parents[3] / "manifests/samples/tasks.yaml").read_text())
    spec, problems, _ = check_task_definition(taskdef["spec"])
    run, run_problems, _ = check_run_task(task["spec"])
    assert problems == run_problems == [] and spec is not None and run is not None
    assert validate_against(run, spec) == []
    assert schedule.check_scheduled_task(scheduled["spec"])[1] == []
