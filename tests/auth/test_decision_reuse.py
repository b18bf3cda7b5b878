"""Decisions reused on the condition keys they read: a reused decision is always the one a fresh evaluation makes.

Each request goes through `first_denial` (which reuses what it can) and is also evaluated afresh on
the same keys; the two must agree on effect, policy kind, statement and AccessDenied message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import strongroom.auth.authorize as authorize_module
from strongroom.auth.decisions import MAX_RECORDED_CHARACTERS, VARIANTS, decisions, fingerprint, recorded
from strongroom.auth.policy import (
    AuthorizationRequest,
    Decision,
    PolicyDocument,
    PolicyKind,
    denial_message,
    evaluate,
)
from strongroom.auth.policy.request import ABSENT, ContextReads, lowered_keys
from strongroom.auth.principal import Principal
from strongroom.auth.request_context import CONDITION_KEYS, LazyKeys, condition_context
from strongroom.clock import Clock
from strongroom.context import RequestContext
from strongroom.services.iam.identity import IdentityPolicies
from strongroom.wire.http import Headers, HttpRequest

ACCOUNT = "111122223333"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/k1"
OTHER_KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/alice"
ALICE = Principal(
    ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/alice", "AIDAEXAMPLEUSER000001", "IAMUser", "AKIAEXAMPLE0000000001",
    user_name="alice",
)
BOB = Principal(
    ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/bob", "AIDAEXAMPLEUSER000002", "IAMUser", "AKIAEXAMPLE0000000003",
    user_name="bob",
)
ROOT = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "Root", "AKIAEXAMPLE0000000002")
WHEN = datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def document(statements: list[dict[str, Any]], kind: PolicyKind = PolicyKind.IDENTITY) -> PolicyDocument:
    return PolicyDocument.parse(json.dumps({"Version": "2012-10-17", "Statement": statements}), kind=kind)


def allow(condition: dict[str, Any] | None = None, resource: str = "*", sid: str = "Allow") -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": "kms:*", "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def request_context(principal: Principal, keys: Any, received_at: datetime = WHEN) -> RequestContext:
    ctx = RequestContext(
        request_id="r-1", request=HttpRequest("POST", "/", headers=Headers([])), clock=Clock(),
        received_at=received_at, region="eu-west-1", principal=principal, source_ip="192.0.2.10",
        user_agent="Boto3/1.0",
    )
    ctx.extra[CONDITION_KEYS] = keys
    return ctx


class Caller:
    """Calls first_denial as one principal with given identity policies and tags, and evaluates afresh too."""

    def __init__(
        self,
        principal: Principal,
        identity: tuple[PolicyDocument, ...] = (),
        boundary: PolicyDocument | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        self.principal = principal
        self.policies = IdentityPolicies(identity, boundary)
        self.tags = tags

    def _stored(self, _ctx: RequestContext, _principal: Principal) -> Any:
        key = (tuple(id(document) for document in self.policies.identity), id(self.policies.boundary))
        return self.policies, self.tags, key

    def decide(
        self,
        keys: Any,
        resource: str = KEY,
        resource_policy: PolicyDocument | None = None,
        required: bool = False,
        received_at: datetime = WHEN,
    ) -> tuple[Decision | None, str | None]:
        """(decision, message) from first_denial, after checking them against a fresh evaluation."""
        with mock.patch.object(authorize_module, "_stored_identity", self._stored):
            found = authorize_module.first_denial(
                request_context(self.principal, keys, received_at), "kms:Decrypt", [resource],
                resource_policy=resource_policy, resource_policy_required=required, resource_account=ACCOUNT,
            )
        tags = None if self.principal.is_root else self.tags  # the root has no IAM tags
        fresh_request = AuthorizationRequest(
            principal_arn=self.principal.arn, principal_account=ACCOUNT, action="kms:Decrypt", resource=resource,
            context=condition_context(request_context(self.principal, keys, received_at), principal_tags=tags),
            principal_is_root=self.principal.is_root, resource_account=ACCOUNT,
            session_issuer_arn=self.principal.role_arn,
        )
        fresh = evaluate(
            fresh_request, identity_policies=() if self.principal.is_root else self.policies.identity,
            resource_policy=resource_policy, permissions_boundary=self.policies.boundary,
            resource_policy_required=required,
        )
        if found is None:
            assert fresh.allowed, fresh
            return None, None
        request, decision = found
        assert decision == fresh
        message = denial_message(request, decision)
        assert message == denial_message(fresh_request, fresh)
        return decision, message


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    decisions.clear()
    yield
    decisions.clear()


def _variants() -> int:
    return sum(len(decisions.variants(key)) for key in decisions._entries)


# --- what is read, and what counts as the same -------------------------------------------------


def test_reads_record_each_key_and_absence() -> None:
    reads = ContextReads({"a:x": "1", "a:list": ["p"]})
    assert reads.get("a:x") == "1"
    assert reads.get("a:missing") is None
    assert "a:list" in reads
    assert reads.found == {"a:x": "1", "a:missing": ABSENT, "a:list": ["p"]}
    assert not reads.listed
    with pytest.raises(KeyError):
        reads["a:gone"]
    assert reads.found["a:gone"] is ABSENT


def test_listing_the_keys_reads_them_all() -> None:
    request = AuthorizationRequest(ALICE.arn, ACCOUNT, "kms:Decrypt", KEY, {"a:x": "1"})
    assert request.context_reads == {} and not request.read_context
    assert dict(request.lowered_context)["a:x"] == "1"
    assert request.context_reads is None and request.read_context
    assert recorded(request.context_reads) is None


def test_remembered_decisions_are_matched_on_the_keys_evaluation_reads() -> None:
    session = "arn:aws:sts::111122223333:assumed-role/Dev/s"
    request = AuthorizationRequest(session, ACCOUNT, "kms:Decrypt", KEY, {"A:X": "1", "a:x": "2"})
    keys = lowered_keys(request.context, request.caller)
    assert keys == {"a:x": "2", "aws:principalarn": "arn:aws:iam::111122223333:role/Dev",
                    "aws:principalaccount": ACCOUNT}
    assert request.context_reads == {}
    assert dict(request.lowered_context) == keys


@pytest.mark.parametrize(
    ("one", "other"),
    [
        (1, True), (1, 1.0), (0.0, -0.0), ("1", 1), ("true", True), (b"a", "a"), (["a"], ("a",)), (["a"], "a"),
        ([], ABSENT), ("", ABSENT), (datetime(2024, 1, 1), datetime(2024, 1, 1, tzinfo=UTC)),
        (datetime(2024, 1, 1, 1, tzinfo=timezone(timedelta(hours=1))), datetime(2024, 1, 1, tzinfo=UTC)),
    ],
)
def test_values_the_engine_reads_differently_are_different(one: object, other: object) -> None:
    assert fingerprint(one) is not None and fingerprint(other) is not None
    assert fingerprint(one) != fingerprint(other)


def test_values_of_other_types_are_not_compared() -> None:
    class Text(str):
        pass

    for value in (Text("a"), None, {"a": "b"}, {"a"}, [object()], bytearray(b"a")):
        assert fingerprint(value) is None
    assert recorded({"a:x": Text("a")}) is None


def test_a_recorded_list_is_a_copy() -> None:
    values = ["blue"]
    reads = recorded({"aws:tagkeys": values})
    values.append("red")
    assert reads == (("aws:tagkeys", (list, ((str, "blue"),))),)


def test_too_much_read_is_not_kept() -> None:
    assert recorded({"a:x": "v" * MAX_RECORDED_CHARACTERS}) is None
    assert recorded({"a:x": "v" * 100, "a:y": ["w" * 100] * 3}) is not None
    assert recorded({"a:x": "v" * 100, "a:y": ["w" * 100] * 10}) is None


# --- through first_denial -----------------------------------------------------------------------


def test_a_principal_tag_decides_each_time_it_changes() -> None:
    policy = document([allow({"StringEquals": {"aws:PrincipalTag/team": "blue"}})])
    blue, red, none = (Caller(ALICE, (policy,), tags=tags) for tags in ({"team": "blue"}, {"team": "red"}, {}))
    for _ in range(3):
        assert blue.decide({}) == (None, None)
        assert red.decide({})[0] == Decision("ImplicitDeny", PolicyKind.IDENTITY)
        assert none.decide({})[0] == Decision("ImplicitDeny", PolicyKind.IDENTITY)
    assert len(decisions) == 1 and _variants() == 3


def test_absence_is_remembered_as_absence() -> None:
    for condition in (
        {"Null": {"kms:EncryptionContext:team": "true"}},
        {"StringEqualsIfExists": {"kms:EncryptionContext:team": "blue"}},
        {"StringNotEquals": {"kms:EncryptionContext:team": "red"}},
        {"ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["team"]}},
    ):
        decisions.clear()
        caller = Caller(ALICE, (document([allow(condition)]),))
        for keys in ({}, {"kms:EncryptionContext:team": "red"}, {}, {"kms:EncryptionContext:team": ""},
                     {"kms:EncryptionContextKeys": []}, {"kms:EncryptionContextKeys": ["x"]}, {}):
            caller.decide(keys)


def test_types_are_told_apart() -> None:
    caller = Caller(ALICE, (document([allow({"StringEquals": {"example:n": "1"}})]),))
    assert caller.decide({"example:n": 1}) == (None, None)
    assert caller.decide({"example:n": True})[0] is not None
    assert caller.decide({"example:n": 1.0})[0] is not None
    assert caller.decide({"example:n": "1"}) == (None, None)
    zero = Caller(ALICE, (document([allow({"StringEquals": {"example:n": "0.0"}})]),))
    assert zero.decide({"example:n": 0.0}) == (None, None)
    assert zero.decide({"example:n": -0.0})[0] is not None


def test_keys_are_compared_without_regard_to_case() -> None:
    caller = Caller(ALICE, (document([allow({"StringEquals": {"kms:EncryptionContext:Team": "blue"}})]),))
    assert caller.decide({"KMS:ENCRYPTIONCONTEXT:TEAM": "blue"}) == (None, None)
    assert caller.decide({"kms:encryptioncontext:team": "red"})[0] is not None
    # Two spellings of one key: the later one is what evaluation reads.
    assert caller.decide({"kms:EncryptionContext:team": "red", "kms:EncryptionContext:TEAM": "blue"}) == (None, None)
    assert caller.decide({"kms:EncryptionContext:TEAM": "blue", "kms:EncryptionContext:team": "red"})[0] is not None


def test_policy_variables_are_reads() -> None:
    own_key = document([allow(resource=f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/${{aws:username}}")])
    for _ in range(2):
        assert Caller(ALICE, (own_key,)).decide({}, resource=OTHER_KEY) == (None, None)
        assert Caller(BOB, (own_key,)).decide({}, resource=OTHER_KEY)[0] is not None
    tagged = document([allow({"StringEquals": {"kms:EncryptionContext:team": "${aws:PrincipalTag/team, 'none'}"}})])
    for _ in range(2):
        assert Caller(ALICE, (tagged,), tags={"team": "blue"}).decide({"kms:EncryptionContext:team": "blue"}) == (
            None, None)
        assert Caller(ALICE, (tagged,), tags={"team": "red"}).decide({"kms:EncryptionContext:team": "blue"})[0]
        assert Caller(ALICE, (tagged,)).decide({"kms:EncryptionContext:team": "none"}) == (None, None)
        assert Caller(ALICE, (tagged,)).decide({"kms:EncryptionContext:team": "blue"})[0] is not None


def test_a_reused_denial_says_what_a_fresh_one_says() -> None:
    policy = document([
        allow(sid="Use"),
        {"Sid": "Wall", "Effect": "Deny", "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}}},
    ])
    caller = Caller(ALICE, (policy,))
    first = caller.decide({})
    assert first[0] == Decision("ExplicitDeny", PolicyKind.IDENTITY, "Wall")
    assert caller.decide({"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}) == (None, None)
    assert caller.decide({}) == first
    assert first[1] is not None and "with an explicit deny in an identity-based policy" in first[1]


def test_the_managed_key_policy_is_decided_once_per_account_and_service() -> None:
    from strongroom.services.kms.managed_keys import managed_key_policy

    policy = PolicyDocument.parse(managed_key_policy(ACCOUNT, "eu-west-1", "ssm"), kind=PolicyKind.RESOURCE,
                                  max_size=32768)
    via = {"kms:CallerAccount": ACCOUNT, "kms:ViaService": "ssm.eu-west-1.amazonaws.com"}
    root = Caller(ROOT)
    for number in range(5):
        keys = {**via, "kms:EncryptionContext:PARAMETER_ARN": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/p{number}"}
        assert root.decide(keys, resource_policy=policy, required=True) == (None, None)
        refused = root.decide({}, resource_policy=policy, required=True)
        assert refused[0] == Decision("ImplicitDeny", PolicyKind.RESOURCE)
    assert _variants() == 2


def test_keys_that_change_every_request_are_not_kept() -> None:
    caller = Caller(ALICE, (document([allow({"DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}})]),))
    assert caller.decide({}) == (None, None)
    assert caller.decide({}, received_at=datetime(2026, 1, 1, tzinfo=UTC))[0] is not None
    assert len(decisions) == 0


def test_variants_are_bounded_and_the_newest_kept() -> None:
    caller = Caller(ALICE, (document([allow({"StringLike": {"aws:SourceIp": "10.*"}})]),))
    for number in range(3 * VARIANTS):
        assert caller.decide({"aws:SourceIp": f"10.0.0.{number}"}) == (None, None)
        assert caller.decide({"aws:SourceIp": f"192.0.2.{number}"})[0] is not None
    assert _variants() == VARIANTS
    (key,) = decisions._entries
    assert decisions.variants(key)[0].reads == (("aws:sourceip", (str, f"192.0.2.{3 * VARIANTS - 1}")),)


def test_lazy_keys_are_built_only_when_a_remembered_decision_needs_them() -> None:
    built: list[int] = []

    def keys() -> dict[str, Any]:
        built.append(1)
        return {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}

    via_ssm = {"StringEquals": {"kms:ViaService": "ssm.eu-west-1.amazonaws.com"}}
    conditional = Caller(ALICE, (document([allow(via_ssm)]),))
    for _ in range(2):
        assert conditional.decide(LazyKeys(keys)) == (None, None)
    plain = Caller(ALICE, (document([allow()]),))
    plain.decide({})
    count = len(built)
    plain.decide(LazyKeys(keys))
    assert len(built) == count + 1  # the fresh evaluation in decide() only


# --- any policy, any sequence of requests -----------------------------------------------------

CONTEXT_KEYS = ["kms:EncryptionContext:team", "aws:PrincipalTag/team", "example:n", "kms:EncryptionContextKeys"]
CONTEXT_VALUES: list[Any] = ["blue", "red", "Blue", "", "b*", 1, True, 1.0, "1", "true", ["blue"], [], ["blue", "red"]]
OPERATORS = [
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringLike", "StringNotLikeIfExists", "Null",
    "StringEqualsIfExists", "ForAllValues:StringEquals", "ForAnyValue:StringNotEquals", "NumericEquals", "Bool",
    "NumericLessThanIfExists",
]
POLICY_VALUES = ["blue", "red", "b*", "1", "true", "${aws:username}", "${aws:PrincipalTag/team}",
                 "${kms:EncryptionContext:team, 'blue'}"]
RESOURCES = ["*", KEY, f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/${{aws:username}}",
             f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/${{aws:PrincipalTag/team, 'k1'}}"]


@st.composite
def statements(draw: st.DrawFn, principal: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Action": draw(st.sampled_from(["kms:*", "kms:Decrypt", "kms:Encrypt"])),
        "NotResource" if draw(st.integers(0, 4)) == 0 else "Resource": draw(st.sampled_from(RESOURCES)),
    }
    if principal:
        statement["Principal"] = draw(st.sampled_from(["*", {"AWS": ACCOUNT}, {"AWS": ALICE.arn}]))
    conditions: dict[str, dict[str, Any]] = {}
    for _ in range(draw(st.integers(0, 3))):
        operator = draw(st.sampled_from(OPERATORS))
        values: Any = draw(st.lists(st.sampled_from(POLICY_VALUES), min_size=1, max_size=2))
        conditions.setdefault(operator, {})[draw(st.sampled_from(CONTEXT_KEYS))] = values
    if conditions:
        statement["Condition"] = conditions
    return statement


def with_sids(raw: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{"Sid": f"{prefix}{index}", **statement} for index, statement in enumerate(raw)]


# One change to the running context: a key set (in either spelling) or removed, or the caller's tag.
Change = tuple[str, bool, Any]
changes = st.tuples(
    st.sampled_from([*CONTEXT_KEYS, "tag"]), st.integers(0, 5).map(lambda n: n == 0),
    st.sampled_from([*CONTEXT_VALUES, ABSENT]),
)


def apply(keys: dict[str, Any], tags: dict[str, str], change: Change) -> None:
    """Apply one change; requests differ by one key at a time, so that most look like one before them."""
    name, upper, value = change
    if name == "tag":
        if isinstance(value, str):
            tags["team"] = value
        else:
            tags.pop("team", None)
        return
    for spelled in (name, name.upper()):
        keys.pop(spelled, None)
    if value is not ABSENT:
        keys[name.upper() if upper else name] = value


@settings(max_examples=300, deadline=None)
@given(
    identity=st.lists(statements(principal=False), max_size=3),
    resource=st.none() | st.lists(statements(principal=True), min_size=1, max_size=3),
    boundary=st.none() | st.lists(statements(principal=False), min_size=1, max_size=2),
    required=st.booleans(),
    principal=st.sampled_from([ALICE, BOB, ROOT]),
    requests=st.lists(st.tuples(st.lists(changes, max_size=2), st.sampled_from([KEY, OTHER_KEY])), min_size=8,
                      max_size=24),
)
def test_reuse_never_changes_a_decision(
    identity: list[dict[str, Any]],
    resource: list[dict[str, Any]] | None,
    boundary: list[dict[str, Any]] | None,
    required: bool,
    principal: Principal,
    requests: list[tuple[list[Change], str]],
) -> None:
    decisions.clear()
    identity_documents = (document(with_sids(identity, "I")),) if identity else ()
    boundary_document = None if boundary is None else document(with_sids(boundary, "B"), PolicyKind.BOUNDARY)
    resource_document = None if resource is None else document(with_sids(resource, "R"), PolicyKind.RESOURCE)
    keys: dict[str, Any] = {}
    tags: dict[str, str] = {}
    for step, resource_arn in requests:
        for change in step:
            apply(keys, tags, change)
        caller = Caller(principal, identity_documents, boundary_document, dict(tags))
        caller.decide(dict(keys), resource=resource_arn, resource_policy=resource_document, required=required)


def test_several_resources_each_decided_on_their_own_reads() -> None:
    from strongroom.auth.authorize import first_denial

    team_key = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/${{kms:EncryptionContext:team}}"
    policy = document([allow({"StringEquals": {"kms:EncryptionContext:team": ["blue", "red"]}}, resource=team_key)])
    caller = Caller(ALICE, (policy,))
    blue, red = (f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{team}" for team in ("blue", "red"))
    with mock.patch.object(authorize_module, "_stored_identity", caller._stored):
        for _ in range(3):
            for team, refused in (("blue", red), ("red", blue)):
                found = first_denial(request_context(ALICE, {"kms:EncryptionContext:team": team}), "kms:Decrypt",
                                     [blue, red], resource_account=ACCOUNT)
                assert found is not None
                request, decision = found
                assert request.resource == refused and decision == Decision("ImplicitDeny", PolicyKind.IDENTITY)
            assert first_denial(request_context(ALICE, {}), "kms:Decrypt", [blue], resource_account=ACCOUNT)
    assert len(decisions) == 2
