"""What the request path asks IAM: a caller's policies, and a role's trust for STS AssumeRole.

Both run on every authorized request or AssumeRole, so compiled documents are cached by what
identifies their text: (managed policy id, version id) for managed policies, which never change
once written, and (owner id, policy name, revision) for inline ones, whose revision is drawn anew
on every Put. Only documents missing from the cache are read from the store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.policy import PolicyDocument, PolicyKind
from strongroom.auth.policy.binding import loaded_bindings
from strongroom.auth.principal import Principal
from strongroom.lru import remember
from strongroom.services.iam.naming import parse_entity_arn
from strongroom.services.iam.queries import find_role
from strongroom.services.iam.shapes import role_arn
from strongroom.services.iam.tables import (
    IamGroupMember,
    IamInlinePolicy,
    IamManagedPolicy,
    IamPolicyAttachment,
    IamPolicyVersion,
    IamRole,
    IamUser,
)

CacheKey = tuple[str, ...]


@dataclass(frozen=True)
class IdentityPolicies:
    """The identity-based policies that apply to a caller, and its permissions boundary if it has one.

    `exists` is False for a session whose user or role has been deleted since it was issued.
    """

    identity: tuple[PolicyDocument, ...]
    boundary: PolicyDocument | None
    exists: bool = True


NO_POLICIES = IdentityPolicies((), None)
GONE = IdentityPolicies((), None, exists=False)


class DocumentCache:
    """A bounded, thread-safe LRU of compiled documents."""

    def __init__(self, capacity: int = 4096) -> None:
        self._entries: OrderedDict[CacheKey, PolicyDocument] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def get(self, key: CacheKey) -> PolicyDocument | None:
        with self._lock:
            document = self._entries.get(key)
            if document is not None:
                self._entries.move_to_end(key)
            return document

    def put(self, key: CacheKey, document: PolicyDocument) -> None:
        with self._lock:
            remember(self._entries, key, document, self._capacity)


_documents = DocumentCache()


def _compiled(key: CacheKey, text: str, kind: PolicyKind) -> PolicyDocument:
    # Stored documents were validated when written; parsing cannot fail unless the store was edited.
    document = PolicyDocument.parse(text, kind=kind)
    _documents.put(key, document)
    return document


def _inline_documents(session: Session, owner_ids: list[str]) -> list[PolicyDocument]:
    rows = session.execute(
        select(IamInlinePolicy.owner_id, IamInlinePolicy.policy_name, IamInlinePolicy.revision).where(
            IamInlinePolicy.owner_id.in_(owner_ids)
        )
    ).all()
    documents: list[PolicyDocument] = []
    for owner_id, policy_name, revision in rows:
        key = ("inline", owner_id, policy_name, str(revision))
        cached = _documents.get(key)
        if cached is None:
            text = session.scalar(
                select(IamInlinePolicy.document).where(
                    IamInlinePolicy.owner_id == owner_id, IamInlinePolicy.policy_name == policy_name
                )
            )
            cached = _compiled(key, text or "", PolicyKind.IDENTITY)
        documents.append(cached)
    return documents


def managed_document(session: Session, policy_id: str, version_id: str, kind: PolicyKind) -> PolicyDocument:
    key = ("managed", kind.value, policy_id, version_id)
    cached = _documents.get(key)
    if cached is not None:
        return cached
    version = session.get(IamPolicyVersion, (policy_id, version_id))
    return _compiled(key, version.document if version is not None else "", kind)


def _attached_documents(session: Session, owner_ids: Iterable[str]) -> list[PolicyDocument]:
    rows = session.execute(
        select(IamManagedPolicy.policy_id, IamManagedPolicy.default_version_id)
        .join(IamPolicyAttachment, IamPolicyAttachment.policy_id == IamManagedPolicy.policy_id)
        .where(IamPolicyAttachment.owner_id.in_(list(owner_ids)))
    ).all()
    # A policy attached to both the user and one of its groups counts once.
    return [managed_document(session, policy_id, version, PolicyKind.IDENTITY) for policy_id, version in set(rows)]


def boundary_document(session: Session, account_id: str, arn: str | None) -> PolicyDocument | None:
    if arn is None:
        return None
    row = session.execute(
        select(IamManagedPolicy.policy_id, IamManagedPolicy.default_version_id).where(
            IamManagedPolicy.account_id == account_id, IamManagedPolicy.arn == arn
        )
    ).first()
    if row is None:
        return None
    return managed_document(session, row[0], row[1], PolicyKind.BOUNDARY)


def owner_policies(session: Session, owner_ids: list[str]) -> tuple[PolicyDocument, ...]:
    """Inline and attached managed (default version) policies of the given users, groups and roles."""
    return (*_inline_documents(session, owner_ids), *_attached_documents(session, owner_ids))


def user_policies(session: Session, user: IamUser) -> IdentityPolicies:
    group_ids = session.scalars(select(IamGroupMember.group_id).where(IamGroupMember.user_id == user.user_id)).all()
    return IdentityPolicies(
        owner_policies(session, [user.user_id, *group_ids]),
        boundary_document(session, user.account_id, user.permissions_boundary_arn),
    )


def role_policies(session: Session, role: IamRole) -> IdentityPolicies:
    return IdentityPolicies(
        owner_policies(session, [role.role_id]),
        boundary_document(session, role.account_id, role.permissions_boundary_arn),
    )


def identity_policies_for(session: Session, principal: Principal) -> IdentityPolicies:
    """The policies deciding what `principal` may do. The root has none: it is not limited by them.

    An IAM user's are its own inline and attached policies and those of its groups; a role
    session's are its role's. A user or role deleted since its credentials were issued is GONE (one
    created again under its name has another unique id).
    """
    if principal.type == "IAMUser":
        user = session.get(IamUser, principal.user_id)
        return GONE if user is None else user_policies(session, user)
    if principal.type == "AssumedRole":
        role = session.get(IamRole, principal.user_id.split(":", 1)[0])
        return GONE if role is None else role_policies(session, role)
    return NO_POLICIES


def role_for_assume(session: Session, arn: str) -> tuple[IamRole, PolicyDocument, int] | None:
    """The role `arn` names, its trust policy and its maximum session duration in seconds; None if no such role."""
    parsed = parse_entity_arn(arn, "role")
    if parsed is None:
        return None
    account_id, _path, name = parsed
    role = find_role(session, account_id, name)
    if role is None or role_arn(role) != arn:
        return None
    trust = PolicyDocument.parse(
        role.trust_policy, kind=PolicyKind.TRUST, bindings=loaded_bindings(role.trust_policy_principals)
    )
    return role, trust, role.max_session_duration
