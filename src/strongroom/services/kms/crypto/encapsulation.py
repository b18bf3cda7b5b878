"""Encapsulate/Decapsulate for ML-KEM keys (FIPS 203). ML_KEM_512 is refused: `cryptography` lacks it.

Decapsulating a ciphertext of the right length never fails (ML-KEM's implicit rejection yields an
unrelated secret); only a ciphertext of the wrong length is InvalidCiphertextException.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric import mlkem

from strongroom.services.kms.crypto import errors, material, specs

# Ciphertext sizes from FIPS 203, table 3.
CIPHERTEXT_BYTES = {"ML_KEM_768": 1088, "ML_KEM_1024": 1568}


def encapsulate(key_spec: str, key_material: bytes, algorithm: str = "ML_KEM") -> tuple[bytes, bytes]:
    """(shared-secret ciphertext, 32-byte shared secret) under the key's public half."""
    specs.check_algorithm(key_spec, specs.ENCAPSULATE_DECAPSULATE, algorithm)
    private = _private(key_spec, key_material)
    shared_secret, ciphertext = private.public_key().encapsulate()
    return ciphertext, shared_secret


def decapsulate(key_spec: str, key_material: bytes, ciphertext: bytes, algorithm: str = "ML_KEM") -> bytes:
    specs.check_algorithm(key_spec, specs.ENCAPSULATE_DECAPSULATE, algorithm)
    private = _private(key_spec, key_material)
    if len(ciphertext) != CIPHERTEXT_BYTES[key_spec]:
        raise errors.invalid_ciphertext()
    try:
        return private.decapsulate(ciphertext)
    except ValueError:
        raise errors.invalid_ciphertext() from None


def _private(key_spec: str, key_material: bytes) -> mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey:
    private = material.private_key(key_spec, key_material)
    if not isinstance(private, (mlkem.MLKEM768PrivateKey, mlkem.MLKEM1024PrivateKey)):
        raise errors.internal(f"{key_spec} is not an ML-KEM key spec.")
    return private
