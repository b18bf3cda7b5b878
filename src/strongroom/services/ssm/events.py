"""Parameter Store's EventBridge events, written to the outbox in the transaction of the change itself.

The event bus drains `ssm_event_outbox` in `seq` order. Each row is one event as EventBridge delivers
it: source "aws.ssm", a detail-type, the resources (ARNs) and the detail object.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from strongroom.services.ssm.tables import SsmEventOutbox, SsmParameter

SOURCE = "aws.ssm"
CHANGE = "Parameter Store Change"
POLICY_ACTION = "Parameter Store Policy Action"


def emit(
    session: Session, *, account_id: str, region: str, detail_type: str, resources: list[str],
    detail: dict[str, Any], time: datetime,
) -> None:
    session.add(SsmEventOutbox(
        event_id=str(uuid.uuid4()), account_id=account_id, region=region, source=SOURCE, detail_type=detail_type,
        resources=orjson.dumps(resources).decode(), detail=orjson.dumps(detail).decode(), time=time,
    ))


def parameter_changed(session: Session, parameter: SsmParameter, arn: str, operation: str, time: datetime) -> None:
    """A "Parameter Store Change" event: operation Create, Update, Delete or LabelParameterVersion."""
    detail: dict[str, Any] = {"operation": operation, "name": parameter.display_name, "type": parameter.type}
    if parameter.description:
        detail["description"] = parameter.description
    emit(session, account_id=parameter.account_id, region=parameter.region, detail_type=CHANGE, resources=[arn],
         detail=detail, time=time)


def policy_acted(
    session: Session, parameter: SsmParameter, arn: str, policy_type: str, policy_text: str, reason: str,
    time: datetime,
) -> None:
    """A "Parameter Store Policy Action" event for an Expiration, ExpirationNotification or NoChangeNotification."""
    detail = {
        "parameter-name": parameter.display_name, "parameter-type": parameter.type, "policy-type": policy_type,
        "policy-content": policy_text, "action-status": "Finished", "action-reason": reason,
    }
    emit(session, account_id=parameter.account_id, region=parameter.region, detail_type=POLICY_ACTION,
         resources=[arn], detail=detail, time=time)
