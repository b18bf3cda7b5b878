"""The IAM policy engine: parse policy documents once, then decide requests against them.

A pure library (no I/O). Typical use::

    policy = PolicyDocument.parse(text, kind=PolicyKind.IDENTITY)
    decision = evaluate(AuthorizationRequest(...), identity_policies=[policy])
    if not decision.allowed:
        raise AccessDenied(denial_message(request, decision))

See `evaluate` for the decision logic (including KMS key-policy mode) and `conditions` for the
condition operators' semantics.
"""

from __future__ import annotations

from strongroom.auth.policy.document import PolicyDocument, PolicyKind, Statement
from strongroom.auth.policy.errors import MalformedPolicy
from strongroom.auth.policy.evaluate import evaluate
from strongroom.auth.policy.request import AuthorizationRequest, ConditionValue, Decision, denial_message

__all__ = [
    "AuthorizationRequest",
    "ConditionValue",
    "Decision",
    "MalformedPolicy",
    "PolicyDocument",
    "PolicyKind",
    "Statement",
    "denial_message",
    "evaluate",
]
