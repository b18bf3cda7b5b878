"""Schedule expressions of scheduled rules as EventBridge reads them: the shared grammar
(`strongroom.schedule_expressions`) plus EventBridge's own rule that a rate's unit is singular for 1
and plural otherwise (`rate(1 minute)`, `rate(5 minutes)`), and its error text.
"""

from __future__ import annotations

from strongroom.schedule_expressions import InvalidSchedule, Rate, Schedule, parse_schedule

INVALID = "Parameter ScheduleExpression is not valid."


def rule_schedule(expression: str) -> Schedule:
    """The schedule of a rule's ScheduleExpression; raises InvalidSchedule."""
    schedule = parse_schedule(expression)
    if isinstance(schedule, Rate) and (schedule.value == 1) != (not schedule.unit.endswith("s")):
        raise InvalidSchedule(InvalidSchedule.RATE)
    return schedule
