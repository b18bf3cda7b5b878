"""HKDF-SHA256 as the symmetric blob derives its per-message keys, and HMAC as GenerateMac computes it,
against the RFCs' vectors and the standard library's HMAC."""

from __future__ import annotations

import hmac
import json
import os
from pathlib import Path

import pytest

from strongroom.services.kms.crypto import hazmat

# RFC 5869 appendix A, test cases 1-3 (the SHA-256 ones): IKM, salt, info, L, OKM.
RFC_5869_VECTORS = [
    (
        "0b" * 22,
        "000102030405060708090a0b0c",
        "f0f1f2f3f4f5f6f7f8f9",
        42,
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
    ),
    (
        bytes(range(0x00, 0x50)).hex(),
        bytes(range(0x60, 0xB0)).hex(),
        bytes(range(0xB0, 0x100)).hex(),
        82,
        "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
        "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
        "cc30c58179ec3e87c14c01d5c1f3434f1d87",
    ),
    (
        "0b" * 22,
        "",
        "",
        42,
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
    ),
]


@pytest.mark.parametrize(("ikm", "salt", "info", "length", "okm"), RFC_5869_VECTORS)
def test_rfc_5869_vectors(ikm: str, salt: str, info: str, length: int, okm: str) -> None:
    derived = hazmat.hkdf_sha256(bytes.fromhex(ikm), salt=bytes.fromhex(salt), info=bytes.fromhex(info), length=length)
    assert derived.hex() == okm


@pytest.mark.parametrize("length", [0, -1, 255 * 32 + 1])
def test_lengths_hkdf_cannot_give_are_refused(length: int) -> None:
    with pytest.raises(ValueError, match="cannot derive"):
        hazmat.hkdf_sha256(b"k" * 32, salt=b"s", info=b"i", length=length)


RFC4231 = json.loads((Path(__file__).parent / "rfc4231_hmac_vectors.json").read_text())


HMAC_HASHES = ("SHA_224", "SHA_256", "SHA_384", "SHA_512")


@pytest.mark.parametrize("case", RFC4231["cases"], ids=lambda case: case["name"])
@pytest.mark.parametrize("hash_name", HMAC_HASHES)
def test_hmac_rfc4231_vectors(case: dict[str, str], hash_name: str) -> None:
    mac = hazmat.hmac_digest(bytes.fromhex(case["key_hex"]), hash_name, bytes.fromhex(case["data_hex"]))
    assert mac.hex() == case[f"HMAC_{hash_name}"]


@pytest.mark.parametrize("key_size", [0, 1, 16, 32, 63, 64, 65, 128, 129, 131])
@pytest.mark.parametrize("message_size", [0, 1, 55, 56, 64, 200])
@pytest.mark.parametrize("hash_name", HMAC_HASHES)
def test_hmac_same_bytes_as_the_standard_library(key_size: int, message_size: int, hash_name: str) -> None:
    key, message = os.urandom(key_size), os.urandom(message_size)
    expected = hmac.digest(key, message, hash_name.replace("_", "").lower())
    assert hazmat.hmac_digest(key, hash_name, message) == expected
