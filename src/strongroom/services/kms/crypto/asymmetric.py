"""Asymmetric recipes: RSA-OAEP encryption, and signing/verification in RAW, DIGEST and EXTERNAL_MU modes.

Each entry point checks the algorithm against the key spec and the message against its type first,
then calls the primitive, and maps every primitive failure to the KMS error: InvalidCiphertextException
for a bad RSA ciphertext, KMSInvalidSignatureException for a false or malformed signature.

Not offered: ED25519_PH_SHA_512 (`cryptography` has no Ed25519ph) and SM2 (no SM2 curve); both are
refused with UnsupportedOperationException.
"""

from __future__ import annotations

import functools

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes

from strongroom.services.kms.crypto import errors, hazmat, material, specs

_OAEP_HASH = {"RSAES_OAEP_SHA_1": "SHA_1", "RSAES_OAEP_SHA_256": "SHA_256"}


def rsa_encrypt(key_spec: str, key: bytes, algorithm: str, plaintext: bytes) -> bytes:
    """Encrypt with the public half; `key` is the PKCS#8 material or the DER SubjectPublicKeyInfo."""
    specs.check_algorithm(key_spec, specs.ENCRYPT_DECRYPT, algorithm)
    specs.check_rsa_plaintext(key_spec, algorithm, plaintext)
    public = _public_key(key_spec, key)
    if not isinstance(public, rsa.RSAPublicKey):
        raise errors.internal(f"{key_spec} is not an RSA key spec.")
    return hazmat.rsa_oaep_encrypt(public, _OAEP_HASH[algorithm], plaintext)


def rsa_decrypt(key_spec: str, key_material: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    """Asymmetric Decrypt; any ciphertext that does not decrypt is InvalidCiphertextException."""
    specs.check_algorithm(key_spec, specs.ENCRYPT_DECRYPT, algorithm)
    private = material.private_key(key_spec, key_material)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise errors.internal(f"{key_spec} is not an RSA key spec.")
    if len(ciphertext) != specs.RSA_MODULUS_BITS[key_spec] // 8:
        raise errors.invalid_ciphertext()
    try:
        return hazmat.rsa_oaep_decrypt(private, _OAEP_HASH[algorithm], ciphertext)
    except ValueError:
        raise errors.invalid_ciphertext() from None


def sign(key_spec: str, key_material: bytes, algorithm: str, message: bytes, message_type: str = specs.RAW) -> bytes:
    """Sign: ECDSA signatures come DER-encoded, the rest in their standard byte form, as KMS returns them."""
    specs.check_algorithm(key_spec, specs.SIGN_VERIFY, algorithm)
    specs.check_message(key_spec, algorithm, message_type, message)
    _refuse_unsupported(algorithm)
    private = material.private_key(key_spec, key_material)
    prehashed = message_type == specs.DIGEST
    if isinstance(private, rsa.RSAPrivateKey):
        scheme, hash_name = _rsa_scheme(algorithm)
        return hazmat.rsa_sign(private, scheme, hash_name, message, prehashed=prehashed)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return hazmat.ecdsa_sign(private, _hash_name(algorithm), message, prehashed=prehashed)
    if isinstance(private, ed25519.Ed25519PrivateKey):
        return hazmat.ed25519_sign(private, message)
    if key_spec in hazmat.ML_DSA_KEYS:
        return hazmat.ml_dsa_sign(private, message, external_mu=message_type == specs.EXTERNAL_MU)  # type: ignore[arg-type]
    raise errors.internal(f"{key_spec} cannot sign.")


def verify(
    key_spec: str,
    key: bytes,
    algorithm: str,
    message: bytes,
    signature: bytes,
    message_type: str = specs.RAW,
) -> None:
    """Verify; returns None when the signature is good and raises KMSInvalidSignatureException otherwise.

    `key` is the PKCS#8 material or the DER SubjectPublicKeyInfo.
    """
    specs.check_algorithm(key_spec, specs.SIGN_VERIFY, algorithm)
    specs.check_message(key_spec, algorithm, message_type, message)
    _refuse_unsupported(algorithm)
    public = _public_key(key_spec, key)
    prehashed = message_type == specs.DIGEST
    try:
        if isinstance(public, rsa.RSAPublicKey):
            scheme, hash_name = _rsa_scheme(algorithm)
            hazmat.rsa_verify(public, scheme, hash_name, signature, message, prehashed=prehashed)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            hazmat.ecdsa_verify(public, _hash_name(algorithm), signature, message, prehashed=prehashed)
        elif isinstance(public, ed25519.Ed25519PublicKey):
            hazmat.ed25519_verify(public, signature, message)
        elif key_spec in hazmat.ML_DSA_KEYS:
            hazmat.ml_dsa_verify(public, signature, message, external_mu=message_type == specs.EXTERNAL_MU)  # type: ignore[arg-type]
        else:
            raise errors.internal(f"{key_spec} cannot verify.")
    except (InvalidSignature, ValueError):
        raise errors.invalid_signature() from None


# Cached so a Verify with stored material does not retry the public-key parse on every call.
@functools.lru_cache(maxsize=256)
def _public_key(key_spec: str, key: bytes) -> PublicKeyTypes:
    """The public key from a DER SubjectPublicKeyInfo or from PKCS#8 material, checked against the spec."""
    try:
        public = hazmat.load_public_der(key)
    except (ValueError, UnsupportedAlgorithm):
        private: PrivateKeyTypes = material.private_key(key_spec, key)
        return private.public_key()
    if not _public_matches(key_spec, public):
        raise errors.internal(f"The public key is not of key spec {key_spec}.")
    return public


def _public_matches(key_spec: str, public: PublicKeyTypes) -> bool:
    if key_spec in specs.RSA_MODULUS_BITS:
        return isinstance(public, rsa.RSAPublicKey) and public.key_size == specs.RSA_MODULUS_BITS[key_spec]
    if key_spec in hazmat.CURVES:
        return isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, hazmat.CURVES[key_spec])
    if key_spec == "ECC_NIST_EDWARDS25519":
        return isinstance(public, ed25519.Ed25519PublicKey)
    if key_spec in hazmat.ML_DSA_KEYS:
        return isinstance(public, hazmat.ML_DSA_PUBLIC_KEYS[key_spec])
    return False


def _refuse_unsupported(algorithm: str) -> None:
    if algorithm in ("ED25519_PH_SHA_512", "SM2DSA"):
        raise errors.unsupported(f"Signing algorithm {algorithm} is not supported in this Region")


def _rsa_scheme(algorithm: str) -> tuple[str, str]:
    # RSASSA_PSS_SHA_256 -> ("PSS", "SHA_256"); RSASSA_PKCS1_V1_5_SHA_384 -> ("PKCS1", "SHA_384")
    return ("PSS" if algorithm.startswith("RSASSA_PSS_") else "PKCS1"), _hash_name(algorithm)


def _hash_name(algorithm: str) -> str:
    return algorithm[algorithm.rindex("SHA_") :]
