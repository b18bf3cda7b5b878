"""ML-KEM Encapsulate/Decapsulate: secrets agree with `cryptography` used from the public DER."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import decapsulate, encapsulate, generate_material, public_key_der


@pytest.mark.parametrize(("key_spec", "ciphertext_bytes"), [("ML_KEM_768", 1088), ("ML_KEM_1024", 1568)])
def test_round_trip_and_outside_encapsulation(material, key_spec: str, ciphertext_bytes: int) -> None:
    key = material(key_spec)
    ciphertext, secret = encapsulate(key_spec, key)
    assert (len(ciphertext), len(secret)) == (ciphertext_bytes, 32)
    assert decapsulate(key_spec, key, ciphertext) == secret
    outside_secret, outside_ciphertext = serialization.load_der_public_key(public_key_der(key_spec, key)).encapsulate()
    assert decapsulate(key_spec, key, outside_ciphertext) == outside_secret
    # implicit rejection: an altered ciphertext gives a different secret, not an error
    altered = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
    assert decapsulate(key_spec, key, altered) != secret
    for wrong in (ciphertext[:-1], ciphertext + b"\0"):
        with pytest.raises(ServiceError) as caught:
            decapsulate(key_spec, key, wrong)
        assert (caught.value.code, caught.value.message) == ("InvalidCiphertextException", None)


def test_ml_kem_512_is_refused() -> None:
    with pytest.raises(ServiceError) as caught:
        generate_material("ML_KEM_512")
    assert caught.value.code == "UnsupportedOperationException"


def test_other_specs_cannot_encapsulate(material) -> None:
    with pytest.raises(ServiceError) as caught:
        encapsulate("ECC_NIST_P256", material("ECC_NIST_P256"))
    assert (caught.value.code, caught.value.message) == (
        "InvalidKeyUsageException",
        "Algorithm ML_KEM is incompatible with key spec ECC_NIST_P256.",
    )
