"""The decision: AWS's policy evaluation logic over identity, resource, boundary and session policies.

Order, as AWS documents it (policy evaluation logic, cross-account evaluation, permissions
boundaries, session policies):

1. An explicit Deny in any applicable policy wins. For the account root user identity-based
   policies, permissions boundaries and session policies do not apply; resource policies do.
2. The root user is allowed everything in its own account. Across accounts, or when a resource
   policy is required, the resource policy must allow it (naming its account, or everyone).
3. Same account: a resource policy that names the caller itself (its user ARN, or its exact session
   ARN) allows the request on its own; an implicit deny in identity policies, a permissions boundary
   or session policies does not limit it. A resource policy naming the role a session came from, or
   everyone, also allows without identity policies, but the boundary and session policies must
   allow too. A resource policy naming only the account delegates to IAM: the identity policies
   decide. Otherwise an identity policy must allow, and so must the boundary (if any) and at least
   one session policy (if session policies apply).
4. Cross-account: the resource policy must allow the caller (in any form, including its account)
   AND the caller's identity side (identity policies, boundary, session policies) must allow.
5. `resource_policy_required=True` is KMS key-policy mode (also right for role trust policies): the
   resource policy is the primary control. With no allow in it the request is denied whatever the
   identity policies say; identity policies count only where it allows the caller's account
   (`arn:aws:iam::ACCOUNT:root` or the bare account id); the root user is allowed only if it allows
   the account.

A documented quirk is kept: a Deny statement with NotPrincipal applies to every IAM principal that has
a permissions boundary, whatever NotPrincipal lists.

Every matching statement is examined, so the reported statement does not depend on statement or
policy order: among several, the one with the smallest Sid is reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from strongroom.auth.policy.document import PolicyDocument, PolicyKind, Statement
from strongroom.auth.policy.principals import PrincipalMatch
from strongroom.auth.policy.request import AuthorizationRequest, Decision


def _sid_key(sid: str | None) -> tuple[bool, str]:
    return (sid is None, sid or "")


@dataclass(slots=True)
class _Findings:
    """What one kind of policy said about the request."""

    denied: bool = False
    deny_sid: str | None = None
    allows: dict[PrincipalMatch, str | None] = field(default_factory=dict)

    def note(self, statement: Statement, grade: PrincipalMatch) -> None:
        if statement.effect == "Deny":
            if not self.denied or _sid_key(statement.sid) < _sid_key(self.deny_sid):
                self.deny_sid = statement.sid
            self.denied = True
        elif grade not in self.allows or _sid_key(statement.sid) < _sid_key(self.allows[grade]):
            self.allows[grade] = statement.sid

    @property
    def allowed(self) -> bool:
        return bool(self.allows)

    def best_allow(self) -> tuple[PrincipalMatch, str | None] | None:
        if not self.allows:
            return None
        grade = max(self.allows)
        return grade, self.allows[grade]


def _applies(statement: Statement, request: AuthorizationRequest) -> bool:
    """Action, resource and conditions (not the principal) match the request."""
    if statement.actions.matches(request.lowered_action) == statement.not_action:
        return False
    if statement.resources is not None:
        matched = statement.resources.matches(request.resource, request.variable)
        if matched is None or matched == statement.not_resource:
            return False
    if not statement.conditions:
        return True
    context, lookup = request.lowered_context, request.variable
    return all(condition.holds(context, lookup) for condition in statement.conditions)


def _grade(statement: Statement, request: AuthorizationRequest, has_boundary: bool) -> PrincipalMatch | None:
    principals = statement.principals
    if principals is None:
        return PrincipalMatch.DIRECT
    if statement.not_principal:
        if statement.effect == "Deny" and has_boundary:
            return PrincipalMatch.PUBLIC
        return None if principals.excludes(request.caller) else PrincipalMatch.PUBLIC
    return principals.match(request.caller)


# What no policy says; shared, read-only: _scan only notes into findings it made itself.
_NOTHING = _Findings()


def _scan(policies: Sequence[PolicyDocument], request: AuthorizationRequest, has_boundary: bool) -> _Findings:
    if not policies:
        return _NOTHING
    findings = _Findings()
    for policy in policies:
        for statement in policy.statements:
            grade = _grade(statement, request, has_boundary)
            if grade is not None and _applies(statement, request):
                findings.note(statement, grade)
    return findings


def evaluate(
    request: AuthorizationRequest,
    *,
    identity_policies: Sequence[PolicyDocument] = (),
    resource_policy: PolicyDocument | None = None,
    session_policies: Sequence[PolicyDocument] | None = None,
    permissions_boundary: PolicyDocument | None = None,
    resource_policy_required: bool = False,
) -> Decision:
    """Decide `request`. `session_policies` None means none apply; an empty sequence allows nothing."""
    root = request.principal_is_root
    has_boundary = permissions_boundary is not None and not root
    identity = _scan(() if root else identity_policies, request, has_boundary)
    resource = _scan(() if resource_policy is None else (resource_policy,), request, has_boundary)
    boundary = _scan((permissions_boundary,) if has_boundary else (), request, has_boundary)  # type: ignore[arg-type]
    sessions_apply = session_policies is not None and not root
    session = _scan(session_policies or () if sessions_apply else (), request, has_boundary)
    resource_kind = resource_policy.kind if resource_policy is not None else PolicyKind.RESOURCE

    for kind, findings in (
        (PolicyKind.IDENTITY, identity),
        (resource_kind, resource),
        (PolicyKind.BOUNDARY, boundary),
        (PolicyKind.SESSION, session),
    ):
        if findings.denied:
            return Decision("ExplicitDeny", kind, findings.deny_sid)

    granted = resource.best_allow()
    if root:
        if not request.is_cross_account and not resource_policy_required:
            return Decision("Allow")
        if granted is None:
            return Decision("ImplicitDeny", resource_kind)
        return Decision("Allow", resource_kind, granted[1])

    def limits() -> Decision | None:
        """The implicit deny a boundary or the session policies impose, if any."""
        if has_boundary and not boundary.allowed:
            return Decision("ImplicitDeny", PolicyKind.BOUNDARY)
        if sessions_apply and not session.allowed:
            return Decision("ImplicitDeny", PolicyKind.SESSION)
        return None

    def identity_side() -> Decision:
        if not identity.allowed:
            return Decision("ImplicitDeny", PolicyKind.IDENTITY)
        limited = limits()
        if limited is not None:
            return limited
        return Decision("Allow", PolicyKind.IDENTITY, min(identity.allows.values(), key=_sid_key))

    if request.is_cross_account:
        if granted is None:
            return Decision("ImplicitDeny", resource_kind)
        own = identity_side()
        return Decision("Allow", resource_kind, granted[1]) if own.allowed else own

    if granted is not None:
        grade, sid = granted
        if grade is PrincipalMatch.DIRECT:
            return Decision("Allow", resource_kind, sid)
        if grade is not PrincipalMatch.ACCOUNT:
            return limits() or Decision("Allow", resource_kind, sid)
    elif resource_policy_required:
        return Decision("ImplicitDeny", resource_kind)
    return identity_side()
