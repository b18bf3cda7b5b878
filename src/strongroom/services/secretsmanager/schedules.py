"""Rotation schedules: RotationRules checked as AWS checks them, and the next rotation date.

`AutomaticallyAfterDays` N and `rate(N days)` rotate N days after the last rotation; `rate(N hours)`
N hours after; `cron(minutes hours day-of-month month day-of-week year)` at its next firing (UTC).
No schedule may rotate more often than every four hours; `Duration` (`Nh`, 1..24) is the window.
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from strongroom.errors import ServiceError

if TYPE_CHECKING:
    from strongroom.services.secretsmanager.tables import SmSecret

MIN_INTERVAL = timedelta(hours=4)
_RATE = re.compile(r"rate\((\d+) (hour|hours|day|days)\)")
_CRON = re.compile(r"cron\((.+)\)")
_DURATION = re.compile(r"(\d+)h")
_MONTHS = {name: index for index, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: index for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> set[int] | None:
    """The values a cron field allows; None for `*` and `?` (any)."""
    if text in ("*", "?"):
        return None
    allowed: set[int] = set()
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise _invalid("Invalid cron expression.")
            step = int(step_text)
        if part == "*":
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _number(first, names), _number(last, names)
        else:
            start = _number(part, names)
            end = high if step > 1 else start
        if not (low <= start <= high and low <= end <= high):
            raise _invalid("Invalid cron expression.")
        allowed.update(range(start, end + 1, step))
    return allowed


def _number(text: str, names: dict[str, int] | None) -> int:
    if names and text.upper() in names:
        return names[text.upper()]
    if not text.isdigit():
        raise _invalid("Invalid cron expression.")
    return int(text)


class Cron:
    def __init__(self, body: str) -> None:
        fields = body.split()
        if len(fields) != 6:
            raise _invalid("Invalid cron expression.")
        self.minutes = _field(fields[0], 0, 59)
        self.hours = _field(fields[1], 0, 23)
        self.days = _field(fields[2], 1, 31)
        self.months = _field(fields[3], 1, 12, _MONTHS)
        self.weekdays = _field(fields[4], 1, 7, _DAYS)
        self.years = _field(fields[5], 1970, 2199)
        if (fields[2] == "?") == (fields[4] == "?"):
            raise _invalid("Invalid cron expression: exactly one of day-of-month and day-of-week must be '?'.")

    def _day_matches(self, day: datetime) -> bool:
        weekday = (day.isoweekday() % 7) + 1  # SUN=1 .. SAT=7
        return all((
            self.years is None or day.year in self.years,
            self.months is None or day.month in self.months,
            self.days is None or day.day in self.days,
            self.weekdays is None or weekday in self.weekdays,
        ))

    def after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after `moment`, within five years."""
        start = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.replace(hour=0, minute=0)
        for _ in range(366 * 5):
            if self._day_matches(day):
                for hour in sorted(self.hours) if self.hours is not None else range(24):
                    for minute in sorted(self.minutes) if self.minutes is not None else range(60):
                        firing = day.replace(hour=hour, minute=minute)
                        if firing >= start:
                            return firing
            day += timedelta(days=1)
        return None


def _rate(expression: str) -> timedelta | None:
    match = _RATE.fullmatch(expression)
    if match is None:
        return None
    count, unit = int(match.group(1)), match.group(2)
    return timedelta(hours=count) if unit.startswith("hour") else timedelta(days=count)


def check_rules(rules: dict[str, Any]) -> None:
    """Raise AWS's error for rotation rules it would refuse."""
    days, expression = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    duration = rules.get("Duration")
    if days is not None and expression is not None:
        raise _invalid("You cannot specify both rotation frequency and schedule expression together.")
    if days is None and expression is None:
        raise _invalid("You must specify either AutomaticallyAfterDays or ScheduleExpression in RotationRules.")
    interval = timedelta(days=days) if days is not None else None
    if expression is not None:
        interval = _rate(expression)
        if interval is None:
            cron = _CRON.fullmatch(expression)
            if cron is None:
                raise _invalid("Invalid ScheduleExpression format.")
            parsed = Cron(cron.group(1))
            interval = _shortest_gap(parsed)
        if interval is None or interval < MIN_INTERVAL:
            raise _invalid("The schedule expression must rotate the secret no more often than every four hours.")
    if duration is not None:
        match = _DURATION.fullmatch(duration)
        if match is None or not 1 <= int(match.group(1)) <= 24:
            raise _invalid("Invalid Duration format. The rotation window must be between 1 and 24 hours.")
        if interval is not None and timedelta(hours=int(match.group(1))) > interval:
            raise _invalid("The rotation window overlaps with the next scheduled rotation window.")


def _shortest_gap(cron: Cron) -> timedelta | None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    firings = []
    for _ in range(30):
        following = cron.after(moment)
        if following is None:
            break
        firings.append(following)
        moment = following
    if len(firings) < 2:
        return timedelta(days=365)
    return min(later - earlier for earlier, later in itertools.pairwise(firings))


def next_after(rules: dict[str, Any], moment: datetime) -> datetime | None:
    days, expression = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    if days is not None:
        return moment + timedelta(days=int(days))
    if expression is None:
        return None
    interval = _rate(expression)
    if interval is not None:
        return moment + interval
    cron = _CRON.fullmatch(expression)
    return Cron(cron.group(1)).after(moment) if cron else None


def next_rotation(secret: SmSecret, moment: datetime) -> datetime | None:
    import json

    if not secret.rotation_rules:
        return None
    return next_after(json.loads(secret.rotation_rules), moment)
