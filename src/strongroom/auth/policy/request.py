"""What evaluation reads (AuthorizationRequest) and what it answers (Decision), and AWS's denial text."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Final, Literal

from strongroom.auth.policy.conditions import as_text
from strongroom.auth.policy.document import PolicyKind
from strongroom.auth.policy.principals import Caller

ConditionValue = str | int | float | bool | bytes | datetime | Sequence[str]


class _Absent:
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()
"""What a read found for a condition key the request does not have."""


class ContextReads(Mapping[str, ConditionValue]):
    """A request's condition keys (lower-cased), remembering every key looked up and what it held.

    Evaluation reads the condition keys only through this mapping, so what it records is all a
    decision depended on beyond the principal, action, resource and policies
    (`strongroom.auth.decisions` reuses decisions on it). Listing the keys (iteration, len) reads
    them all: the decision then depends on the whole context and is not reused.
    """

    __slots__ = ("_values", "found", "listed")

    def __init__(self, values: dict[str, ConditionValue]) -> None:
        self._values = values
        self.found: dict[str, object] = {}
        self.listed = False

    def _read(self, key: str) -> object:
        value = self._values.get(key, ABSENT)
        if key not in self.found:
            self.found[key] = value
        return value

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        value = self._read(key)
        return default if value is ABSENT else value

    def __getitem__(self, key: str) -> ConditionValue:
        value = self._read(key)
        if value is ABSENT:
            raise KeyError(key)
        return value  # type: ignore[return-value]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._read(key) is not ABSENT

    def __iter__(self) -> Iterator[str]:
        self.listed = True
        return iter(self._values)

    def __len__(self) -> int:
        self.listed = True
        return len(self._values)


def lowered_keys(context: Mapping[str, ConditionValue], caller: Caller) -> dict[str, ConditionValue]:
    """The condition keys a request from `caller` with `context` is evaluated on: lower-cased, with
    aws:PrincipalArn and aws:PrincipalAccount filled in when missing."""
    lowered = {key.lower(): value for key, value in context.items()}
    lowered.setdefault("aws:principalarn", caller.issuer_arn or caller.arn)
    lowered.setdefault("aws:principalaccount", caller.account)
    return lowered


@dataclass(frozen=True)
class AuthorizationRequest:
    """One request to authorize.

    `context` maps condition keys (any case) to values; a list is a multivalued key. For a caller
    that is not an IAM identity (a service principal, a web identity provider, an S3 canonical
    user) `principal_arn` carries that principal's name. `session_issuer_arn` is the role or user a
    session was issued from; for an assumed-role session it is derived from the session ARN when not
    given. `principal_id` is the caller's unique id (aws:userid), which saved resource policies name
    users and roles by. `resource_account` None means the resource is in the caller's account.

    `aws:PrincipalArn` and `aws:PrincipalAccount` are filled in when the context lacks them.
    """

    principal_arn: str
    principal_account: str
    action: str
    resource: str
    context: Mapping[str, ConditionValue] = field(default_factory=dict)
    principal_is_root: bool = False
    resource_account: str | None = None
    session_issuer_arn: str | None = None
    principal_id: str | None = None
    caller: Caller = field(init=False, repr=False, compare=False)
    lowered_action: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        caller = Caller.of(
            self.principal_arn,
            self.principal_account,
            is_root=self.principal_is_root,
            issuer_arn=self.session_issuer_arn,
            principal_id=self.principal_id,
        )
        object.__setattr__(self, "caller", caller)
        object.__setattr__(self, "lowered_action", self.action.lower())

    @cached_property
    def lowered_context(self) -> ContextReads:
        """`context` as evaluation reads it (`lowered_keys`), recording what is read; built on first
        use (statements without conditions or policy variables never read it)."""
        return ContextReads(lowered_keys(self.context, self.caller))

    @property
    def read_context(self) -> bool:
        """Whether anything has read the condition keys (an evaluation that did not was decided
        without them: see `strongroom.auth.decisions`)."""
        reads = self.context_reads
        return reads is None or bool(reads)

    @property
    def context_reads(self) -> Mapping[str, object] | None:
        """Each condition key read so far (lower-cased) and what it held, ABSENT when missing; None
        when the keys were listed, so that the whole context was read."""
        reads: ContextReads | None = self.__dict__.get("lowered_context")
        if reads is None:
            return {}
        return None if reads.listed else reads.found

    @property
    def is_cross_account(self) -> bool:
        return self.resource_account is not None and self.resource_account != self.principal_account

    def variable(self, name: str) -> str | None:
        """The value of context key `name` (lower-cased) as a policy variable: single-valued only."""
        value = self.lowered_context.get(name)
        if value is None or isinstance(value, list | tuple | set | frozenset):
            return None
        return as_text(value)


@dataclass(frozen=True)
class Decision:
    """The outcome, and the policy kind and statement that decided it.

    For an ImplicitDeny, `policy_kind` names the kind of policy that failed to allow the request
    (what AWS's message says "no ... allows"), and `statement_sid` is None. For an Allow found only
    in the account root's own rights, both are None.
    """

    effect: Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
    policy_kind: PolicyKind | None = None
    statement_sid: str | None = None

    @property
    def allowed(self) -> bool:
        return self.effect == "Allow"


_POLICY_PHRASES = {
    PolicyKind.IDENTITY: "identity-based policy",
    PolicyKind.RESOURCE: "resource-based policy",
    PolicyKind.TRUST: "resource-based policy",
    PolicyKind.BOUNDARY: "permissions boundary",
    PolicyKind.SESSION: "session policy",
}


def denial_message(request: AuthorizationRequest, decision: Decision) -> str:
    """AWS's AccessDenied message for a denied request."""
    if decision.allowed:
        raise ValueError("the request was allowed")
    phrase = _POLICY_PHRASES[decision.policy_kind or PolicyKind.IDENTITY]
    head = (
        f"User: {request.principal_arn} is not authorized to perform: {request.action} on resource: {request.resource}"
    )
    if decision.effect == "ExplicitDeny":
        article = "an" if phrase[0] in "aeiou" else "a"
        return f"{head} with an explicit deny in {article} {phrase}"
    return f"{head} because no {phrase} allows the {request.action} action"
