"""RSA-OAEP Encrypt/Decrypt: ciphertexts made outside from the public DER decrypt, and limits hold."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import public_key_der, rsa_decrypt, rsa_encrypt, rsa_oaep_plaintext_limit

CASES = [
    (spec, alg) for spec in ("RSA_2048", "RSA_3072", "RSA_4096") for alg in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
]


def oaep(algorithm: str) -> padding.OAEP:
    chosen = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(chosen), algorithm=chosen, label=None)


def assert_invalid_ciphertext(*args: object) -> None:
    with pytest.raises(ServiceError) as caught:
        rsa_decrypt(*args)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.message) == ("InvalidCiphertextException", None)


@pytest.mark.parametrize(("key_spec", "algorithm"), CASES)
def test_outside_ciphertexts_decrypt(material, openssl, key_spec: str, algorithm: str) -> None:
    key = material(key_spec)
    public = public_key_der(key_spec, key)
    limit = rsa_oaep_plaintext_limit(key_spec, algorithm)
    for plaintext in (b"x", os.urandom(limit)):
        outside = serialization.load_der_public_key(public).encrypt(plaintext, oaep(algorithm))
        assert rsa_decrypt(key_spec, key, algorithm, outside) == plaintext
    md = "sha1" if algorithm.endswith("SHA_1") else "sha256"
    args = ["pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", "pub.der", "-in", "data"]
    args += ["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", f"rsa_oaep_md:{md}", "-pkeyopt", f"rsa_mgf1_md:{md}"]
    result = openssl(args, {"pub.der": public, "data": b"from openssl"})
    assert result.returncode == 0, result.stderr
    assert rsa_decrypt(key_spec, key, algorithm, result.stdout) == b"from openssl"


@pytest.mark.parametrize(("key_spec", "algorithm"), CASES)
def test_our_ciphertexts_decrypt_outside(material, key_spec: str, algorithm: str) -> None:
    key = material(key_spec)
    private = serialization.load_der_private_key(key, None)
    for source in (key, public_key_der(key_spec, key)):
        ciphertext = rsa_encrypt(key_spec, source, algorithm, b"data key bytes")
        assert len(ciphertext) == private.key_size // 8
        assert private.decrypt(ciphertext, oaep(algorithm)) == b"data key bytes"
        assert rsa_decrypt(key_spec, key, algorithm, ciphertext) == b"data key bytes"


@pytest.mark.parametrize(("key_spec", "algorithm"), CASES)
def test_plaintext_limit(material, key_spec: str, algorithm: str) -> None:
    limit = rsa_oaep_plaintext_limit(key_spec, algorithm)
    with pytest.raises(ServiceError) as caught:
        rsa_encrypt(key_spec, material(key_spec), algorithm, b"\0" * (limit + 1))
    assert (caught.value.code, caught.value.message) == (
        "ValidationException",
        f"Algorithm {algorithm} and key spec {key_spec} cannot encrypt data larger than {limit} bytes.",
    )


def test_bad_ciphertexts(material) -> None:
    key = material("RSA_2048")
    ciphertext = rsa_encrypt("RSA_2048", key, "RSAES_OAEP_SHA_256", b"hello")
    altered = bytearray(ciphertext)
    altered[100] ^= 1
    assert_invalid_ciphertext("RSA_2048", key, "RSAES_OAEP_SHA_256", bytes(altered))
    assert_invalid_ciphertext("RSA_2048", key, "RSAES_OAEP_SHA_1", ciphertext)
    assert_invalid_ciphertext("RSA_2048", key, "RSAES_OAEP_SHA_256", ciphertext[:-1])
    assert_invalid_ciphertext("RSA_2048", key, "RSAES_OAEP_SHA_256", b"\xff" * 256)
    other_key = rsa_encrypt("RSA_2048", material("RSA_2048"), "RSAES_OAEP_SHA_256", b"hello")
    assert rsa_decrypt("RSA_2048", key, "RSAES_OAEP_SHA_256", other_key) == b"hello"


def test_symmetric_algorithm_on_rsa_key(material) -> None:
    with pytest.raises(ServiceError) as caught:
        rsa_decrypt("RSA_2048", material("RSA_2048"), "SYMMETRIC_DEFAULT", b"\0" * 256)
    assert (caught.value.code, caught.value.message) == (
        "InvalidKeyUsageException",
        "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.",
    )
