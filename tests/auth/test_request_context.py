"""The global condition keys of a request, and policies deciding on them through the engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from strongroom.auth.policy import AuthorizationRequest, ConditionValue, PolicyDocument, PolicyKind, evaluate
from strongroom.auth.principal import Principal
from strongroom.auth.request_context import CONDITION_KEYS, LazyKeys, condition_context, request_tags
from strongroom.clock import Clock
from strongroom.context import RequestContext
from strongroom.wire.http import Headers, HttpRequest

ACCOUNT = "111122223333"
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
USER = Principal(
    ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice", "AIDAEXAMPLEUSER000001", "IAMUser", "AKIAEXAMPLE0000000001",
    user_name="alice",
)
ROLE_SESSION = Principal(
    ACCOUNT, f"arn:aws:sts::{ACCOUNT}:assumed-role/auditor/s1", "AROAEXAMPLEROLE000001:s1", "AssumedRole",
    "ASIAEXAMPLE0000000001", tags={"team": "blue"}, role_arn=f"arn:aws:iam::{ACCOUNT}:role/auditor",
    session_name="s1", session_created_at=WHEN, source_identity="alice",
)
ROOT = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "Root", "AKIAEXAMPLE0000000002")


def context(principal: Principal, params: dict[str, Any] | None = None, **extra: Any) -> RequestContext:
    ctx = RequestContext(
        request_id="r-1",
        request=HttpRequest("POST", "/", headers=Headers([("user-agent", "Boto3/1.0")])),
        clock=Clock(),
        received_at=WHEN,
        source_ip="192.0.2.10",
        user_agent="Boto3/1.0",
        region="eu-west-1",
        principal=principal,
        params=params or {},
    )
    ctx.extra.update(extra)
    return ctx


def test_an_iam_users_keys() -> None:
    keys = condition_context(context(USER), principal_tags={"dept": "ops"})
    assert keys["aws:PrincipalArn"] == USER.arn
    assert keys["aws:PrincipalAccount"] == ACCOUNT
    assert keys["aws:PrincipalType"] == "User"
    assert keys["aws:userid"] == "AIDAEXAMPLEUSER000001"
    assert keys["aws:username"] == "alice"
    assert keys["aws:PrincipalTag/dept"] == "ops"
    assert keys["aws:SourceIp"] == "192.0.2.10"
    assert keys["aws:CurrentTime"] == WHEN
    assert keys["aws:EpochTime"] == int(WHEN.timestamp())
    assert keys["aws:SecureTransport"] is False
    assert keys["aws:RequestedRegion"] == "eu-west-1"
    assert keys["aws:UserAgent"] == "Boto3/1.0"
    # Long-term keys: no MFA key at all, and no token issue time.
    assert "aws:MultiFactorAuthPresent" not in keys
    assert "aws:TokenIssueTime" not in keys


def test_a_role_sessions_keys() -> None:
    keys = condition_context(context(ROLE_SESSION))
    assert keys["aws:PrincipalArn"] == f"arn:aws:iam::{ACCOUNT}:role/auditor"
    assert keys["aws:PrincipalType"] == "AssumedRole"
    assert keys["aws:userid"] == "AROAEXAMPLEROLE000001:s1"
    assert "aws:username" not in keys
    assert keys["aws:PrincipalTag/team"] == "blue"
    assert keys["aws:MultiFactorAuthPresent"] is False
    assert keys["aws:TokenIssueTime"] == WHEN
    assert keys["aws:SourceIdentity"] == "alice"


def test_the_roots_keys() -> None:
    keys = condition_context(context(ROOT))
    assert keys["aws:PrincipalType"] == "Account"
    assert keys["aws:userid"] == ACCOUNT


@pytest.mark.parametrize(
    "tags",
    [
        [{"Key": "env", "Value": "prod"}, {"Key": "owner", "Value": "ops"}],
        [{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "owner", "TagValue": "ops"}],
        {"env": "prod", "owner": "ops"},
    ],
)
def test_request_tags_in_every_shape(tags: Any) -> None:
    assert request_tags({"Tags": tags}) == {"env": "prod", "owner": "ops"}
    keys = condition_context(context(USER, {"Tags": tags}))
    assert keys["aws:RequestTag/env"] == "prod"
    assert keys["aws:TagKeys"] == ["env", "owner"]


def test_no_tags_means_no_tag_keys() -> None:
    keys = condition_context(context(USER, {"Description": "x"}))
    assert not any(key.startswith(("aws:RequestTag/", "aws:TagKeys")) for key in keys)


def test_service_keys_are_added_and_win() -> None:
    service_keys = {
        "kms:EncryptionContext:purpose": "backup", "aws:ResourceTag/env": "prod", "aws:SourceIp": "10.0.0.1",
    }
    keys = condition_context(context(USER, **{CONDITION_KEYS: service_keys}))
    assert keys["kms:EncryptionContext:purpose"] == "backup"
    assert keys["aws:ResourceTag/env"] == "prod"
    assert keys["aws:SourceIp"] == "10.0.0.1"


def test_lazy_service_keys_are_built_once_when_read() -> None:
    built: list[int] = []

    def build() -> dict[str, ConditionValue]:
        built.append(1)
        return {"kms:EncryptionContext:purpose": "backup", "aws:SourceIp": "10.0.0.1"}

    lazy = LazyKeys(build)
    ctx = context(USER, **{CONDITION_KEYS: lazy})
    assert built == []
    keys = condition_context(ctx)
    assert keys["kms:EncryptionContext:purpose"] == "backup"
    assert keys["aws:SourceIp"] == "10.0.0.1"
    assert dict(lazy) == {"kms:EncryptionContext:purpose": "backup", "aws:SourceIp": "10.0.0.1"}
    assert "aws:SourceIp" in lazy and len(lazy) == 2
    assert built == [1]


def decide(operator: str, key: str, value: Any, keys: dict[str, ConditionValue], principal: Principal = USER) -> str:
    """The engine's decision on an Allow of iam:ListUsers under one condition, given these keys."""
    statement = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*", "Condition": {operator: {key: value}}}
    document = PolicyDocument.parse(
        json.dumps({"Version": "2012-10-17", "Statement": [statement]}), kind=PolicyKind.IDENTITY
    )
    request = AuthorizationRequest(
        principal_arn=principal.arn, principal_account=ACCOUNT, action="iam:ListUsers", resource="*", context=keys,
        session_issuer_arn=principal.role_arn,
    )
    return evaluate(request, identity_policies=[document]).effect


