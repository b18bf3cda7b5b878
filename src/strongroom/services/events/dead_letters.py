"""Dead letters made visible: deliveries EventBridge gave up on, for an operator route to list.

`GET /_strongroom/events/dead-letters?account=A&region=R[&rule=ARN][&limit=N]` is meant to answer
`list_dead_letters` as JSON (wired by the admin routes).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.services.events.plugin import aware
from strongroom.services.events.tables import EventDeadLetter

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

MAX_LISTED = 1000


def list_dead_letters(runtime: Runtime, *, account_id: str, region: str, rule_arn: str | None = None,
                      limit: int = 100) -> list[dict[str, Any]]:
    """The newest dead letters of an account and region (of one rule when given), newest first."""
    query = select(EventDeadLetter).where(EventDeadLetter.account_id == account_id, EventDeadLetter.region == region)
    if rule_arn is not None:
        query = query.where(EventDeadLetter.rule_arn == rule_arn)
    query = query.order_by(EventDeadLetter.created_at.desc()).limit(max(1, min(limit, MAX_LISTED)))
    with runtime.database.session() as session:
        return [{
            "DeliveryId": row.delivery_id, "RuleArn": row.rule_arn, "TargetId": row.target_id,
            "TargetArn": row.target_arn, "DeadLetterArn": row.dead_letter_arn, "EventId": row.event_id,
            "Payload": row.payload, "Attempts": row.attempts, "ErrorCode": row.error_code,
            "ErrorMessage": row.error_message, "Time": aware(row.created_at).isoformat(),
        } for row in session.scalars(query)]
