"""Properties of the evaluation logic that hold for any policies: deny wins, order and no-op statements don't matter."""

from __future__ import annotations

import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.auth.policy import AuthorizationRequest, PolicyDocument, PolicyKind, evaluate

ACCOUNT, OTHER = "111122223333", "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:*", "kms:Gen*", "s3:GetObject", "s3:*", "*", "iam:ListUsers"]
REQUEST_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey", "s3:GetObject", "iam:ListUsers", "sts:GetCallerIdentity"]
RESOURCES = ["*", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1", f"arn:aws:kms:*:{ACCOUNT}:key/*", "arn:aws:s3:::bucket/*"]
REQUEST_RESOURCES = [
    f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1",
    f"arn:aws:kms:us-east-1:{OTHER}:key/k2",
    "arn:aws:s3:::bucket/a",
]
CONDITIONS = [
    None,
    {"StringEquals": {"aws:username": "alice"}},
    {"Bool": {"aws:SecureTransport": "true"}},
    {"ForAnyValue:StringLike": {"aws:TagKeys": "env*"}},
]
PRINCIPALS = ["*", {"AWS": ACCOUNT}, {"AWS": ALICE}, {"AWS": f"arn:aws:iam::{ACCOUNT}:user/bob"}, {"AWS": OTHER}]
CALLERS = [
    (ALICE, False, None),
    (f"arn:aws:iam::{ACCOUNT}:root", True, None),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/Dev/s", False, None),
]


@st.composite
def statements(draw: st.DrawFn, *, with_principal: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=2)
    )
    statement["Resource"] = draw(st.sampled_from(RESOURCES))
    condition = draw(st.sampled_from(CONDITIONS))
    if condition is not None:
        statement["Condition"] = condition
    if with_principal:
        statement["Principal"] = draw(st.sampled_from(PRINCIPALS))
    return statement


def with_sids(raw: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{"Sid": f"{prefix}{index}", **statement} for index, statement in enumerate(raw)]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    identity = [
        with_sids(draw(st.lists(statements(with_principal=False), max_size=4)), f"I{n}x")
        for n in range(draw(st.integers(0, 3)))
    ]
    resource = draw(st.none() | st.lists(statements(with_principal=True), max_size=4))
    principal_arn, is_root, _ = draw(st.sampled_from(CALLERS))
    resource_arn = draw(st.sampled_from(REQUEST_RESOURCES))
    context: dict[str, Any] = {}
    if draw(st.booleans()):
        context["aws:username"] = draw(st.sampled_from(["alice", "bob"]))
    if draw(st.booleans()):
        context["aws:SecureTransport"] = draw(st.booleans())
    if draw(st.booleans()):
        context["aws:TagKeys"] = draw(st.lists(st.sampled_from(["env", "owner"]), max_size=2))
    return {
        "identity": identity,
        "resource": None if resource is None else with_sids(resource, "R"),
        "boundary": draw(st.none() | st.lists(statements(with_principal=False), min_size=1, max_size=2)),
        "kms": draw(st.booleans()),
        "request": AuthorizationRequest(
            principal_arn,
            ACCOUNT,
            draw(st.sampled_from(REQUEST_ACTIONS)),
            resource_arn,
            context,
            principal_is_root=is_root,
            resource_account=OTHER if OTHER in resource_arn else None,
        ),
    }


def document(statements_: list[dict[str, Any]], kind: PolicyKind) -> PolicyDocument:
    return PolicyDocument.parse(json.dumps({"Version": "2012-10-17", "Statement": statements_}), kind=kind)


def decide(scenario: dict[str, Any]):
    return evaluate(
        scenario["request"],
        identity_policies=[document(p, PolicyKind.IDENTITY) for p in scenario["identity"]],
        resource_policy=None if scenario["resource"] is None else document(scenario["resource"], PolicyKind.RESOURCE),
        permissions_boundary=None
        if scenario["boundary"] is None
        else document(with_sids(scenario["boundary"], "B"), PolicyKind.BOUNDARY),
        resource_policy_required=scenario["kms"],
    )


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.integers(0, 10))
def test_matching_explicit_deny_always_wins(scenario: dict[str, Any], where: int) -> None:
    action = scenario["request"].action
    before = decide(scenario)
    if scenario["request"].principal_is_root or where % 2 == 0:
        scenario["resource"] = [
            *(scenario["resource"] or []),
            {"Sid": "Wall", "Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*"},
        ]
        kind = PolicyKind.RESOURCE
    else:
        scenario["identity"] = [
            *scenario["identity"],
            [{"Sid": "Wall", "Effect": "Deny", "Action": action, "Resource": "*"}],
        ]
        kind = PolicyKind.IDENTITY
    decision = decide(scenario)
    assert decision.effect == "ExplicitDeny"
    if before.effect != "ExplicitDeny":  # the added statement is then the only matching Deny
        assert (decision.policy_kind, decision.statement_sid) == (kind, "Wall")


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.sampled_from(["Allow", "Deny"]))
def test_statement_matching_nothing_changes_nothing(scenario: dict[str, Any], effect: str) -> None:
    before = decide(scenario)
    inert = {"Sid": "Inert", "Effect": effect, "Action": "nothing:Nothing", "Resource": "*"}
    scenario["identity"] = [[*policy, inert] for policy in scenario["identity"]] or [[inert]]
    if scenario["resource"] is not None:
        scenario["resource"] = [*scenario["resource"], {**inert, "Principal": "*"}]
    assert decide(scenario) == before


@settings(max_examples=100, deadline=None)
@given(scenarios(), st.randoms(use_true_random=False))
def test_order_of_statements_and_policies_changes_nothing(scenario: dict[str, Any], rng: random.Random) -> None:
    before = decide(scenario)
    scenario["identity"] = [
        rng.sample(policy, len(policy)) for policy in rng.sample(scenario["identity"], len(scenario["identity"]))
    ]
    if scenario["resource"] is not None:
        scenario["resource"] = rng.sample(scenario["resource"], len(scenario["resource"]))
    assert decide(scenario) == before


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ACTIONS), min_size=1, max_size=3), st.sampled_from(REQUEST_ACTIONS))
def test_not_action_is_the_complement_of_action(patterns: list[str], action: str) -> None:
    request = AuthorizationRequest(ALICE, ACCOUNT, action, "arn:aws:s3:::bucket/a")
    allowed = []
    for element in ("Action", "NotAction"):
        policy = document([{"Effect": "Allow", element: patterns, "Resource": "*"}], PolicyKind.IDENTITY)
        allowed.append(evaluate(request, identity_policies=[policy]).allowed)
    assert allowed[0] != allowed[1]
