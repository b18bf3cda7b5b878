"""Key material per spec, public keys, and data key pairs for every DataKeyPairSpec in the model."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, rsa

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import (
    KEY_SPECS,
    check_material,
    generate_data_key_pair,
    generate_material,
    public_key_der,
)
from strongroom.wire.specs import load_service

PAIR_SPECS = load_service("kms").shape_for("DataKeyPairSpec").enum
UNSUPPORTED = {"SM2", "ML_KEM_512"}

# What each asymmetric spec's private key must be.
EXPECTED_KEY = {
    "RSA_2048": (rsa.RSAPrivateKey, 2048),
    "RSA_3072": (rsa.RSAPrivateKey, 3072),
    "RSA_4096": (rsa.RSAPrivateKey, 4096),
    "ECC_NIST_P256": (ec.EllipticCurvePrivateKey, "secp256r1"),
    "ECC_NIST_P384": (ec.EllipticCurvePrivateKey, "secp384r1"),
    "ECC_NIST_P521": (ec.EllipticCurvePrivateKey, "secp521r1"),
    "ECC_SECG_P256K1": (ec.EllipticCurvePrivateKey, "secp256k1"),
    "ECC_NIST_EDWARDS25519": (ed25519.Ed25519PrivateKey, None),
    "ML_DSA_44": (mldsa.MLDSA44PrivateKey, None),
    "ML_DSA_65": (mldsa.MLDSA65PrivateKey, None),
    "ML_DSA_87": (mldsa.MLDSA87PrivateKey, None),
    "ML_KEM_768": (mlkem.MLKEM768PrivateKey, None),
    "ML_KEM_1024": (mlkem.MLKEM1024PrivateKey, None),
}


def assert_kind(key_spec: str, private: object) -> None:
    kind, detail = EXPECTED_KEY[key_spec]
    assert isinstance(private, kind)
    if isinstance(private, rsa.RSAPrivateKey):
        assert private.key_size == detail
        assert private.private_numbers().public_numbers.e == 65537
    elif isinstance(private, ec.EllipticCurvePrivateKey):
        assert private.curve.name == detail


def spki(private: object) -> bytes:
    return private.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.parametrize(("key_spec", "size"), [("SYMMETRIC_DEFAULT", 32), ("HMAC_224", 28), ("HMAC_256", 32),
                                                ("HMAC_384", 48), ("HMAC_512", 64)])  # fmt: skip
def test_secret_material_sizes(key_spec: str, size: int) -> None:
    first, second = generate_material(key_spec), generate_material(key_spec)
    assert len(first) == len(second) == size
    assert first != second
    check_material(key_spec, first)


@pytest.mark.parametrize("key_spec", sorted(EXPECTED_KEY))
def test_asymmetric_material_is_pkcs8_of_the_spec(material, key_spec: str) -> None:
    key = material(key_spec)
    private = serialization.load_der_private_key(key, None)
    assert_kind(key_spec, private)
    assert public_key_der(key_spec, key) == spki(private)
    check_material(key_spec, key)


@pytest.mark.parametrize("pair_spec", PAIR_SPECS)
def test_data_key_pairs(material, pair_spec: str) -> None:
    if pair_spec in UNSUPPORTED:
        with pytest.raises(ServiceError) as caught:
            generate_data_key_pair(pair_spec)
        assert caught.value.code == "UnsupportedOperationException"
        return
    private_der, public_der = generate_data_key_pair(pair_spec)
    private = serialization.load_der_private_key(private_der, None)
    assert_kind(pair_spec, private)
    assert public_der == spki(private)
    assert public_key_der(pair_spec, private_der) == public_der
    if not pair_spec.startswith("RSA_4096"):  # one 4096-bit generation per run is enough
        assert generate_data_key_pair(pair_spec)[0] != private_der


def test_every_model_spec_generates_or_is_refused() -> None:
    for key_spec in KEY_SPECS:
        if key_spec in UNSUPPORTED:
            with pytest.raises(ServiceError) as caught:
                generate_material(key_spec)
            assert caught.value.code == "UnsupportedOperationException"


@pytest.mark.parametrize(
    ("key_spec", "bad"),
    [
        ("SYMMETRIC_DEFAULT", b"\0" * 16),
        ("HMAC_256", b""),
        ("RSA_2048", b"not der"),
        ("ECC_NIST_P384", "ECC_NIST_P256"),
    ],
)
def test_check_material_refuses(material, key_spec: str, bad: bytes | str) -> None:
    candidate = material(bad) if isinstance(bad, str) else bad
    with pytest.raises(ServiceError) as caught:
        check_material(key_spec, candidate)
    assert caught.value.code == "ValidationException"


def test_public_key_of_wrong_material_is_internal(material) -> None:
    with pytest.raises(ServiceError) as caught:
        public_key_der("RSA_3072", material("RSA_2048"))
    assert caught.value.code == "KMSInternalException"
