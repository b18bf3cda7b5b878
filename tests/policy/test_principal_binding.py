"""Saved resource policies' principals bound to unique ids: matching by id, which ARNs are bound, how the
bindings are stored, and the policy as read back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.auth.policy import AuthorizationRequest, PolicyDocument, PolicyKind, evaluate
from strongroom.auth.policy.binding import (
    kept_bindings,
    loaded_bindings,
    named_principals,
    shown_policy,
    stored_bindings,
)
from strongroom.auth.policy.principals import Bindings

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
ALICE_ID = "AIDAALICEFIRST0000001"
ALICE_AGAIN_ID = "AIDAALICESECOND000002"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/ci/deployer"
DEPLOYER_ID = "AROADEPLOYER000000001"
DEPLOYER_SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/deployer/build"
SECRET = f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf"


def policy_text(principal: Any, *, element: str = "Principal", effect: str = "Allow", **extra: Any) -> str:
    statement = {"Sid": "S", "Effect": effect, element: principal, "Action": "secretsmanager:GetSecretValue",
                 "Resource": "*", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def saved(text: str, bindings: dict[str, str]) -> PolicyDocument:
    return PolicyDocument.parse(text, kind=PolicyKind.RESOURCE, bindings=loaded_bindings(stored_bindings(bindings)))


def decide(policy: PolicyDocument, arn: str, principal_id: str | None, *, issuer: str | None = None) -> str:
    request = AuthorizationRequest(principal_arn=arn, principal_account=ACCOUNT, action="secretsmanager:GetSecretValue",
                                   resource=SECRET, principal_id=principal_id, session_issuer_arn=issuer)
    return evaluate(request, resource_policy=policy).effect


def test_a_bound_user_is_matched_by_its_unique_id_not_by_its_arn() -> None:
    policy = saved(policy_text({"AWS": ALICE}), {ALICE: ALICE_ID})
    assert decide(policy, ALICE, ALICE_ID) == "Allow"
    assert decide(policy, ALICE, ALICE_AGAIN_ID) == "ImplicitDeny"  # the same ARN, another user
    assert decide(policy, ALICE, None) == "ImplicitDeny"


def test_a_bound_role_is_matched_through_its_sessions_role_id() -> None:
    policy = saved(policy_text({"AWS": DEPLOYER}), {DEPLOYER: DEPLOYER_ID})
    request = AuthorizationRequest(principal_arn=DEPLOYER_SESSION, principal_account=ACCOUNT,
                                   action="secretsmanager:GetSecretValue", resource=SECRET,
                                   principal_id=f"{DEPLOYER_ID}:build", session_issuer_arn=DEPLOYER)
    assert policy.statements[0].principals is not None
    assert policy.statements[0].principals.match(request.caller) is not None
    assert decide(policy, DEPLOYER_SESSION, f"{DEPLOYER_ID}:build", issuer=DEPLOYER) == "Allow"
    assert decide(policy, DEPLOYER_SESSION, "AROAANOTHERDEPLOYER01:build", issuer=DEPLOYER) == "ImplicitDeny"


def test_an_unbound_arn_of_a_saved_policy_matches_nobody_and_a_policy_parsed_without_bindings_matches_by_arn() -> None:
    text = policy_text({"AWS": [ALICE, DEPLOYER]})
    assert decide(saved(text, {}), ALICE, ALICE_ID) == "ImplicitDeny"
    assert decide(saved(text, {}), DEPLOYER_SESSION, f"{DEPLOYER_ID}:build", issuer=DEPLOYER) == "ImplicitDeny"
    unsaved = PolicyDocument.parse(text, kind=PolicyKind.RESOURCE)
    assert decide(unsaved, ALICE, ALICE_AGAIN_ID) == "Allow"
    assert decide(unsaved, DEPLOYER_SESSION, "AROAANOTHERDEPLOYER01:build", issuer=DEPLOYER) == "Allow"


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ACCOUNT}, {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                       {"AWS": DEPLOYER_SESSION}])
def test_accounts_everyone_and_sessions_are_not_bound(principal: Any) -> None:
    text = policy_text(principal)
    assert named_principals(text) == []
    caller = (DEPLOYER_SESSION, f"{DEPLOYER_ID}:build") if principal == {"AWS": DEPLOYER_SESSION} else (ALICE, ALICE_ID)
    assert decide(saved(text, {}), *caller) == decide(PolicyDocument.parse(text, kind=PolicyKind.RESOURCE), *caller)


def test_not_principal_excludes_the_bound_principal_by_its_id() -> None:
    text = policy_text({"AWS": [ALICE, f"arn:aws:iam::{ACCOUNT}:root"]}, element="NotPrincipal", effect="Deny")
    policy = saved(text, {ALICE: ALICE_ID})
    assert decide(policy, ALICE, ALICE_ID) == "ImplicitDeny"  # excluded from the Deny; nothing allows
    assert decide(policy, ALICE, ALICE_AGAIN_ID) == "ExplicitDeny"


def test_the_same_text_with_other_bindings_is_another_document() -> None:
    text = policy_text({"AWS": ALICE})
    first, again = saved(text, {ALICE: ALICE_ID}), saved(text, {ALICE: ALICE_AGAIN_ID})
    assert first is saved(text, {ALICE: ALICE_ID}) and first is not again
    assert decide(again, ALICE, ALICE_AGAIN_ID) == "Allow" and decide(again, ALICE, ALICE_ID) == "ImplicitDeny"


def test_named_principals_are_the_users_and_roles_of_principal_and_not_principal_once_each() -> None:
    body = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [ALICE, DEPLOYER, ACCOUNT, "*"], "Service": "ec2.amazonaws.com"},
         "Action": "s3:*", "Resource": "*"},
        {"Effect": "Deny", "NotPrincipal": {"AWS": ALICE}, "Action": "s3:*", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:user/bob"}}},
    ]}
    assert named_principals(json.dumps(body)) == [(ALICE, "user"), (DEPLOYER, "role")]


def test_bindings_are_stored_sorted_and_none_when_there_are_none() -> None:
    stored = stored_bindings({ALICE: ALICE_ID, DEPLOYER: DEPLOYER_ID})
    assert stored == json.dumps({DEPLOYER: DEPLOYER_ID, ALICE: ALICE_ID}, separators=(",", ":"))  # ":role/" < ":user/"
    expected: Bindings = ((DEPLOYER, DEPLOYER_ID), (ALICE, ALICE_ID))
    assert loaded_bindings(stored) == expected
    assert stored_bindings({}) is None and loaded_bindings(None) == ()


def test_a_policy_reads_back_as_written_while_its_principals_keep_their_arns() -> None:
    text = policy_text({"AWS": ALICE})
    assert shown_policy(text, ((ALICE, ALICE_ID),), {ALICE_ID: ALICE}) is text
    assert shown_policy(text, (), {}) is text


def test_a_deleted_principal_reads_back_as_its_id_and_a_renamed_one_as_its_new_arn() -> None:
    renamed = f"arn:aws:iam::{ACCOUNT}:user/moved/alicia"
    # The ARN also in a condition, which is not a principal: it stays as written.
    text = policy_text({"AWS": [ALICE, DEPLOYER, ACCOUNT]}, Condition={"ArnEquals": {"aws:PrincipalArn": ALICE}})
    bindings: Bindings = ((ALICE, ALICE_ID), (DEPLOYER, DEPLOYER_ID))
    statement = json.loads(shown_policy(text, bindings, {DEPLOYER_ID: DEPLOYER}))["Statement"][0]
    assert statement["Principal"] == {"AWS": [ALICE_ID, DEPLOYER, ACCOUNT]}
    assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": ALICE}}
    statement = json.loads(shown_policy(text, bindings, {ALICE_ID: renamed}))["Statement"][0]
    assert statement["Principal"] == {"AWS": [renamed, DEPLOYER_ID, ACCOUNT]}
    not_principal = policy_text({"AWS": ALICE}, element="NotPrincipal", effect="Deny")
    assert json.loads(shown_policy(not_principal, ((ALICE, ALICE_ID),), {}))["Statement"][0]["NotPrincipal"] == {
        "AWS": ALICE_ID}


def test_an_edited_policy_keeps_the_bindings_of_the_principals_it_still_names() -> None:
    bindings: Bindings = ((ALICE, ALICE_ID), (DEPLOYER, DEPLOYER_ID))
    still = policy_text({"AWS": [DEPLOYER, ACCOUNT]})
    assert kept_bindings(bindings, still) == stored_bindings({DEPLOYER: DEPLOYER_ID})
    assert kept_bindings(bindings, policy_text({"AWS": ACCOUNT})) is None
    assert kept_bindings(bindings, None) is None
