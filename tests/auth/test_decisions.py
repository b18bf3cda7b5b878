"""Decisions reused only for requests whose context holds the same for every condition key the evaluation read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from strongroom.auth.authorize import first_denial
from strongroom.auth.decisions import DecisionCache, decisions
from strongroom.auth.policy import Decision, PolicyDocument, PolicyKind
from strongroom.auth.principal import Principal
from strongroom.auth.request_context import CONDITION_KEYS, LazyKeys
from strongroom.clock import Clock
from strongroom.context import RequestContext
from strongroom.wire.http import Headers, HttpRequest

ACCOUNT = "111122223333"
ROOT = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "Root", "AKIAEXAMPLE0000000002")
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _context(**condition_keys: Any) -> RequestContext:
    ctx = RequestContext(
        request_id="r-1", request=HttpRequest("POST", "/", headers=Headers([])), clock=Clock(),
        received_at=datetime(2024, 5, 6, tzinfo=UTC), region="eu-west-1", principal=ROOT,
    )
    ctx.extra[CONDITION_KEYS] = condition_keys
    return ctx


def _key_policy(statement: dict[str, Any]) -> PolicyDocument:
    body = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Resource": "*", **statement},
    ]}
    return PolicyDocument.parse(json.dumps(body), kind=PolicyKind.RESOURCE)


def _denied(ctx: RequestContext, policy: PolicyDocument) -> bool:
    found = first_denial(ctx, "kms:Encrypt", [KEY], resource_policy=policy, resource_policy_required=True,
                         resource_account=ACCOUNT)
    return found is not None


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    decisions.clear()


def test_a_decision_without_conditions_is_reused() -> None:
    policy = _key_policy({"Action": "kms:*"})
    assert not _denied(_context(), policy)
    assert len(decisions) == 1
    assert not _denied(_context(**{"kms:EncryptionContext:team": "red"}), policy)
    assert len(decisions) == 1


def test_a_decision_that_read_the_context_is_reused_only_for_the_same_values() -> None:
    policy = _key_policy({"Action": "kms:Encrypt",
                          "Condition": {"StringEquals": {"kms:EncryptionContext:team": "blue"}}})
    assert not _denied(_context(**{"kms:EncryptionContext:team": "blue"}), policy)
    assert _denied(_context(**{"kms:EncryptionContext:team": "red"}), policy)
    assert not _denied(_context(**{"kms:EncryptionContext:team": "blue"}), policy)
    assert _denied(_context(), policy)
    assert len(decisions) == 1
    (key,) = decisions._entries
    assert [variant.decision.allowed for variant in decisions.variants(key)] == [False, False, True]


def test_a_denial_is_reused_until_the_policy_changes() -> None:
    refusing = _key_policy({"Action": "kms:Decrypt"})
    assert _denied(_context(), refusing)
    assert _denied(_context(), refusing)
    assert len(decisions) == 1
    assert not _denied(_context(), _key_policy({"Action": ["kms:Decrypt", "kms:Encrypt"]}))


def test_a_remembered_allow_builds_no_condition_keys() -> None:
    policy = _key_policy({"Action": "kms:*"})
    assert not _denied(_context(), policy)

    def unread() -> dict[str, Any]:
        raise AssertionError("condition keys built for a remembered decision")

    ctx = _context()
    ctx.extra[CONDITION_KEYS] = LazyKeys(unread)
    assert not _denied(ctx, policy)


def test_a_denial_keeps_the_keys_it_was_decided_on() -> None:
    policy = _key_policy({"Action": "kms:Encrypt",
                          "Condition": {"StringEquals": {"kms:EncryptionContext:team": "blue"}}})
    ctx = _context()
    ctx.extra[CONDITION_KEYS] = LazyKeys(lambda: {"kms:EncryptionContext:team": "red"})
    found = first_denial(ctx, "kms:Encrypt", [KEY], resource_policy=policy, resource_policy_required=True,
                         resource_account=ACCOUNT)
    assert found is not None
    request, decision = found
    assert decision.effect == "ImplicitDeny"
    ctx.extra[CONDITION_KEYS] = {}
    assert request.context["kms:EncryptionContext:team"] == "red"


def test_the_cache_is_bounded() -> None:
    cache = DecisionCache(capacity=2)
    for number in range(5):
        cache.put((number,), Decision("Allow"), None)
        assert len(cache) <= 2
    assert cache.get((4,)) == Decision("Allow")
    assert cache.get((0,)) is None
