"""The Principal and NotPrincipal elements: parsing, and matching them against the caller.

A match is graded, because AWS's evaluation treats the grades differently:

* DIRECT: the policy names the caller itself (its user ARN, its session ARN, a service or federated
  identity, or the account when the caller is that account's root user).
* ISSUER: the policy names the role (or user) a session was issued from. AWS matches a role principal
  against every session of the role; we compare account and role name, since a session ARN carries
  no role path.
* PUBLIC: the policy names everyone (`"*"` or `{"AWS": "*"}`), or excludes the caller from nobody via
  NotPrincipal.
* ACCOUNT: the policy names the caller's account (its id or `arn:aws:iam::ACCOUNT:root`). For a
  user or role this delegates to the account: its identity-based policies must also allow.

A saved resource policy names IAM users and roles as AWS keeps them: bound to the unique id
(AIDA..., AROA...) each ARN belonged to when the policy was saved (`Bindings`). Parsed with its
bindings, such a policy matches a user or a role's sessions by that id, so a principal created again
under the same name is not the one it names; an ARN it has no id for matches nobody. Parsed without
(a policy being checked before it is saved, or one only simulated) it matches by ARN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from typing import Any

from strongroom.auth.policy.errors import MalformedPolicy

INVALID_PRINCIPAL = "Invalid principal in policy"
_PARTITION = r"arn:aws(?:-[a-z]+)*"
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_ROOT_ARN = re.compile(rf"^{_PARTITION}:iam::(\d{{12}}):root$")
_ROLE_ARN = re.compile(rf"^{_PARTITION}:iam::(\d{{12}}):role/(?:[^*?]*/)?([^/*?]+)$")
_USER_ARN = re.compile(rf"^{_PARTITION}:iam::(\d{{12}}):user/(?:[^*?]*/)?[^/*?]+$")
_SESSION_ARN = re.compile(rf"^{_PARTITION}:sts::(\d{{12}}):assumed-role/([^/*?]+)/[^/*?]+$")
_FEDERATED_USER_ARN = re.compile(rf"^{_PARTITION}:sts::(\d{{12}}):federated-user/[^/*?]+$")
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")

Bindings = tuple[tuple[str, str], ...]
"""(principal ARN as the policy names it, the unique id it was bound to when saved), sorted."""


class PrincipalMatch(IntEnum):
    """How a policy's principal matched the caller; a higher value is a more specific match."""

    ACCOUNT = 1
    PUBLIC = 2
    ISSUER = 3
    DIRECT = 4


@dataclass(frozen=True, slots=True)
class Caller:
    """The calling identity, in the forms principal matching needs."""

    arn: str
    account: str
    is_root: bool
    issuer_arn: str | None
    role_key: tuple[str, str] | None  # (account, role name) when the caller is a role session
    unique_id: str | None  # a user's id, or a role session's role id; None for the root and non-IAM callers

    @classmethod
    def of(
        cls, arn: str, account: str, *, is_root: bool, issuer_arn: str | None, principal_id: str | None = None
    ) -> Caller:
        """`principal_id` is AWS's unique id of the caller (aws:userid): AIDA... for a user (and its
        GetSessionToken sessions), AROA...:session for a role session."""
        # A pure function of its arguments: each caller is derived once, not on every request.
        return _caller(arn, account, is_root, issuer_arn, principal_id)

    @classmethod
    def _derive(
        cls, arn: str, account: str, is_root: bool, issuer_arn: str | None, principal_id: str | None
    ) -> Caller:
        unique_id = principal_id.split(":", 1)[0] if principal_id and not is_root else None
        role_key = None
        session = _SESSION_ARN.match(arn)
        issuer_role = _ROLE_ARN.match(issuer_arn) if issuer_arn else None
        if issuer_role:
            role_key = (issuer_role.group(1), issuer_role.group(2))
        elif session:
            role_key = (session.group(1), session.group(2))
        if issuer_arn is None and session:
            issuer_arn = f"arn:aws:iam::{session.group(1)}:role/{session.group(2)}"
        return cls(arn, account, is_root, issuer_arn, role_key, unique_id)


