"""CloudTrail records of the operator's own calls: an account made, the store reset, the clock moved.

These change who may do what (a new root secret) or what the store holds and when things expire, so
each is recorded like an API call, in the operator's account, and committed in the transaction that
makes the change (`write_within`): the change and its record are stored together or not at all.
They carry the event source `strongroom` (LookupEvents: AttributeKey EventSource, value strongroom).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from strongroom.audit.record import EVENT_VERSION, event_id, format_time, random_uuid, user_identity
from strongroom.audit.writer import write_within
from strongroom.auth.principal import Principal

EVENT_SOURCE = "strongroom"
# The operator's region-less calls are recorded in this region (CloudTrail's home for global events).
DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True)
class OperatorCall:
    """Who made an operator call, and from where: a signed request's root, or, in developer mode
    (where these endpoints take unsigned requests), nobody identified."""

    account_id: str
    principal: Principal | None
    region: str = DEFAULT_REGION
    source_ip: str = ""
    user_agent: str = ""
    request_id: str = ""

    def identity(self) -> dict[str, Any]:
        if self.principal is not None:
            return user_identity(self.principal)
        return {"type": "Unknown", "principalId": "", "accountId": self.account_id}

    def record(self, event_name: str, when: datetime, request: dict[str, Any],
               response: dict[str, Any] | None) -> dict[str, Any]:
        """The CloudTrail record of this call; `request` and `response` never hold a secret."""
        return {
            "eventVersion": EVENT_VERSION,
            "userIdentity": self.identity(),
            "eventTime": format_time(when),
            "eventSource": EVENT_SOURCE,
            "eventName": event_name,
            "awsRegion": self.region,
            "sourceIPAddress": self.source_ip,
            "userAgent": self.user_agent,
            "requestParameters": request,
            "responseElements": response,
            "requestID": self.request_id or random_uuid(),
            "eventID": event_id(),
            "readOnly": False,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": self.account_id,
            "eventCategory": "Management",
        }

    def write(self, connection: Connection, event_name: str, when: datetime, request: dict[str, Any],
              response: dict[str, Any] | None) -> None:
        """Insert the record in the transaction open on `connection`, which commits it with the change."""
        write_within(connection, [self.record(event_name, when, request, response)], ())
