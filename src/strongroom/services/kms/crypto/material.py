"""Key material per KeySpec: generating it, reading its public half, and data key pairs.

Material formats (what the service stores sealed and hands back): SYMMETRIC_DEFAULT 32 random bytes;
HMAC_* raw key bytes (28/32/48/64 when we generate them; imported keys may differ); every asymmetric
spec a PKCS#8 DER private key.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from strongroom.services.kms.crypto import errors, hazmat, specs

# Specs whose primitives `cryptography` does not offer: SM2 (China-only in AWS too) and ML-KEM-512.
UNSUPPORTED_SPECS = frozenset({"SM2", "ML_KEM_512"})


def generate_material(key_spec: str) -> bytes:
    """Fresh key material for a new key (or a rotation) of this spec."""
    if key_spec == "SYMMETRIC_DEFAULT":
        return hazmat.random_bytes(specs.SYMMETRIC_KEY_BYTES)
    if key_spec in specs.HMAC_KEY_BYTES:
        return hazmat.random_bytes(specs.HMAC_KEY_BYTES[key_spec])
    return hazmat.private_pkcs8_der(_generate_private(key_spec))


def generate_data_key_pair(pair_spec: str) -> tuple[bytes, bytes]:
    """GenerateDataKeyPair: (PKCS#8 DER private key, DER SubjectPublicKeyInfo) for a DataKeyPairSpec."""
    private = _generate_private(pair_spec)
    return hazmat.private_pkcs8_der(private), hazmat.public_spki_der(private.public_key())


def public_key_der(key_spec: str, material: bytes) -> bytes:
    """GetPublicKey: the DER SubjectPublicKeyInfo of an asymmetric key's material."""
    return hazmat.public_spki_der(private_key(key_spec, material).public_key())


def check_material(key_spec: str, material: bytes) -> None:
    """Check material (generated or imported) has the shape its spec needs.

    Raises ValidationException; the text is ours, since AWS's reply to mismatched imported material is
    not recorded here.
    """
    if key_spec == "SYMMETRIC_DEFAULT":
        if len(material) != specs.SYMMETRIC_KEY_BYTES:
            raise errors.validation("Key material for SYMMETRIC_DEFAULT must be 32 bytes.")
        return
    if key_spec in specs.HMAC_KEY_BYTES:
        if not material:
            raise errors.validation(f"Key material for {key_spec} must not be empty.")
        return
    try:
        private_key(key_spec, material)
    except errors.ServiceError:
        raise errors.validation(f"The key material is not a PKCS#8 DER private key of key spec {key_spec}.") from None


# A pure function of its arguments (failures are raised, never kept): Sign and the like reuse the checked key
# object instead of repeating the type and size checks per request.
@functools.lru_cache(maxsize=256)
def private_key(key_spec: str, material: bytes) -> PrivateKeyTypes:
    """Parse PKCS#8 material and insist it is the spec's key type; a mismatch is our invariant broken."""
    _refuse_unsupported(key_spec)
    try:
        key = hazmat.load_private_der(material)
    except (ValueError, TypeError):
        raise errors.internal(f"Stored material is not a private key of key spec {key_spec}.") from None
    if not _matches(key_spec, key):
        raise errors.internal(f"Stored material is not a private key of key spec {key_spec}.")
    return key


def _matches(key_spec: str, key: PrivateKeyTypes) -> bool:
    if key_spec in specs.RSA_MODULUS_BITS:
        return isinstance(key, rsa.RSAPrivateKey) and key.key_size == specs.RSA_MODULUS_BITS[key_spec]
    if key_spec in hazmat.CURVES:
        return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, hazmat.CURVES[key_spec])
    if key_spec == "ECC_NIST_EDWARDS25519":
        return isinstance(key, ed25519.Ed25519PrivateKey)
    if key_spec in hazmat.ML_DSA_KEYS:
        return isinstance(key, hazmat.ML_DSA_KEYS[key_spec])
    if key_spec in hazmat.ML_KEM_KEYS:
        return isinstance(key, hazmat.ML_KEM_KEYS[key_spec])
    return False


def _generate_private(
    key_spec: str,
) -> (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
    | mlkem.MLKEM768PrivateKey
    | mlkem.MLKEM1024PrivateKey
):
    _refuse_unsupported(key_spec)
    if key_spec in specs.RSA_MODULUS_BITS:
        return hazmat.generate_rsa(specs.RSA_MODULUS_BITS[key_spec])
    if key_spec in hazmat.CURVES:
        return hazmat.generate_ec(hazmat.CURVES[key_spec])
    if key_spec == "ECC_NIST_EDWARDS25519":
        return hazmat.generate_ed25519()
    if key_spec in hazmat.ML_DSA_KEYS:
        return hazmat.ML_DSA_KEYS[key_spec].generate()
    if key_spec in hazmat.ML_KEM_KEYS:
        return hazmat.ML_KEM_KEYS[key_spec].generate()
    raise errors.internal(f"{key_spec} is not an asymmetric key spec.")


def _refuse_unsupported(key_spec: str) -> None:
    if key_spec in UNSUPPORTED_SPECS:
        raise errors.unsupported(f"KeySpec {key_spec} is not supported in this Region")
