"""HMAC keys: GenerateMac and VerifyMac (HMAC_SHA_224/256/384/512, one algorithm per key spec)."""

from __future__ import annotations

from strongroom.services.kms.crypto import errors, hazmat, specs


def generate_mac(key_spec: str, key_material: bytes, algorithm: str, message: bytes) -> bytes:
    """The HMAC tag of message; the algorithm must be the one the spec allows (InvalidKeyUsageException)."""
    specs.check_algorithm(key_spec, specs.GENERATE_VERIFY_MAC, algorithm)
    if not key_material:
        raise errors.internal(f"{key_spec} key material is empty.")
    return hazmat.hmac_digest(key_material, algorithm.removeprefix("HMAC_"), message)


def verify_mac(key_spec: str, key_material: bytes, algorithm: str, message: bytes, mac: bytes) -> None:
    """Returns None for a matching tag, raises KMSInvalidMacException otherwise (constant-time compare)."""
    expected = generate_mac(key_spec, key_material, algorithm, message)
    if not hazmat.constant_time_equal(expected, mac):
        raise errors.invalid_mac()
