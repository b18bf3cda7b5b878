"""Parameter Store's and Secrets Manager's values under KMS data keys share one recipe, and the values the
code before it wrote keep opening, byte for byte the same format (envelope_vectors.json was written by
that code). KMS itself stands aside here (its data key is the vectors' one); the live SSM and Secrets
Manager tests go through the real KMS."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.errors import ServiceError
from strongroom.services.kms import data_key_envelope, internal
from strongroom.services.secretsmanager import envelope
from strongroom.services.ssm import secure

VECTORS = json.loads((Path(__file__).parent / "envelope_vectors.json").read_text())
DATA_KEY = bytes.fromhex(VECTORS["data_key_hex"])
WRAPPED = bytes.fromhex(VECTORS["wrapped_key_hex"])
NONCE = bytes.fromhex(VECTORS["nonce_hex"])
KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"
SSM = VECTORS["ssm"]
SM = VECTORS["secretsmanager"]
SSM_VALUE = "v" * 4000 + "é" * 100  # VECTORS["ssm"]["value"] says how it was made
SSM_CONTEXT = {"PARAMETER_ARN": SSM["parameter_arn"]}
SM_CONTEXT = {"SecretARN": SM["secret_arn"], "SecretVersionId": SM["version_id"]}


class Barrier:
    """The barrier's seal is tested on its own (tests/barrier); here it hands the envelope through."""

    def seal(self, data: bytes, locator: str) -> bytes:
        return data

    def open(self, sealed: bytes, locator: str) -> bytes:
        return sealed


@pytest.fixture()
def kms(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, str], str]]:
    """KMS's data key calls answer with the vectors' data key; each call is noted (operation, context, via)."""
    calls: list[tuple[str, dict[str, str], str]] = []

    def generate(ctx: Any, *, key_reference: str, context: dict[str, str], via_service: str) -> tuple[bytes, ...]:
        calls.append(("GenerateDataKey", dict(context), via_service))
        return DATA_KEY, WRAPPED, KEY_ARN

    def decrypt(ctx: Any, *, blob: bytes, context: dict[str, str], via_service: str) -> tuple[bytes, str]:
        calls.append(("Decrypt", dict(context), via_service))
        if blob != WRAPPED:
            raise ServiceError("InvalidCiphertextException", None)
        return DATA_KEY, KEY_ARN

    monkeypatch.setattr(internal, "generate_data_key_as_caller", generate)
    monkeypatch.setattr(internal, "decrypt_as_caller", decrypt)
    monkeypatch.setattr(data_key_envelope, "os", SimpleNamespace(urandom=lambda size: NONCE[:size]))
    monkeypatch.setattr(envelope, "runtime_of", lambda ctx: SimpleNamespace(barrier=Barrier()))
    return calls


CTX: Any = SimpleNamespace(region="us-east-1")


def open_secret(blob: bytes) -> bytes:
    return envelope.open_value(CTX, account_id="000000000000", region="us-east-1", secret_arn=SM["secret_arn"],
                               version_id=SM["version_id"], sealed=blob)


def test_a_parameter_written_before_opens(kms):
    assert secure.decrypt(CTX, bytes.fromhex(SSM["blob_hex"]), SSM["parameter_arn"]) == SSM_VALUE
    assert kms == [("Decrypt", SSM_CONTEXT, "ssm")]


def test_a_secret_value_written_before_opens(kms):
    assert open_secret(bytes.fromhex(SM["envelope_hex"])) == SM["plaintext"].encode()
    assert kms == [("Decrypt", SM_CONTEXT, "secretsmanager")]


def test_both_services_write_the_same_bytes_as_before(kms):
    assert secure.encrypt(CTX, KEY_ARN, SSM["parameter_arn"], SSM_VALUE).hex() == SSM["blob_hex"]
    sealed = envelope.seal_value(CTX, account_id="000000000000", secret_arn=SM["secret_arn"],
                                 version_id=SM["version_id"], kms_key_id=KEY_ARN, plaintext=SM["plaintext"].encode())
    assert sealed.sealed.hex() == SM["envelope_hex"] and sealed.key_arn == KEY_ARN
    assert kms == [("GenerateDataKey", SSM_CONTEXT, "ssm"), ("GenerateDataKey", SM_CONTEXT, "secretsmanager")]


def _altered(blob: bytes) -> list[bytes]:
    """Every way of spoiling an envelope: any byte flipped (sampled), cut short anywhere, one byte more."""
    flipped = [blob[:i] + bytes((blob[i] ^ 1,)) + blob[i + 1:] for i in range(0, len(blob), max(1, len(blob) // 97))]
    return [*flipped, blob[:-1], blob[:20], blob[:2], b"", blob + b"\0"]


def test_an_altered_parameter_is_refused_as_ssm_refuses_a_bad_ciphertext(kms):
    blob = bytes.fromhex(SSM["blob_hex"])
    for spoiled in _altered(blob):
        if not spoiled.startswith(b"SSMENV1"):
            continue  # no longer an envelope: KMS Decrypt's own blob check answers
        with pytest.raises(ServiceError) as raised:
            secure.decrypt(CTX, spoiled, SSM["parameter_arn"])
        assert raised.value.code == "InvalidKeyId"
        assert "Error Code: InvalidCiphertextException" in (raised.value.message or "")


def test_an_altered_secret_value_is_a_decryption_failure(kms):
    for spoiled in _altered(bytes.fromhex(SM["envelope_hex"])):
        with pytest.raises(ServiceError) as raised:
            open_secret(spoiled)
        assert (raised.value.code, raised.value.message) == ("DecryptionFailure", envelope.DECRYPTION_FAILURE_TEXT)


def test_a_value_sealed_for_one_place_does_not_open_in_another(kms):
    blob = bytes.fromhex(SSM["blob_hex"])
    with pytest.raises(ServiceError, match="InvalidCiphertextException"):
        data_key_envelope.open_envelope(CTX, blob, prefix=b"SSMENV1", context=SSM_CONTEXT, via_service="ssm",
                                        aad=b"arn:aws:ssm:us-east-1:000000000000:parameter/app/other")
