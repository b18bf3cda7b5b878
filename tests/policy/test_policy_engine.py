"""Engine behaviour the vectors don't carry: size limits, messages, caching, typed context values."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from strongroom.auth.policy import (
    AuthorizationRequest,
    Decision,
    MalformedPolicy,
    PolicyDocument,
    PolicyKind,
    denial_message,
    evaluate,
)

ALICE = "arn:aws:iam::111122223333:user/alice"
KEY = "arn:aws:kms:us-east-1:111122223333:key/k1"


def identity(*statements: dict) -> PolicyDocument:
    return PolicyDocument.parse(
        json.dumps({"Version": "2012-10-17", "Statement": list(statements)}), kind=PolicyKind.IDENTITY
    )


def request(**overrides: object) -> AuthorizationRequest:
    fields: dict = {
        "principal_arn": ALICE,
        "principal_account": "111122223333",
        "action": "kms:Decrypt",
        "resource": KEY,
        **overrides,
    }
    return AuthorizationRequest(**fields)


def padded_policy(sid_length: int, *, spaces: int = 0) -> str:
    statement = {"Sid": "S" * sid_length, "Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}) + " " * spaces


def test_identity_policy_size_limit_ignores_whitespace() -> None:
    overhead = len(padded_policy(0).replace(" ", ""))
    PolicyDocument.parse(padded_policy(6144 - overhead, spaces=5000), kind=PolicyKind.IDENTITY)
    with pytest.raises(MalformedPolicy) as raised:
        PolicyDocument.parse(padded_policy(6145 - overhead), kind=PolicyKind.IDENTITY)
    assert raised.value.limit_exceeded
    assert raised.value.reason == "Cannot exceed quota for PolicySize: 6144"


def test_trust_policy_size_limit() -> None:
    with pytest.raises(MalformedPolicy) as raised:
        PolicyDocument.parse(padded_policy(2100), kind=PolicyKind.TRUST)
    assert raised.value.reason == "Cannot exceed quota for ACLSizePerRole: 2048"


def test_max_size_overrides_the_kind_limit() -> None:
    text = padded_policy(30000)
    with pytest.raises(MalformedPolicy):
        PolicyDocument.parse(text, kind=PolicyKind.IDENTITY)
    with pytest.raises(MalformedPolicy) as raised:
        PolicyDocument.parse(text, kind=PolicyKind.IDENTITY, max_size=1000)
    assert raised.value.limit_exceeded
    assert PolicyDocument.parse(text, kind=PolicyKind.IDENTITY, max_size=32768).statements[0].sid == "S" * 30000


def test_parse_is_cached_and_documents_are_immutable() -> None:
    text = padded_policy(3)
    document = PolicyDocument.parse(text, kind=PolicyKind.IDENTITY)
    assert PolicyDocument.parse(text, kind=PolicyKind.IDENTITY) is document
    with pytest.raises(AttributeError):
        document.kind = PolicyKind.RESOURCE  # type: ignore[misc]


def test_missing_statement_and_both_action_forms_are_rejected() -> None:
    with pytest.raises(MalformedPolicy, match="Missing required field Statement"):
        PolicyDocument.parse('{"Version": "2012-10-17"}', kind=PolicyKind.IDENTITY)
    both = {"Effect": "Allow", "Action": "s3:*", "NotAction": "iam:*", "Resource": "*"}
    with pytest.raises(MalformedPolicy, match=r"^Syntax errors in policy\.$"):
        identity(both)


@pytest.mark.parametrize(
    ("decision", "tail"),
    [
        (
            Decision("ImplicitDeny", PolicyKind.IDENTITY),
            "because no identity-based policy allows the kms:Decrypt action",
        ),
        (
            Decision("ImplicitDeny", PolicyKind.RESOURCE),
            "because no resource-based policy allows the kms:Decrypt action",
        ),
        (
            Decision("ImplicitDeny", PolicyKind.BOUNDARY),
            "because no permissions boundary allows the kms:Decrypt action",
        ),
        (Decision("ImplicitDeny", PolicyKind.SESSION), "because no session policy allows the kms:Decrypt action"),
        (Decision("ExplicitDeny", PolicyKind.IDENTITY, "D"), "with an explicit deny in an identity-based policy"),
        (Decision("ExplicitDeny", PolicyKind.RESOURCE, "D"), "with an explicit deny in a resource-based policy"),
        (Decision("ExplicitDeny", PolicyKind.BOUNDARY), "with an explicit deny in a permissions boundary"),
        (Decision("ExplicitDeny", PolicyKind.SESSION), "with an explicit deny in a session policy"),
    ],
)
def test_denial_messages(decision: Decision, tail: str) -> None:
    assert denial_message(request(), decision) == (
        f"User: {ALICE} is not authorized to perform: kms:Decrypt on resource: {KEY} {tail}"
    )


def test_denial_message_refuses_an_allow() -> None:
    with pytest.raises(ValueError, match="allowed"):
        denial_message(request(), Decision("Allow", PolicyKind.IDENTITY, "A"))


def test_typed_context_values() -> None:
    policy = identity(
        {
            "Sid": "Typed",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {
                "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
                "BinaryEquals": {"example:blob": "AAE="},
                "NumericLessThan": {"example:count": "3"},
            },
        }
    )
    good = {"AWS:CurrentTime": datetime(2029, 5, 1, tzinfo=UTC), "example:blob": b"\x00\x01", "example:count": 2}
    assert evaluate(request(context=good), identity_policies=[policy]).allowed
    late = {**good, "aws:currenttime": datetime(2031, 1, 1)}  # naive datetimes are UTC
    assert evaluate(request(context=late), identity_policies=[policy]).effect == "ImplicitDeny"


def test_principal_arn_defaults_to_the_role_for_a_session() -> None:
    session = request(principal_arn="arn:aws:sts::111122223333:assumed-role/Dev/s")
    assert session.lowered_context["aws:principalarn"] == "arn:aws:iam::111122223333:role/Dev"
    assert request(context={"aws:PrincipalArn": "x"}).lowered_context["aws:principalarn"] == "x"


def test_unresolvable_variable_in_a_condition_voids_the_statement() -> None:
    policy = identity(
        {
            "Sid": "Mine",
            "Effect": "Allow",
            "Action": "kms:*",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": "${aws:username}"}},
        }
    )
    assert evaluate(request(context={"aws:PrincipalTag/team": "blue"}), identity_policies=[policy]).effect == (
        "ImplicitDeny"
    )
    assert evaluate(
        request(context={"aws:PrincipalTag/team": "blue", "aws:username": "alice"}), identity_policies=[policy]
    ).allowed


def test_reported_statement_is_the_smallest_sid_whatever_the_order() -> None:
    first = {"Sid": "B", "Effect": "Allow", "Action": "kms:*", "Resource": "*"}
    second = {"Sid": "A", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
    for statements in ((first, second), (second, first)):
        assert evaluate(request(), identity_policies=[identity(*statements)]).statement_sid == "A"