@lru_cache(maxsize=4096)
def _caller(arn: str, account: str, is_root: bool, issuer_arn: str | None, principal_id: str | None) -> Caller:
    return Caller._derive(arn, account, is_root, issuer_arn, principal_id)


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """The principals one Principal or NotPrincipal element names."""

    everyone: bool
    accounts: frozenset[str]
    arns: frozenset[str]  # users, roles, sessions, federated users, and non-AWS principal names
    roles: frozenset[tuple[str, str]]  # (account, role name) of every role named
    ids: frozenset[str] = frozenset()  # unique ids of the users and roles a saved policy names

    def _names_by_id(self, caller: Caller) -> bool:
        return caller.unique_id is not None and caller.unique_id in self.ids

    def match(self, caller: Caller) -> PrincipalMatch | None:
        if caller.arn in self.arns:
            return PrincipalMatch.DIRECT
        if self._names_by_id(caller):
            # A user itself, or the role a session was issued from.
            return PrincipalMatch.DIRECT if caller.role_key is None else PrincipalMatch.ISSUER
        if caller.is_root and caller.account in self.accounts:
            return PrincipalMatch.DIRECT
        if (caller.issuer_arn is not None and caller.issuer_arn in self.arns) or (
            caller.role_key is not None and caller.role_key in self.roles
        ):
            return PrincipalMatch.ISSUER
        if self.everyone:
            return PrincipalMatch.PUBLIC
        if caller.account in self.accounts:
            return PrincipalMatch.ACCOUNT
        return None

    def excludes(self, caller: Caller) -> bool:
        """NotPrincipal: is the caller outside the statement?

        AWS checks every identity a request carries, so a user or session is only excluded when
        both it (or, for a session, its role) and its account are listed.
        """
        if self.everyone or (caller.arn in self.arns and not caller.account):
            return True
        identity_listed = (
            caller.is_root
            or caller.arn in self.arns
            or self._names_by_id(caller)
            or (caller.issuer_arn is not None and caller.issuer_arn in self.arns)
            or (caller.role_key is not None and caller.role_key in self.roles)
        )
        return identity_listed and caller.account in self.accounts


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise MalformedPolicy(INVALID_PRINCIPAL)
    return items


def bound_kind(item: str) -> str | None:
    """"user" or "role" when an AWS principal `item` names an IAM user or role (what a saved policy binds
    to a unique id); None for anything else (accounts, sessions, federated users, "*")."""
    if _ROLE_ARN.match(item):
        return "role"
    if _USER_ARN.match(item):
        return "user"
    return None


def parse_principals(element: Any, bindings: dict[str, str] | None = None) -> PrincipalSet:
    """Parse a Principal/NotPrincipal element, rejecting what AWS rejects as an invalid principal.

    With `bindings` (a saved policy's, see `Bindings`) IAM users and roles are named by unique id.
    """
    if element == "*":
        return PrincipalSet(True, frozenset(), frozenset(), frozenset())
    if not isinstance(element, dict) or not element:
        raise MalformedPolicy(INVALID_PRINCIPAL)
    everyone = False
    accounts: set[str] = set()
    arns: set[str] = set()
    roles: set[tuple[str, str]] = set()
    ids: set[str] = set()
    for principal_type, value in element.items():
        if principal_type not in _PRINCIPAL_TYPES:
            raise MalformedPolicy(INVALID_PRINCIPAL)
        for item in _strings(value):
            if principal_type != "AWS":
                if "*" in item or "?" in item:
                    raise MalformedPolicy(INVALID_PRINCIPAL)
                arns.add(item)
            elif item == "*":
                everyone = True
            elif _ACCOUNT_ID.match(item):
                accounts.add(item)
            elif root := _ROOT_ARN.match(item):
                accounts.add(root.group(1))
            elif bindings is not None and bound_kind(item) is not None:
                bound = bindings.get(item)
                if bound is not None:
                    ids.add(bound)
            elif role := _ROLE_ARN.match(item):
                arns.add(item)
                roles.add((role.group(1), role.group(2)))
            elif _USER_ARN.match(item) or _SESSION_ARN.match(item) or _FEDERATED_USER_ARN.match(item):
                arns.add(item)
            else:
                raise MalformedPolicy(INVALID_PRINCIPAL)
    return PrincipalSet(everyone, frozenset(accounts), frozenset(arns), frozenset(roles), frozenset(ids))
