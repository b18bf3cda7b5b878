"""Who receives a call's record: the caller's account, and every other account whose resource it used.

As CloudTrail does, a call that acts on another account's resource (a KMS key, a secret, a role) is
recorded in both accounts: each copy has its own `eventID` and `recipientAccountId`, and all of them
carry the same `sharedEventID`. The caller's identity is kept as it is in every copy, so the resource
owner sees who used what it owns.
"""

from __future__ import annotations

from typing import Any

from strongroom.audit.record import event_id, random_uuid


def records_for(record: dict[str, Any]) -> list[dict[str, Any]]:
    """`record` (for the caller's account) and a copy for each other account owning a resource it names."""
    resources = record.get("resources")
    if not resources:
        return [record]
    caller = record.get("recipientAccountId")
    owners = sorted({
        owner for resource in resources
        if isinstance(resource, dict) and isinstance(owner := resource.get("accountId"), str) and owner
        and owner != caller
    })
    if not owners or not caller:
        return [record]
    shared = random_uuid()
    record["sharedEventID"] = shared
    return [record, *({**record, "eventID": event_id(), "recipientAccountId": owner} for owner in owners)]
