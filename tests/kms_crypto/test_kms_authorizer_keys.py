"""The KMS authorizer's condition keys for an operation on a key: built only when a policy reads them,
the same keys as built at once, and holding nothing of the request they were made for."""

from __future__ import annotations

import datetime
import gc
import json
import weakref
from typing import Any

from strongroom.auth.principal import Principal
from strongroom.auth.request_context import CONDITION_KEYS, LazyKeys
from strongroom.clock import Clock
from strongroom.context import RequestContext
from strongroom.services.kms import authorization
from strongroom.services.kms.key_cache import KeyFacts
from strongroom.services.kms.tables import KmsKey
from strongroom.wire.http import Headers, HttpRequest

ACCOUNT, REGION, KEY_ID = "111122223333", "us-east-1", "1234abcd-12ab-34cd-56ef-1234567890ab"
ROOT = Principal(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root", ACCOUNT, "Root", "AKIAEXAMPLE0000000002")
POLICY = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"},
]}


def facts() -> KeyFacts:
    key = KmsKey(
        account_id=ACCOUNT, region=REGION, key_id=KEY_ID, arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}",
        key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT", origin="AWS_KMS", key_manager="CUSTOMER",
        description="", state="Enabled", multi_region=False, policy=json.dumps(POLICY),
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    return KeyFacts(key, {"team": "red"}, ["alias/orders"])


def request(params: dict[str, Any], **extra: Any) -> RequestContext:
    ctx = RequestContext(
        request_id="r-1", request=HttpRequest("POST", "/", headers=Headers([])), clock=Clock(),
        received_at=datetime.datetime(2026, 5, 6, tzinfo=datetime.UTC), region=REGION, principal=ROOT,
        params=params,
    )
    ctx.extra.update(extra)
    return ctx


def test_the_keys_are_those_the_request_and_the_key_set() -> None:
    params = {"KeyId": "alias/orders", "Plaintext": b"x", "EncryptionContext": {"purpose": "test"}}
    key = facts()
    ctx = request(params, **{"kms:ViaService": f"ssm.{REGION}.amazonaws.com"})
    authorization._authorize_request_on_key(ctx, "kms:Encrypt", "Encrypt", key, params)
    keys = ctx.extra[CONDITION_KEYS]
    assert isinstance(keys, LazyKeys)
    expected = {**authorization.request_keys(ctx, "Encrypt", params), **authorization.key_keys(key)}
    assert dict(keys) == expected
    assert keys["kms:EncryptionContext:purpose"] == "test"
    assert keys["kms:ViaService"] == f"ssm.{REGION}.amazonaws.com"
    assert keys["kms:RequestAlias"] == "alias/orders"
    assert keys["aws:ResourceTag/team"] == "red"


def test_a_request_is_freed_as_soon_as_it_is_dropped() -> None:
    # A reference from the keys (kept in ctx.extra) back to ctx would make a cycle: the request, its
    # plaintext with it, would then live on until the garbage collector's next pass.
    params = {"KeyId": KEY_ID, "Plaintext": b"secret", "EncryptionContext": {"purpose": "test"}}
    ctx = request(params)
    authorization._authorize_request_on_key(ctx, "kms:Encrypt", "Encrypt", facts(), params)
    assert "kms:EncryptionContext:purpose" in ctx.extra[CONDITION_KEYS]
    collecting = gc.isenabled()
    gc.disable()
    try:
        freed = weakref.ref(ctx)
        del ctx
        assert freed() is None
    finally:
        if collecting:
            gc.enable()
