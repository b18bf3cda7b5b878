"""Sign and Verify for every signing spec and algorithm, checked by `cryptography` and the openssl CLI."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import public_key_der, sign, verify

MESSAGE = b"The quick brown fox jumps over the lazy dog" * 3

RSA_ALGORITHMS = [
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
]
ECDSA_CASES = [
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
]
HASHED_CASES = [(spec, alg) for spec in ("RSA_2048", "RSA_3072", "RSA_4096") for alg in RSA_ALGORITHMS] + ECDSA_CASES
ML_DSA_SIZES = {"ML_DSA_44": (1312, 2420), "ML_DSA_65": (1952, 3309), "ML_DSA_87": (2592, 4627)}


def hash_name(algorithm: str) -> str:
    return "sha" + algorithm.rsplit("_", 1)[1]


def digest(algorithm: str, message: bytes) -> bytes:
    return hashlib.new(hash_name(algorithm), message).digest()


def independent_verify(public_der: bytes, algorithm: str, signature: bytes, message: bytes) -> None:
    """Verify with `cryptography` directly, parameters spelled out as KMS documents them."""
    public = serialization.load_der_public_key(public_der)
    chosen = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}[hash_name(algorithm)]
    if algorithm.startswith("RSASSA_PSS_"):
        public.verify(signature, message, padding.PSS(padding.MGF1(chosen), chosen.digest_size), chosen)
    elif algorithm.startswith("RSASSA_PKCS1_V1_5_"):
        public.verify(signature, message, padding.PKCS1v15(), chosen)
    else:
        public.verify(signature, message, ec.ECDSA(chosen))


def assert_invalid_signature(*args: object, **kwargs: object) -> None:
    with pytest.raises(ServiceError) as caught:
        verify(*args, **kwargs)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.message) == ("KMSInvalidSignatureException", None)


def openssl_verify_args(algorithm: str, digest_mode: bool) -> list[str]:
    """openssl arguments verifying a signature from pub.der over `data` (message, or digest in DIGEST mode)."""
    pss = algorithm.startswith("RSASSA_PSS_")
    if digest_mode:
        args = ["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "pub.der", "-in", "data"]
        args += ["-sigfile", "sig", "-pkeyopt", f"digest:{hash_name(algorithm)}"]
        if pss:
            args += ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:digest"]
        return args
    args = ["dgst", f"-{hash_name(algorithm)}", "-keyform", "DER", "-verify", "pub.der", "-signature", "sig"]
    if pss:
        args += ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:digest"]
    return [*args, "data"]


@pytest.mark.parametrize(("key_spec", "algorithm"), HASHED_CASES)
def test_raw_signatures_verify_everywhere(material, openssl, key_spec: str, algorithm: str) -> None:
    key = material(key_spec)
    public = public_key_der(key_spec, key)
    signature = sign(key_spec, key, algorithm, MESSAGE, "RAW")
    verify(key_spec, key, algorithm, MESSAGE, signature, "RAW")
    verify(key_spec, public, algorithm, MESSAGE, signature, "RAW")
    independent_verify(public, algorithm, signature, MESSAGE)
    result = openssl(openssl_verify_args(algorithm, False), {"pub.der": public, "sig": signature, "data": MESSAGE})
    assert result.returncode == 0, result.stderr
    # and openssl refuses it for another message, so the check above means something
    result = openssl(openssl_verify_args(algorithm, False), {"data": MESSAGE + b"!"})
    assert result.returncode != 0


@pytest.mark.parametrize(("key_spec", "algorithm"), HASHED_CASES)
def test_digest_signatures_are_signatures_of_the_message(material, openssl, key_spec: str, algorithm: str) -> None:
    key = material(key_spec)
    public = public_key_der(key_spec, key)
    message_digest = digest(algorithm, MESSAGE)
    signature = sign(key_spec, key, algorithm, message_digest, "DIGEST")
    verify(key_spec, public, algorithm, message_digest, signature, "DIGEST")
    verify(key_spec, public, algorithm, MESSAGE, signature, "RAW")
    independent_verify(public, algorithm, signature, MESSAGE)
    files = {"pub.der": public, "sig": signature, "data": message_digest}
    result = openssl(openssl_verify_args(algorithm, True), files)
    assert result.returncode == 0, result.stderr
    # a RAW signature verifies in DIGEST mode too
    verify(key_spec, public, algorithm, message_digest, sign(key_spec, key, algorithm, MESSAGE), "DIGEST")


@pytest.mark.parametrize(("key_spec", "algorithm"), HASHED_CASES)
def test_false_signatures_raise(material, key_spec: str, algorithm: str) -> None:
    key = material(key_spec)
    signature = sign(key_spec, key, algorithm, MESSAGE)
    assert_invalid_signature(key_spec, key, algorithm, MESSAGE + b".", signature)
    altered = bytearray(signature)
    altered[len(altered) // 2] ^= 0x04
    assert_invalid_signature(key_spec, key, algorithm, MESSAGE, bytes(altered))
    assert_invalid_signature(key_spec, key, algorithm, MESSAGE, signature[:-1])
    assert_invalid_signature(key_spec, key, algorithm, MESSAGE, b"\x30\x00")
    assert_invalid_signature(key_spec, key, algorithm, digest(algorithm, MESSAGE + b"."), signature, "DIGEST")


def test_ecdsa_signatures_are_der(material) -> None:
    signature = sign("ECC_NIST_P256", material("ECC_NIST_P256"), "ECDSA_SHA_256", MESSAGE)
    assert signature[0] == 0x30 and signature[1] == len(signature) - 2


def test_ed25519(material, openssl) -> None:
    key = material("ECC_NIST_EDWARDS25519")
    public = public_key_der("ECC_NIST_EDWARDS25519", key)
    signature = sign("ECC_NIST_EDWARDS25519", key, "ED25519_SHA_512", MESSAGE, "RAW")
    assert len(signature) == 64
    verify("ECC_NIST_EDWARDS25519", public, "ED25519_SHA_512", MESSAGE, signature)
    serialization.load_der_public_key(public).verify(signature, MESSAGE)
    args = ["pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", "pub.der", "-rawin", "-in", "data"]
    result = openssl([*args, "-sigfile", "sig"], {"pub.der": public, "sig": signature, "data": MESSAGE})
    assert result.returncode == 0, result.stderr
    assert_invalid_signature("ECC_NIST_EDWARDS25519", public, "ED25519_SHA_512", MESSAGE[1:], signature)


def test_ed25519ph_is_refused(material) -> None:
    # `cryptography` offers no Ed25519ph; refuse rather than sign something else.
    with pytest.raises(ServiceError) as caught:
        sign("ECC_NIST_EDWARDS25519", material("ECC_NIST_EDWARDS25519"), "ED25519_PH_SHA_512", b"\0" * 64, "DIGEST")
    assert caught.value.code == "UnsupportedOperationException"


@pytest.mark.parametrize("key_spec", sorted(ML_DSA_SIZES))
def test_ml_dsa(material, key_spec: str) -> None:
    key = material(key_spec)
    public = public_key_der(key_spec, key)
    public_key = serialization.load_der_public_key(public)
    raw_public = public_key.public_bytes_raw()
    assert len(raw_public) == ML_DSA_SIZES[key_spec][0]
    signature = sign(key_spec, key, "ML_DSA_SHAKE_256", MESSAGE, "RAW")
    assert len(signature) == ML_DSA_SIZES[key_spec][1]
    verify(key_spec, public, "ML_DSA_SHAKE_256", MESSAGE, signature)
    public_key.verify(signature, MESSAGE)
    assert_invalid_signature(key_spec, public, "ML_DSA_SHAKE_256", MESSAGE + b"x", signature)
    # FIPS 204, algorithm 7: mu = SHAKE256(SHAKE256(pk, 64) || 0x00 || len(ctx)=0 || M, 64)
    tr = hashlib.shake_256(raw_public).digest(64)
    mu = hashlib.shake_256(tr + b"\x00\x00" + MESSAGE).digest(64)
    mu_signature = sign(key_spec, key, "ML_DSA_SHAKE_256", mu, "EXTERNAL_MU")
    public_key.verify(mu_signature, MESSAGE)
    verify(key_spec, public, "ML_DSA_SHAKE_256", MESSAGE, mu_signature, "RAW")
    verify(key_spec, public, "ML_DSA_SHAKE_256", mu, signature, "EXTERNAL_MU")


def test_independent_verifier_is_strict(material) -> None:
    key = material("ECC_NIST_P384")
    signature = sign("ECC_NIST_P384", key, "ECDSA_SHA_384", MESSAGE)
    with pytest.raises(InvalidSignature):
        independent_verify(public_key_der("ECC_NIST_P384", key), "ECDSA_SHA_384", signature, MESSAGE[:-1])


@pytest.mark.parametrize(
    ("key_spec", "algorithm", "message_type", "message", "code", "text"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_256", "DIGEST", b"\0" * 31, "ValidationException",
         "Digest is invalid length for algorithm ECDSA_SHA_256."),
        ("ECC_NIST_P256", "ECDSA_SHA_384", "RAW", MESSAGE, "InvalidKeyUsageException",
         "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256."),
        ("RSA_2048", "RSAES_OAEP_SHA_256", "RAW", MESSAGE, "InvalidKeyUsageException",
         "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec RSA_2048."),
        ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "DIGEST", b"\0" * 64, "ValidationException",
         "Message type DIGEST is incompatible with algorithm ED25519_SHA_512."),
        ("ML_DSA_44", "ML_DSA_SHAKE_256", "DIGEST", b"\0" * 64, "ValidationException",
         "Message type DIGEST is incompatible with key spec ML_DSA_44."),
    ],
)  # fmt: skip
def test_sign_refusals(material, key_spec, algorithm, message_type, message, code, text) -> None:
    for call, extra in ((sign, ()), (verify, (b"\x30\x00",))):
        with pytest.raises(ServiceError) as caught:
            if call is sign:
                sign(key_spec, material(key_spec), algorithm, message, message_type)
            else:
                verify(key_spec, material(key_spec), algorithm, message, *extra, message_type)
        assert (caught.value.code, caught.value.message) == (code, text)


def test_material_of_another_spec_is_an_internal_error(material) -> None:
    with pytest.raises(ServiceError) as caught:
        sign("ECC_NIST_P384", material("ECC_NIST_P256"), "ECDSA_SHA_384", MESSAGE)
    assert caught.value.code == "KMSInternalException"
