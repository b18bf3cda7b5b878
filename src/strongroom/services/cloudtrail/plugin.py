"""The CloudTrail plugin object, its transactions, and how operations find the trail they name.

A trail is named by its name (in the caller's region) or by its ARN (from any region, which is how a
multi-region trail's shadows are reached). Changes are only accepted in the trail's home region.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import arn
from strongroom.services.base import ResourceResolver, Service
from strongroom.services.cloudtrail.tables import CloudTrailTrail
from strongroom.services.request_store import runtime_of as runtime_of
from strongroom.services.request_store import transaction as transaction

service = Service("cloudtrail")

TRAIL_RESOURCE_TYPE = "AWS::CloudTrail::Trail"
_TRAIL_ARN = re.compile(r"arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)")
_NAME_CHARACTERS = re.compile(r"[A-Za-z0-9._-]+")
_ADJACENT_SPECIALS = re.compile(r"[._-]{2}")
_IP_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def trail_arn(region: str, account_id: str, name: str) -> str:
    return arn("cloudtrail", region, account_id, f"trail/{name}")


def check_trail_name(name: str) -> None:
    """AWS's trail name rules, each with its InvalidTrailNameException text."""
    def invalid(message: str) -> ServiceError:
        return ServiceError("InvalidTrailNameException", message)

    if not name:
        raise invalid("Trail name cannot be blank!")
    if len(name) < 3:
        raise invalid(f"Trail name too short. Minimum allowed length: 3 characters. "
                      f"Specified name length: {len(name)} characters.")
    if len(name) > 128:
        raise invalid(f"Trail name too long. Maximum allowed length: 128 characters. "
                      f"Specified name length: {len(name)} characters.")
    if not name[0].isascii() or not name[0].isalnum():
        raise invalid("Trail name must starts with a letter or number.")
    if not name[-1].isascii() or not name[-1].isalnum():
        raise invalid("Trail name must ends with a letter or number.")
    if _NAME_CHARACTERS.fullmatch(name) is None:
        raise invalid("Trail name or ARN can only contain uppercase letters, lowercase letters, numbers, "
                      "periods (.), hyphens (-), and underscores (_).")
    if _ADJACENT_SPECIALS.search(name):
        raise invalid("Trail name must not contain adjacent periods, underscores or dashes.")
    if _IP_ADDRESS.fullmatch(name):
        raise invalid("Trail name must not be in an IP address format.")


def target_arn(ctx: RequestContext, reference: str) -> str:
    """The ARN a trail name or ARN refers to, checked for form (not for existence)."""
    if reference.startswith("arn:"):
        match = _TRAIL_ARN.fullmatch(reference)
        if match is None:
            raise ServiceError("CloudTrailARNInvalidException", f"Invalid trail ARN: {reference}")
        check_trail_name(match.group(4))
        return reference
    check_trail_name(reference)
    return trail_arn(ctx.region, ctx.account_id, reference)


def not_found(ctx: RequestContext, arn_text: str) -> ServiceError:
    return ServiceError("TrailNotFoundException", f"Unknown trail: {arn_text} for the user: {ctx.account_id}")


def find_trail(ctx: RequestContext, session: Session, reference: str, *, change: bool = False,
               lock: bool = False) -> CloudTrailTrail:
    """The caller's trail named by `reference`; a change must come from the trail's home region."""
    wanted = target_arn(ctx, reference)
    query = select(CloudTrailTrail).where(CloudTrailTrail.arn == wanted)
    if lock:
        query = query.with_for_update()
    trail = session.scalar(query)
    if trail is None or trail.account_id != ctx.account_id:
        raise not_found(ctx, wanted)
    if change and trail.home_region != ctx.region:
        raise ServiceError("InvalidHomeRegionException",
                           f"This operation must be called from the trail's home region {trail.home_region}.")
    note_trail(ctx, trail.arn)
    return trail


def note_trail(ctx: RequestContext, arn_text: str) -> None:
    """Record the trail in the request's audit resources (once)."""
    entry = {"accountId": ctx.account_id, "type": TRAIL_RESOURCE_TYPE, "ARN": arn_text}
    if entry not in ctx.resources:
        ctx.resources.append(entry)


def trail_resource(member: str) -> ResourceResolver:
    """The ARN of the trail named by `member`, for authorization; "*" when it cannot be formed."""

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        reference = params.get(member)
        if not isinstance(reference, str):
            return ["*"]
        return [target_arn(ctx, reference)]

    return resolve
