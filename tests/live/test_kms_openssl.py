"""Strongroom's asymmetric keys with the openssl command line, which sees only GetPublicKey's DER output."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.helpers import error_of

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")

MESSAGE = b"signed by strongroom, checked by openssl\n"
PSS = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]


def openssl(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["openssl", *map(str, args)], capture_output=True, text=True, timeout=30, check=False)


def openssl_supports_ed25519() -> bool:
    if shutil.which("openssl") is None:
        return False
    listed = openssl("list", "-public-key-algorithms")
    return listed.returncode == 0 and "ED25519" in listed.stdout.upper()


def public_key_file(kms: Any, key: dict[str, Any], directory: Path) -> Path:
    """GetPublicKey's DER output, written as is: all openssl gets of the key."""
    public = kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeyId"] == key["Arn"]
    path = directory / f"{key['KeyId']}.der"
    path.write_bytes(public["PublicKey"])
    return path


def write(directory: Path, name: str, data: bytes) -> Path:
    path = directory / name
    path.write_bytes(data)
    return path


def dgst_verify(public: Path, signature: Path, message: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return openssl("dgst", "-sha256", "-verify", public, "-keyform", "DER", *options, "-signature", signature, message)


def pkeyutl_verify(public: Path, signature: Path, data: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return openssl("pkeyutl", "-verify", "-pubin", "-inkey", public, "-keyform", "DER", *options,
                   "-in", data, "-sigfile", signature)


def assert_verified(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "Verified OK" in result.stdout or "Signature Verified Successfully" in result.stdout, result.stdout


def assert_rejected(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0
    assert "Verification failure" in result.stdout + result.stderr \
        or "Signature Verification Failure" in result.stdout + result.stderr, (result.stdout, result.stderr)


@pytest.mark.parametrize(("spec", "algorithm", "dgst_options", "pkeyutl_options"), [
    ("ECC_NIST_P256", "ECDSA_SHA_256", [], []),
    ("RSA_2048", "RSASSA_PSS_SHA_256", PSS,
     ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32", "-pkeyopt", "digest:sha256"]),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", [], ["-pkeyopt", "digest:sha256"]),
])
def test_signatures_verify_with_openssl(kms, tmp_path, spec, algorithm, dgst_options, pkeyutl_options):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    public = public_key_file(kms, key, tmp_path)
    message = write(tmp_path, "message", MESSAGE)
    changed = write(tmp_path, "changed", MESSAGE.replace(b"openssl", b"OpenSSL"))

    signed = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm=algorithm)
    assert (signed["KeyId"], signed["SigningAlgorithm"]) == (key["Arn"], algorithm)
    signature = write(tmp_path, "signature", signed["Signature"])
    assert_verified(dgst_verify(public, signature, message, *dgst_options))
    assert_rejected(dgst_verify(public, signature, changed, *dgst_options))

    # A signature over a digest (MessageType DIGEST) verifies against that digest.
    digest = hashlib.sha256(MESSAGE).digest()
    over_digest = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)
    digest_signature = write(tmp_path, "digest-signature", over_digest["Signature"])
    assert_verified(pkeyutl_verify(public, digest_signature, write(tmp_path, "digest", digest), *pkeyutl_options))
    assert_verified(dgst_verify(public, digest_signature, message, *dgst_options))
    changed_digest = write(tmp_path, "changed-digest", hashlib.sha256(changed.read_bytes()).digest())
    assert_rejected(pkeyutl_verify(public, digest_signature, changed_digest, *pkeyutl_options))


def test_pss_signature_does_not_verify_as_pkcs1(kms, tmp_path):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    public = public_key_file(kms, key, tmp_path)
    message = write(tmp_path, "message", MESSAGE)
    pss = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
    pkcs1 = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="RSASSA_PKCS1_V1_5_SHA_256")["Signature"]
    assert_rejected(dgst_verify(public, write(tmp_path, "pss", pss), message))
    assert_rejected(dgst_verify(public, write(tmp_path, "pkcs1", pkcs1), message, *PSS))


@pytest.mark.skipif(not openssl_supports_ed25519(), reason="this openssl has no Ed25519")
def test_ed25519_signature_verifies_with_openssl(kms, tmp_path):
    key = kms.create_key(KeySpec="ECC_NIST_EDWARDS25519", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    public = public_key_file(kms, key, tmp_path)
    signed = kms.sign(KeyId=key["KeyId"], Message=MESSAGE, SigningAlgorithm="ED25519_SHA_512")
    assert (signed["KeyId"], signed["SigningAlgorithm"]) == (key["Arn"], "ED25519_SHA_512")
    assert len(signed["Signature"]) == 64
    signature = write(tmp_path, "signature", signed["Signature"])
    assert_verified(pkeyutl_verify(public, signature, write(tmp_path, "message", MESSAGE), "-rawin"))
    changed = write(tmp_path, "changed", MESSAGE[:-1] + b"!")
    assert_rejected(pkeyutl_verify(public, signature, changed, "-rawin"))


def test_openssl_oaep_ciphertext_decrypts_in_strongroom(kms, tmp_path):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    public = public_key_file(kms, key, tmp_path)
    plaintext = os.urandom(190)  # the most RSAES_OAEP_SHA_256 takes with a 2048-bit key
    ciphertext = tmp_path / "ciphertext"
    encrypted = openssl("pkeyutl", "-encrypt", "-pubin", "-inkey", public, "-keyform", "DER",
                        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
                        "-in", write(tmp_path, "plaintext", plaintext), "-out", ciphertext)
    assert encrypted.returncode == 0, encrypted.stderr
    assert len(ciphertext.read_bytes()) == 256

    decrypted = kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=ciphertext.read_bytes(),
                            EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert decrypted["Plaintext"] == plaintext
    assert (decrypted["KeyId"], decrypted["EncryptionAlgorithm"]) == (key["Arn"], "RSAES_OAEP_SHA_256")
    # The same ciphertext is not an OAEP-SHA-1 ciphertext.
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(KeyId=key["KeyId"], CiphertextBlob=ciphertext.read_bytes(), EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert error_of(excinfo)[0] == "InvalidCiphertextException"