def test_policies_decide_on_the_built_keys() -> None:
    keys = condition_context(context(USER, {"Tags": [{"Key": "env", "Value": "prod"}]}))
    assert decide("IpAddress", "aws:SourceIp", "192.0.2.0/24", keys) == "Allow"
    assert decide("IpAddress", "aws:SourceIp", "198.51.100.0/24", keys) == "ImplicitDeny"
    assert decide("Bool", "aws:SecureTransport", "false", keys) == "Allow"
    assert decide("DateLessThan", "aws:CurrentTime", "2025-01-01T00:00:00Z", keys) == "Allow"
    assert decide("NumericGreaterThan", "aws:EpochTime", "1800000000", keys) == "ImplicitDeny"
    assert decide("StringEquals", "aws:RequestedRegion", "eu-west-1", keys) == "Allow"
    assert decide("ForAllValues:StringEquals", "aws:TagKeys", ["env"], keys) == "Allow"
    assert decide("StringEquals", "aws:RequestTag/env", "dev", keys) == "ImplicitDeny"
    assert decide("StringEquals", "aws:username", "alice", keys) == "Allow"
    # MultiFactorAuthPresent is absent for long-term keys: only the IfExists form matches.
    assert decide("Bool", "aws:MultiFactorAuthPresent", "false", keys) == "ImplicitDeny"
    assert decide("BoolIfExists", "aws:MultiFactorAuthPresent", "false", keys) == "Allow"


def test_session_keys_feed_conditions() -> None:
    keys = condition_context(context(ROLE_SESSION))
    assert decide("StringEquals", "aws:PrincipalTag/team", "blue", keys, ROLE_SESSION) == "Allow"
    assert decide("DateGreaterThan", "aws:TokenIssueTime", "2024-06-01T00:00:00Z", keys, ROLE_SESSION) == "ImplicitDeny"
    assert decide("ArnEquals", "aws:PrincipalArn", ROLE_SESSION.role_arn, keys, ROLE_SESSION) == "Allow"
    assert decide("Bool", "aws:MultiFactorAuthPresent", "false", keys, ROLE_SESSION) == "Allow"
