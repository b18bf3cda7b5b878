"""The IAM side of resource policies' principals bound to unique ids (`strongroom.auth.policy.binding`):
the ids a document's user and role ARNs belong to when it is saved, in any account of the
installation, and the ARNs those ids have when it is read back."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.policy.binding import loaded_bindings, named_principals, shown_policy
from strongroom.services.iam.naming import parse_entity_arn
from strongroom.services.iam.queries import find_role, find_user
from strongroom.services.iam.shapes import role_arn, user_arn
from strongroom.services.iam.tables import IamRole, IamUser


class UnknownPrincipal(Exception):
    """A policy names an IAM user or role that does not exist (each service answers in its own words)."""

    def __init__(self, arn: str) -> None:
        super().__init__(arn)
        self.arn = arn


def _unique_id(session: Session, arn: str, kind: str) -> str | None:
    parsed = parse_entity_arn(arn, kind)
    if parsed is None:
        return None
    account_id, _path, name = parsed
    if kind == "user":
        user = find_user(session, account_id, name)
        return user.user_id if user is not None and user_arn(user) == arn else None
    role = find_role(session, account_id, name)
    return role.role_id if role is not None and role_arn(role) == arn else None


def bind_principals(session: Session, text: str) -> dict[str, str]:
    """Each user and role ARN the (valid) document names, bound to its principal's unique id.

    Raises UnknownPrincipal for the first that names no existing user or role: its path, name and
    account must all be the principal's.
    """
    bindings: dict[str, str] = {}
    for arn, kind in named_principals(text):
        unique_id = _unique_id(session, arn, kind)
        if unique_id is None:
            raise UnknownPrincipal(arn)
        bindings[arn] = unique_id
    return bindings


def current_arns(session: Session, ids: Collection[str]) -> dict[str, str]:
    """The ARN each of `ids` has now, for those users and roles that still exist."""
    found = {user.user_id: user_arn(user) for user in session.scalars(select(IamUser).where(IamUser.user_id.in_(ids)))}
    found.update(
        (role.role_id, role_arn(role)) for role in session.scalars(select(IamRole).where(IamRole.role_id.in_(ids)))
    )
    return found


def shown_many(session: Session, saved: Sequence[tuple[str, str | None]]) -> list[str]:
    """Saved documents, each given with its stored bindings, as they are read back."""
    bindings = [loaded_bindings(stored) for _text, stored in saved]
    ids = {bound for each in bindings for _arn, bound in each}
    current = current_arns(session, ids) if ids else {}
    return [shown_policy(text, each, current) for (text, _stored), each in zip(saved, bindings, strict=True)]


def shown(session: Session, text: str, stored: str | None) -> str:
    """A saved document as it is read back, given its stored bindings."""
    return shown_many(session, [(text, stored)])[0]
