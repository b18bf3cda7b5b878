"""Readying a key for a cryptographic operation: the per-row view `key_use` keeps with cached key facts."""

from __future__ import annotations

import datetime
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.errors import ServiceError
from strongroom.services.kms import key_use
from strongroom.services.kms.key_cache import KeyFacts, MaterialRef
from strongroom.services.kms.tables import KmsKey

ACCOUNT, REGION, KEY_ID = "111122223333", "us-east-1", "1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
CURRENT_ID, OLDER_ID = "a" * 64, "b" * 64


def facts(state: str = "Enabled", usage: str = "ENCRYPT_DECRYPT", current: bool = True) -> KeyFacts:
    key = KmsKey(
        account_id=ACCOUNT, region=REGION, key_id=KEY_ID, arn=ARN, key_spec="SYMMETRIC_DEFAULT", key_usage=usage,
        origin="AWS_KMS", key_manager="CUSTOMER", description="", state=state, multi_region=False, policy="{}",
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    materials = {OLDER_ID: MaterialRef(OLDER_ID, "NON_CURRENT", b"sealed older")}
    if current:
        materials[CURRENT_ID] = MaterialRef(CURRENT_ID, "CURRENT", b"sealed current")
    return KeyFacts(key, {}, [], materials)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, KeyFacts]:
    """The facts the key cache answers with (swap `served["facts"]` to model a new revision)."""
    served: dict[str, KeyFacts] = {}
    monkeypatch.setattr(key_use, "key_facts", lambda ctx, reference, *, aliases: served["facts"])
    monkeypatch.setattr(key_use, "ciphertext_key_facts", lambda ctx, key_id: served.get("facts"))
    monkeypatch.setattr(key_use, "unseal_named", lambda ctx, name, sealed: b"plain:" + "/".join(name).encode())
    return served


def request() -> Any:
    return SimpleNamespace(resources=[], extra={}, account_id=ACCOUNT, region=REGION)


def test_current_material_is_used_and_the_key_noted(served: dict[str, KeyFacts]) -> None:
    served["facts"] = facts()
    ctx = request()
    key = key_use.use_key(ctx, KEY_ID, "Encrypt")
    assert (key.arn, key.spec, key.key_id, key.material_id) == (ARN, "SYMMETRIC_DEFAULT", KEY_ID, CURRENT_ID)
    assert key.material == f"plain:{ACCOUNT}/{REGION}/{KEY_ID}/{CURRENT_ID}".encode()
    assert key.key is served["facts"].key
    assert ctx.resources == [{"accountId": ACCOUNT, "type": "AWS::KMS::Key", "ARN": ARN}]


def test_a_ciphertext_names_older_material(served: dict[str, KeyFacts]) -> None:
    served["facts"] = facts()
    key = key_use.use_material(request(), KEY_ID, OLDER_ID, "Decrypt")
    assert key.material_id == OLDER_ID
    assert key.material == f"plain:{ACCOUNT}/{REGION}/{KEY_ID}/{OLDER_ID}".encode()


def test_material_the_key_never_had_is_invalid_ciphertext(served: dict[str, KeyFacts]) -> None:
    served["facts"] = facts()
    with pytest.raises(ServiceError) as caught:
        key_use.use_material(request(), KEY_ID, "c" * 64, "Decrypt")
    assert caught.value.code == "InvalidCiphertextException"


def test_no_key_for_a_ciphertext_is_access_denied(served: dict[str, KeyFacts]) -> None:
    with pytest.raises(ServiceError) as caught:
        key_use.use_material(request(), KEY_ID, CURRENT_ID, "Decrypt")
    assert caught.value.code == "AccessDeniedException"


@pytest.mark.parametrize(
    ("state", "code", "text"),
    [
        ("Disabled", "DisabledException", f"{ARN} is disabled."),
        ("PendingDeletion", "KMSInvalidStateException", f"{ARN} is pending deletion."),
        ("PendingImport", "KMSInvalidStateException", f"{ARN} is pending import."),
    ],
)
def test_a_new_revision_of_the_key_is_seen(served: dict[str, KeyFacts], state: str, code: str, text: str) -> None:
    served["facts"] = facts()
    key_use.use_key(request(), KEY_ID, "Encrypt")
    served["facts"] = facts(state)
    for _ in range(2):  # the refusal is raised afresh on each use of the same cached facts
        for call in (
            lambda: key_use.use_key(request(), KEY_ID, "Encrypt"),
            lambda: key_use.use_material(request(), KEY_ID, CURRENT_ID, "Decrypt"),
        ):
            with pytest.raises(ServiceError) as caught:
                call()
            assert (caught.value.code, caught.value.message) == (code, text)
    served["facts"] = facts()
    assert key_use.use_key(request(), KEY_ID, "Encrypt").material_id == CURRENT_ID


def test_wrong_usage_is_refused(served: dict[str, KeyFacts]) -> None:
    served["facts"] = facts(usage="SIGN_VERIFY")
    with pytest.raises(ServiceError) as caught:
        key_use.use_key(request(), KEY_ID, "Encrypt")
    assert caught.value.code == "InvalidKeyUsageException"
    assert caught.value.message == f"{ARN} key usage is SIGN_VERIFY which is not valid for Encrypt."


def test_no_current_material_is_an_internal_error(served: dict[str, KeyFacts]) -> None:
    served["facts"] = facts(current=False)
    with pytest.raises(ServiceError) as caught:
        key_use.use_key(request(), KEY_ID, "Encrypt")
    assert caught.value.code == "KMSInternalException"


def test_the_arn_of_a_ciphertexts_key(served: dict[str, KeyFacts]) -> None:
    with pytest.raises(ServiceError) as caught:
        key_use.ciphertext_key_arn(request(), KEY_ID)
    assert (caught.value.code, caught.value.message) == ("AccessDeniedException", key_use.FOREIGN_CIPHERTEXT_TEXT)
    served["facts"] = facts()
    assert key_use.ciphertext_key_arn(request(), KEY_ID) == ARN
