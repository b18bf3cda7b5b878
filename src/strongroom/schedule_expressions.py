"""AWS schedule expressions, `rate(...)` and `cron(...)`, and their next firing in UTC. Pure, no I/O.

`rate(value unit)`: a whole value of at least 1, unit minute(s), hour(s) or day(s), as written (services
that insist on the singular for 1 check `Rate.unit` themselves).
`cron(minutes hours day-of-month month day-of-week year)`: AWS's six fields, with `*`, `,`, `-`, `/`,
`?` (exactly one of day-of-month and day-of-week must be `?`), `L` (last day of month, or `5L` last
Friday), `W` (nearest weekday, `15W`, `LW`), `#` (`3#2`, second Tuesday), month and day names.
Day-of-week is 1-7 for SUN-SAT, as AWS counts.

Each service words its own errors: `InvalidSchedule.problem` says which part of an expression is wrong.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_CRON = re.compile(r"cron\(([^()]*)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {name: index for index, name in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {name: index for index, name in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
# How far ahead a cron expression is searched before it is taken to never fire again.
_SEARCH_DAYS = 366 * 8


class InvalidSchedule(ValueError):
    FORM: Final = "form"  # neither rate(...) nor cron(...)
    RATE: Final = "rate"  # a rate(...) with a value below 1 (or, said by a service, a unit it refuses)
    CRON: Final = "cron"  # a cron(...) field out of range or malformed
    DAY_CHOICE: Final = "day-choice"  # not exactly one of day-of-month and day-of-week is `?`

    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid schedule expression ({problem})")
        self.problem = problem


@dataclass(frozen=True)
class Rate:
    value: int
    unit: str  # as written: "minute", "minutes", "hour", ...

    @property
    def period(self) -> timedelta:
        return timedelta(seconds=self.value * _UNIT_SECONDS[self.unit.rstrip("s")])

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime:
        """The first firing strictly after `moment`, counting whole periods from `anchor` (default `moment`)."""
        anchor = moment if anchor is None else anchor
        seconds = self.period.total_seconds()
        elapsed = (moment - anchor).total_seconds()
        periods = int(elapsed // seconds) + 1 if elapsed >= 0 else 1
        return anchor + timedelta(seconds=periods * seconds)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    day_of_month: str
    months: frozenset[int]
    day_of_week: str
    years: frozenset[int] | None

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime | None:
        """The first firing strictly after `moment`; None if there is none within eight years.

        `anchor` is accepted so any schedule can be asked the same way; cron firings do not depend on it."""
        del anchor
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if (self.years is None or day.year in self.years) and day.month in self.months and self._day_matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None

    def _day_matches(self, day: date) -> bool:
        if self.day_of_month != "?":
            return _day_of_month_matches(self.day_of_month, day)
        return _day_of_week_matches(self.day_of_week, day)


Schedule = Rate | Cron


def parse_schedule(expression: str) -> Schedule:
    """The schedule `expression` describes; raises InvalidSchedule."""
    found = _RATE.fullmatch(expression.strip())
    if found:
        value = int(found.group(1))
        if value < 1:
            raise InvalidSchedule(InvalidSchedule.RATE)
        return Rate(value, found.group(2))
    found = _CRON.fullmatch(expression.strip())
    if not found:
        raise InvalidSchedule(InvalidSchedule.FORM)
    return _parse_cron(found.group(1))


def _parse_cron(body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise InvalidSchedule(InvalidSchedule.CRON)
    minutes, hours, day_of_month, month, day_of_week, year = fields
    # Every field is checked before the `?` rule, so a malformed field is reported as such.
    cron = Cron(
        minutes=_values(minutes, 0, 59, {}),
        hours=_values(hours, 0, 23, {}),
        day_of_month=day_of_month,
        months=_values(month, 1, 12, _MONTHS),
        day_of_week=day_of_week.upper(),
        years=None if year == "*" else _values(year, 1970, 2199, {}),
    )
    if day_of_month != "?":
        _check_day_field(day_of_month, 1, 31, {}, allow="LW")
    if day_of_week != "?":
        _check_day_field(day_of_week, 1, 7, _DAYS, allow="L#")
    if (day_of_month == "?") == (day_of_week == "?"):
        raise InvalidSchedule(InvalidSchedule.DAY_CHOICE)
    return cron


def _number(text: str, names: dict[str, int]) -> int:
    upper = text.upper()
    if upper in names:
        return names[upper]
    if not text.isdigit():
        raise InvalidSchedule(InvalidSchedule.CRON)
    return int(text)


def _values(field: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    chosen: set[int] = set()
    for part in field.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            if not step_text.isdigit() or int(step_text) < 1:
                raise InvalidSchedule(InvalidSchedule.CRON)
            step = int(step_text)
        if part == "*":
            first, last = low, high
        elif "-" in part:
            first_text, last_text = part.split("-", 1)
            first, last = _number(first_text, names), _number(last_text, names)
        else:
            first = _number(part, names)
            last = high if step > 1 else first
        if not (low <= first <= high and low <= last <= high) or first > last:
            raise InvalidSchedule(InvalidSchedule.CRON)
        chosen.update(range(first, last + 1, step))
    return frozenset(chosen)


def _check_day_field(field: str, low: int, high: int, names: dict[str, int], *, allow: str) -> None:
    for part in field.upper().split(","):
        if part in ("L", "LW") and "L" in allow:
            if part == "LW" and "W" not in allow:
                raise InvalidSchedule(InvalidSchedule.CRON)
            continue
        if "#" in part and "#" in allow:
            day, nth = part.split("#", 1)
            if not nth.isdigit() or not 1 <= int(nth) <= 5:
                raise InvalidSchedule(InvalidSchedule.CRON)
            _values(day, low, high, names)
            continue
        if part.endswith(("L", "W")) and part[-1] in allow and len(part) > 1:
            _values(part[:-1], low, high, names)
            continue
        _values(part, low, high, names)


def _day_of_month_matches(field: str, day: date) -> bool:
    last = calendar.monthrange(day.year, day.month)[1]
    for part in field.upper().split(","):
        if part == "L" and day.day == last:
            return True
        if part == "LW" and day == _nearest_weekday(day.replace(day=last)):
            return True
        if part.endswith("W") and part[:-1].isdigit():
            target = min(int(part[:-1]), last)
            if day == _nearest_weekday(day.replace(day=target)):
                return True
        elif part not in ("L", "LW") and day.day in _values(part, 1, 31, {}):
            return True
    return False


def _nearest_weekday(day: date) -> date:
    """The weekday nearest `day` within its month (Saturday -> Friday, Sunday -> Monday)."""
    weekday = day.weekday()  # Monday 0 .. Sunday 6
    last = calendar.monthrange(day.year, day.month)[1]
    if weekday == 5:
        return day - timedelta(days=1) if day.day > 1 else day + timedelta(days=2)
    if weekday == 6:
        return day + timedelta(days=1) if day.day < last else day - timedelta(days=2)
    return day


def _day_of_week_matches(field: str, day: date) -> bool:
    aws_day = (day.weekday() + 1) % 7 + 1  # SUN=1 .. SAT=7
    last = calendar.monthrange(day.year, day.month)[1]
    for part in field.split(","):
        if "#" in part:
            name, nth = part.split("#", 1)
            if aws_day in _values(name, 1, 7, _DAYS) and (day.day - 1) // 7 + 1 == int(nth):
                return True
        elif part.endswith("L") and len(part) > 1:
            if aws_day in _values(part[:-1], 1, 7, _DAYS) and day.day + 7 > last:
                return True
        elif part == "L":
            if aws_day == 7:
                return True
        elif aws_day in _values(part, 1, 7, _DAYS):
            return True
    return False
