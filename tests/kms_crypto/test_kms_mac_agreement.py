"""GenerateMac/VerifyMac against RFC 4231 and Python's hmac; DeriveSharedSecret against local ECDH and CAVS."""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import derive_shared_secret, generate_mac, public_key_der, verify_mac

RFC4231 = json.loads((Path(__file__).parent / "rfc4231_hmac_vectors.json").read_text())
MAC_SPECS = {
    "HMAC_SHA_224": "HMAC_224",
    "HMAC_SHA_256": "HMAC_256",
    "HMAC_SHA_384": "HMAC_384",
    "HMAC_SHA_512": "HMAC_512",
}
CURVES = {"ECC_NIST_P256": ec.SECP256R1, "ECC_NIST_P384": ec.SECP384R1, "ECC_NIST_P521": ec.SECP521R1}

# NIST CAVS 14.1 ECC CDH primitive test vectors (ecccdhtestvectors.zip, KAS_ECC_CDH_PrimitiveTest.txt),
# curve P-256, COUNT = 0.
CAVS_P256 = {
    "QCAVSx": "700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287",
    "QCAVSy": "db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac",
    "dIUT": "7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534",
    "ZIUT": "46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b",
}


def der(public: object) -> bytes:
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)  # type: ignore[attr-defined]


@pytest.mark.parametrize("case", RFC4231["cases"], ids=lambda case: case["name"][:3])
@pytest.mark.parametrize("algorithm", sorted(MAC_SPECS))
def test_rfc4231_vectors(case: dict[str, str], algorithm: str) -> None:
    key, data, expected = (
        bytes.fromhex(case["key_hex"]),
        bytes.fromhex(case["data_hex"]),
        bytes.fromhex(case[algorithm]),
    )
    assert generate_mac(MAC_SPECS[algorithm], key, algorithm, data) == expected
    verify_mac(MAC_SPECS[algorithm], key, algorithm, data, expected)


@pytest.mark.parametrize("algorithm", sorted(MAC_SPECS))
def test_matches_python_hmac_and_refuses_false_tags(algorithm: str) -> None:
    key_spec = MAC_SPECS[algorithm]
    key, message = os.urandom(int(key_spec[5:]) // 8), os.urandom(300)
    tag = generate_mac(key_spec, key, algorithm, message)
    assert tag == hmac.new(key, message, "sha" + algorithm[-3:]).digest()
    for bad in (
        tag[:-1],
        tag + b"\0",
        bytes([tag[0] ^ 1]) + tag[1:],
        b"",
        generate_mac(key_spec, key, algorithm, b"x"),
    ):
        with pytest.raises(ServiceError) as caught:
            verify_mac(key_spec, key, algorithm, message, bad)
        assert (caught.value.code, caught.value.message) == ("KMSInvalidMacException", None)


def test_mac_algorithm_must_match_spec() -> None:
    with pytest.raises(ServiceError) as caught:
        generate_mac("HMAC_256", os.urandom(32), "HMAC_SHA_512", b"m")
    assert (caught.value.code, caught.value.message) == (
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.",
    )


@pytest.mark.parametrize("key_spec", sorted(CURVES))
def test_ecdh_agrees_with_local_exchange(material, key_spec: str) -> None:
    key = material(key_spec)
    peer = ec.generate_private_key(CURVES[key_spec]())
    secret = derive_shared_secret(key_spec, key, der(peer.public_key()))
    ours = serialization.load_der_public_key(public_key_der(key_spec, key))
    assert secret == peer.exchange(ec.ECDH(), ours)
    assert len(secret) == (CURVES[key_spec].key_size + 7) // 8


def test_cavs_p256_vector() -> None:
    private = ec.derive_private_key(int(CAVS_P256["dIUT"], 16), ec.SECP256R1())
    key = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    peer = ec.EllipticCurvePublicNumbers(int(CAVS_P256["QCAVSx"], 16), int(CAVS_P256["QCAVSy"], 16), ec.SECP256R1())
    assert derive_shared_secret("ECC_NIST_P256", key, der(peer.public_key())).hex() == CAVS_P256["ZIUT"]


def test_bad_peer_keys(material) -> None:
    key = material("ECC_NIST_P256")
    p256_point = der(ec.generate_private_key(ec.SECP256R1()).public_key())
    off_curve = bytearray(p256_point)
    off_curve[-1] ^= 1
    for peer in (
        der(ec.generate_private_key(ec.SECP384R1()).public_key()),
        der(ec.generate_private_key(ec.SECP256K1()).public_key()),
        der(ed25519.Ed25519PrivateKey.generate().public_key()),
        public_key_der("RSA_2048", material("RSA_2048")),
        material("ECC_NIST_P256"),  # a private key is not a public key
        bytes(off_curve),
        b"\x30\x00",
        b"garbage",
    ):
        with pytest.raises(ServiceError) as caught:
            derive_shared_secret("ECC_NIST_P256", key, peer)
        assert caught.value.code == "ValidationException"
        assert caught.value.message.startswith("The public key must be a DER-encoded SubjectPublicKeyInfo")


def test_key_agreement_needs_a_nist_curve(material) -> None:
    peer = der(ec.generate_private_key(ec.SECP256K1()).public_key())
    with pytest.raises(ServiceError) as caught:
        derive_shared_secret("ECC_SECG_P256K1", material("ECC_SECG_P256K1"), peer)
    assert (caught.value.code, caught.value.message) == (
        "InvalidKeyUsageException",
        "Algorithm ECDH is incompatible with key spec ECC_SECG_P256K1.",
    )
