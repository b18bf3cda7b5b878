"""Lookups and small writes every IAM operation group shares: entities by name, tags, paging."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.iam import errors
from strongroom.services.iam.naming import name_key
from strongroom.services.iam.tables import (
    IamGroup,
    IamInlinePolicy,
    IamManagedPolicy,
    IamPolicyAttachment,
    IamRole,
    IamTag,
    IamUser,
)
from strongroom.services.request_store import transaction as request_transaction

Row = TypeVar("Row")
# The entities IAM names (unique without case, kept in `name_key`) and files under a path.
Named = TypeVar("Named", IamUser, IamGroup, IamRole, IamManagedPolicy)

DEFAULT_MAX_ITEMS = 100
MAX_TAGS = 50


@contextmanager
def transaction(ctx: RequestContext) -> Iterator[Session]:
    """One store transaction for the request.

    Checks come before writes, so a uniqueness violation means a concurrent request wrote the same
    entity first: IAM's answer to that race is ConcurrentModification.
    """
    try:
        with request_transaction(ctx) as session:
            yield session
    except IntegrityError:
        raise ServiceError(
            "ConcurrentModification",
            "The request was rejected because multiple requests to change this object were submitted "
            "simultaneously. Wait a few minutes and submit your request again.",
        ) from None


def note_resource(ctx: RequestContext, resource_type: str, arn: str) -> None:
    """Name a resource the call touched in its audit record."""
    ctx.resources.append({"accountId": ctx.account_id, "type": resource_type, "ARN": arn})


def _find_named(session: Session, table: type[Named], account_id: str, name: str) -> Named | None:
    return session.scalar(select(table).where(table.account_id == account_id, table.name_key == name_key(name)))


def find_user(session: Session, account_id: str, name: str) -> IamUser | None:
    return _find_named(session, IamUser, account_id, name)


def require_user(session: Session, account_id: str, name: str) -> IamUser:
    user = find_user(session, account_id, name)
    if user is None:
        raise errors.no_such(errors.USER, name)
    return user


def find_group(session: Session, account_id: str, name: str) -> IamGroup | None:
    return _find_named(session, IamGroup, account_id, name)


def require_group(session: Session, account_id: str, name: str) -> IamGroup:
    group = find_group(session, account_id, name)
    if group is None:
        raise errors.no_such(errors.GROUP, name)
    return group


def find_role(session: Session, account_id: str, name: str) -> IamRole | None:
    return _find_named(session, IamRole, account_id, name)


def require_role(session: Session, account_id: str, name: str) -> IamRole:
    role = find_role(session, account_id, name)
    if role is None:
        raise errors.no_such(errors.ROLE, name)
    return role


def find_policy(session: Session, account_id: str, arn: str) -> IamManagedPolicy | None:
    return session.scalar(
        select(IamManagedPolicy).where(IamManagedPolicy.account_id == account_id, IamManagedPolicy.arn == arn)
    )


def require_policy(session: Session, account_id: str, arn: str) -> IamManagedPolicy:
    policy = find_policy(session, account_id, arn)
    if policy is None:
        raise errors.no_such_policy(arn)
    return policy


def require_boundary_policy(session: Session, account_id: str, arn: str) -> str:
    """A permissions boundary must be an existing managed policy: its ARN, checked."""
    if find_policy(session, account_id, arn) is None:
        raise errors.not_attachable(arn)
    return arn


def refuse_delete_while_policies(session: Session, owner_id: str) -> None:
    """IAM deletes no user, group or role that still has inline or attached policies."""
    if session.scalar(select(IamInlinePolicy.policy_name).where(IamInlinePolicy.owner_id == owner_id)):
        raise errors.delete_conflict("Cannot delete entity, must delete policies first.")
    if session.scalar(select(IamPolicyAttachment.policy_id).where(IamPolicyAttachment.owner_id == owner_id)):
        raise errors.delete_conflict("Cannot delete entity, must detach all policies first.")


def caller_user(session: Session, ctx: RequestContext) -> IamUser:
    """The IAM user making the request, for operations whose UserName defaults to the caller."""
    principal = ctx.principal
    assert principal is not None
    if principal.type != "IAMUser":
        raise errors.validation_error("Must specify userName when calling with non-User credentials")
    user = session.get(IamUser, principal.user_id)
    if user is None:
        raise errors.no_such(errors.USER, principal.user_name or principal.user_id)
    return user


# Tags --------------------------------------------------------------------------------------------


def tags_of(session: Session, owner_id: str) -> list[dict[str, str]]:
    rows = session.scalars(select(IamTag).where(IamTag.owner_id == owner_id).order_by(IamTag.key_lower))
    return [{"Key": row.tag_key, "Value": row.tag_value} for row in rows]


def _check_tag_keys(tags: Sequence[dict[str, str]]) -> None:
    seen: set[str] = set()
    for tag in tags:
        key = tag["Key"].lower()
        if key in seen:
            raise errors.invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        if key.startswith("aws:"):
            raise errors.invalid_input("User-defined tag keys can't start with 'aws:'. This prefix is reserved.")
        seen.add(key)


def add_tags(session: Session, account_id: str, owner: str, owner_id: str, tags: Sequence[dict[str, str]]) -> None:
    """Add or overwrite tags (keys compared without case) of a user, role or policy: at most 50 each."""
    _check_tag_keys(tags)
    existing = {row.key_lower: row for row in session.scalars(select(IamTag).where(IamTag.owner_id == owner_id))}
    new_keys = {tag["Key"].lower() for tag in tags} - set(existing)
    if len(existing) + len(new_keys) > MAX_TAGS:
        raise errors.limit_exceeded(f"Cannot exceed quota for TagsPer{owner.capitalize()}: {MAX_TAGS}")
    for tag in tags:
        row = existing.get(tag["Key"].lower())
        if row is None:
            session.add(
                IamTag(
                    owner_id=owner_id,
                    key_lower=tag["Key"].lower(),
                    account_id=account_id,
                    tag_key=tag["Key"],
                    tag_value=tag["Value"],
                )
            )
        else:
            row.tag_key, row.tag_value = tag["Key"], tag["Value"]


def remove_tags(session: Session, owner_id: str, keys: Sequence[str]) -> None:
    lowered = [key.lower() for key in keys]
    session.execute(delete(IamTag).where(IamTag.owner_id == owner_id, IamTag.key_lower.in_(lowered)))


def drop_tags(session: Session, owner_id: str) -> None:
    session.execute(delete(IamTag).where(IamTag.owner_id == owner_id))


# Paging ------------------------------------------------------------------------------------------


def _encode_marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_marker(marker: str) -> str:
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_input("Invalid Marker.") from None


def paginate(
    items: Sequence[Row], params: dict[str, Any], key: Callable[[Row], str]
) -> tuple[list[Row], dict[str, Any]]:
    """One page of `items` (sorted by `key`) after params' Marker, and the IsTruncated/Marker members.

    A marker names the first item of the next page, so items added or removed meanwhile do not
    shift the pages.
    """
    limit = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    start = 0
    if params.get("Marker"):
        after = _decode_marker(params["Marker"])
        start = next((index for index, item in enumerate(items) if key(item) >= after), len(items))
    page = list(items[start : start + limit])
    rest = items[start + limit :]
    if rest:
        return page, {"IsTruncated": True, "Marker": _encode_marker(key(rest[0]))}
    return page, {"IsTruncated": False}


def under_path(path: str, prefix: str | None) -> bool:
    return prefix is None or path.startswith(prefix)


def by_name(entity: Named) -> str:
    return entity.name_key


def page_by_name(entities: Iterable[Named], params: dict[str, Any]) -> tuple[list[Named], dict[str, Any]]:
    """One page of `entities` in IAM's listing order, by name without case (see `paginate`)."""
    return paginate(sorted(entities, key=by_name), params, by_name)


def page_under_path(entities: Iterable[Named], params: dict[str, Any]) -> tuple[list[Named], dict[str, Any]]:
    """One page, by name, of the `entities` under params' PathPrefix (all of them without one)."""
    prefix = params.get("PathPrefix")
    return page_by_name((entity for entity in entities if under_path(entity.path, prefix)), params)


def page_of_account(
    session: Session, table: type[Named], account_id: str, params: dict[str, Any]
) -> tuple[list[Named], dict[str, Any]]:
    """One page of the account's users, groups or roles under params' PathPrefix: List{Users,Groups,Roles}."""
    return page_under_path(session.scalars(select(table).where(table.account_id == account_id)).all(), params)
