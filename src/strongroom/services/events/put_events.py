"""PutEvents: custom events onto buses (this account's, or another's whose policy allows it), each
routed at once to the targets of the rules it matches.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from strongroom.context import RequestContext
from strongroom.services.events.delivery import deliver_soon
from strongroom.services.events.plugin import (
    bus_target_of,
    find_bus,
    put_events_resources,
    runtime_of,
    service,
    transaction,
)
from strongroom.services.events.routing import new_event, route_event
from strongroom.services.request_store import after_commit

# The largest entry EventBridge accepts, counted as it counts: Time, Source, DetailType, Detail, Resources.
MAX_ENTRY_BYTES = 256 * 1024


def _failure(code: str, message: str) -> dict[str, str]:
    return {"ErrorCode": code, "ErrorMessage": message}


def _required(member: str) -> dict[str, str]:
    return _failure("InvalidArgument", f"Parameter {member} is not valid. Reason: {member} is a required argument.")


def _entry_problem(entry: dict[str, Any]) -> dict[str, str] | None:
    for member in ("Source", "DetailType", "Detail"):
        if not entry.get(member):
            return _required(member)
    if entry["Source"].startswith("aws."):
        return _failure("NotAuthorizedForSourceException", "Not authorized for the source.")
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return _failure("MalformedDetail", "Detail is malformed.")
    size = sum(len(str(entry.get(member, "")).encode()) for member in ("Source", "DetailType", "Detail"))
    size += sum(len(resource.encode()) for resource in entry.get("Resources", [])) + (14 if "Time" in entry else 0)
    if size > MAX_ENTRY_BYTES:
        return _failure("InvalidArgument", "Total size of the entries in the request is over the limit.")
    return None


@service.operation("PutEvents", resources=put_events_resources)
def put_events(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    now = runtime.clock.now()
    results: list[dict[str, Any]] = []
    queued: list[str] = []
    with transaction(ctx) as session:
        for entry in params["Entries"]:
            problem = _entry_problem(entry)
            region, account, bus_name = bus_target_of(ctx, entry.get("EventBusName"))
            if problem is None and (region != ctx.region or find_bus(session, account, region, bus_name) is None):
                problem = _failure("ResourceNotFoundException", f"Event bus {bus_name} does not exist.")
            if problem is not None:
                results.append(problem)
                continue
            when: datetime = entry.get("Time") or now
            event = new_event(account_id=ctx.account_id, region=ctx.region, source=entry["Source"],
                              detail_type=entry["DetailType"], detail=json.loads(entry["Detail"]),
                              resources=entry.get("Resources", []), time=when.astimezone(UTC))
            queued += route_event(session, account, region, bus_name, event, now)
            results.append({"EventId": event["id"]})
    after_commit(ctx, lambda: deliver_soon(runtime, queued))
    return {"FailedEntryCount": sum(1 for result in results if "ErrorCode" in result), "Entries": results}
