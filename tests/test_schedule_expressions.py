"""The shared schedule expressions: (expression, after, next firing) cases and the expressions refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from strongroom.schedule_expressions import Cron, InvalidSchedule, Rate, parse_schedule


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (expression, moment, the first firing strictly after it)
FIRINGS = [
    # Plain fields, steps, ranges and names.
    ("cron(0/15 * * * ? *)", "2024-01-01T00:07", "2024-01-01T00:15"),
    ("cron(0/15 * * * ? *)", "2024-01-01T00:15", "2024-01-01T00:30"),
    ("cron(0 12 * * ? *)", "2024-12-31T12:00", "2025-01-01T12:00"),
    ("cron(5,10 3-4 * * ? *)", "2024-01-01T03:10", "2024-01-01T04:05"),
    ("cron(30 8 ? JAN-MAR MON-FRI *)", "2024-03-29T09:00", "2025-01-01T08:30"),
    ("cron(0 0 1 1 ? 2030)", "2024-06-01T00:00", "2030-01-01T00:00"),
    # Month ends and leap years.
    ("cron(0 0 31 * ? *)", "2024-04-01T00:00", "2024-05-31T00:00"),
    ("cron(0 0 29 2 ? *)", "2024-03-01T00:00", "2028-02-29T00:00"),
    ("cron(0 12 L * ? *)", "2024-02-10T00:00", "2024-02-29T12:00"),
    ("cron(0 12 L * ? *)", "2023-02-10T00:00", "2023-02-28T12:00"),
    ("cron(0 0 L * ? *)", "2024-01-31T00:00", "2024-02-29T00:00"),
    # W: the nearest weekday within the month (15 June 2024 is a Saturday, 1 June too).
    ("cron(0 9 15W * ? *)", "2024-06-01T00:00", "2024-06-14T09:00"),
    ("cron(0 9 1W * ? *)", "2024-05-31T12:00", "2024-06-03T09:00"),
    ("cron(0 9 LW * ? *)", "2024-03-01T00:00", "2024-03-29T09:00"),
    # Day-of-week: 1-7 for SUN-SAT, # for the nth, L for the last.
    ("cron(0 10 ? * 3#2 *)", "2024-03-01T00:00", "2024-03-12T10:00"),
    ("cron(0 10 ? * TUE#2 *)", "2024-03-12T10:00", "2024-04-09T10:00"),
    ("cron(0 10 ? * 6L *)", "2024-03-01T00:00", "2024-03-29T10:00"),
    ("cron(0 0 ? * L *)", "2024-03-01T00:00", "2024-03-02T00:00"),
    ("cron(0 0 ? * 1 *)", "2024-03-01T00:00", "2024-03-03T00:00"),
    # Rates count whole periods from the moment asked.
    ("rate(1 minute)", "2024-01-01T00:00", "2024-01-01T00:01"),
    ("rate(5 minutes)", "2024-01-01T00:00", "2024-01-01T00:05"),
    ("rate(2 hours)", "2024-01-01T23:00", "2024-01-02T01:00"),
    ("rate(1 day)", "2024-02-28T12:00", "2024-02-29T12:00"),
    ("rate( 3  days )", "2023-02-27T00:00", "2023-03-02T00:00"),
]


@pytest.mark.parametrize(("expression", "moment", "expected"), FIRINGS)
def test_next_firing(expression: str, moment: str, expected: str) -> None:
    assert parse_schedule(expression).next_after(at(moment)) == at(expected)


def test_rate_counts_periods_from_its_anchor() -> None:
    hourly = parse_schedule("rate(1 hour)")
    assert hourly == Rate(1, "hour") and hourly.period == timedelta(hours=1)
    assert hourly.next_after(at("2024-01-01T10:30"), at("2024-01-01T08:00")) == at("2024-01-01T11:00")
    assert hourly.next_after(at("2024-01-01T10:00"), at("2024-01-01T08:00")) == at("2024-01-01T11:00")
    assert hourly.next_after(at("2024-01-01T07:00"), at("2024-01-01T08:00")) == at("2024-01-01T09:00")


def test_a_cron_past_its_last_year_never_fires_again() -> None:
    schedule = parse_schedule("cron(0 0 1 1 ? 2030)")
    assert isinstance(schedule, Cron)
    assert schedule.next_after(at("2030-01-01T00:00")) is None


# (expression, which part is wrong)
REFUSED = [
    ("every day", InvalidSchedule.FORM),
    ("rate(5 weeks)", InvalidSchedule.FORM),
    ("rate(-1 days)", InvalidSchedule.FORM),
    ("rate(0 minutes)", InvalidSchedule.RATE),
    ("cron(0 0 * * *)", InvalidSchedule.CRON),
    ("cron(60 0 * * ? *)", InvalidSchedule.CRON),
    ("cron(0 24 * * ? *)", InvalidSchedule.CRON),
    ("cron(0 0 32 * ? *)", InvalidSchedule.CRON),
    ("cron(0 0 5-1 * ? *)", InvalidSchedule.CRON),
    ("cron(0 0 1 13 ? *)", InvalidSchedule.CRON),
    ("cron(0 0 ? * 8 *)", InvalidSchedule.CRON),
    ("cron(0 0 ? * 3#6 *)", InvalidSchedule.CRON),
    ("cron(0 0 1 * ? 1969)", InvalidSchedule.CRON),
    ("cron(0/0 0 * * ? *)", InvalidSchedule.CRON),
    ("cron(0 0 * * * *)", InvalidSchedule.DAY_CHOICE),
    ("cron(0 0 ? * ? *)", InvalidSchedule.DAY_CHOICE),
    ("cron(0 0 1 * MON *)", InvalidSchedule.DAY_CHOICE),
]


@pytest.mark.parametrize(("expression", "problem"), REFUSED)
def test_refused(expression: str, problem: str) -> None:
    with pytest.raises(InvalidSchedule) as raised:
        parse_schedule(expression)
    assert raised.value.problem == problem
