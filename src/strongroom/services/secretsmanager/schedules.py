"""Rotation schedules: RotationRules checked as AWS checks them, and the next rotation date.

`AutomaticallyAfterDays` N and `rate(N days)` rotate N days after the last rotation; `rate(N hours)`
N hours after; `cron(minutes hours day-of-month month day-of-week year)` at its next firing (UTC).
Expressions are read by `strongroom.schedule_expressions`; Secrets Manager's own rules are here: rates in
hours or days only, no schedule rotating more often than every four hours, `Duration` (`Nh`, 1..24) as
the window, and its error texts.
"""

from __future__ import annotations

import itertools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from strongroom.errors import ServiceError
from strongroom.schedule_expressions import Cron, InvalidSchedule, Rate, Schedule, parse_schedule

if TYPE_CHECKING:
    from strongroom.services.secretsmanager.tables import SmSecret

MIN_INTERVAL = timedelta(hours=4)
# The forms Secrets Manager takes, written exactly so: no minute rates, no spaces around the parentheses.
_FORM = re.compile(r"rate\(\d+ (?:hour|hours|day|days)\)|cron\(.+\)")
_DURATION = re.compile(r"(\d+)h")
_TOO_OFTEN = "The schedule expression must rotate the secret no more often than every four hours."
_PROBLEM_TEXTS = {
    InvalidSchedule.FORM: "Invalid ScheduleExpression format.",
    # Only `rate(0 ...)` gets here (the form admits no other unit): a rate that never waits.
    InvalidSchedule.RATE: _TOO_OFTEN,
    InvalidSchedule.CRON: "Invalid cron expression.",
    InvalidSchedule.DAY_CHOICE: "Invalid cron expression: exactly one of day-of-month and day-of-week must be '?'.",
}


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


def _schedule(expression: str) -> Schedule:
    """The schedule of a ScheduleExpression, or Secrets Manager's error for it."""
    if _FORM.fullmatch(expression) is None:
        raise _invalid("Invalid ScheduleExpression format.")
    try:
        return parse_schedule(expression)
    except InvalidSchedule as exc:
        raise _invalid(_PROBLEM_TEXTS[exc.problem]) from None


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
        schedule = _schedule(expression)
        interval = schedule.period if isinstance(schedule, Rate) else _shortest_gap(schedule)
        if interval < MIN_INTERVAL:
            raise _invalid(_TOO_OFTEN)
    if duration is not None:
        match = _DURATION.fullmatch(duration)
        if match is None or not 1 <= int(match.group(1)) <= 24:
            raise _invalid("Invalid Duration format. The rotation window must be between 1 and 24 hours.")
        if interval is not None and timedelta(hours=int(match.group(1))) > interval:
            raise _invalid("The rotation window overlaps with the next scheduled rotation window.")


def _shortest_gap(cron: Cron) -> timedelta:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    firings = []
    for _ in range(30):
        following = cron.next_after(moment)
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
    try:
        # Stored rules were checked when set; one that no longer reads simply has no next rotation.
        return parse_schedule(expression).next_after(moment)
    except InvalidSchedule:
        return None


def next_rotation(secret: SmSecret, moment: datetime) -> datetime | None:
    if not secret.rotation_rules:
        return None
    return next_after(json.loads(secret.rotation_rules), moment)
