"""Raw cryptographic primitives, one thin call each over `cryptography` (pyca) and the OS's randomness.

WARNING: nothing here checks key specs, algorithms, lengths or AWS's rules, and failures surface as the
underlying library's exceptions. Call these only from the recipe modules of this package
(`ciphertext`, `asymmetric`, `mac`, `agreement`, `material`), which validate inputs and turn every
failure into the KMS error AWS would answer.
"""

from __future__ import annotations

import functools
import os

from cryptography.hazmat.primitives import constant_time, hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, padding, rsa, utils
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_1": hashes.SHA1,
    "SHA_224": hashes.SHA224,
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}

CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}


def random_bytes(length: int) -> bytes:
    return os.urandom(length)


_SHA256 = hashes.SHA256()


def hkdf_sha256(key_material: bytes, *, salt: bytes, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869); an empty salt is HashLen zero bytes (RFC 5869 2.2)."""
    if not 0 < length <= 255 * _SHA256.digest_size:
        raise ValueError(f"HKDF-SHA256 cannot derive {length} bytes.")
    return HKDF(algorithm=_SHA256, length=length, salt=salt or None, info=info).derive(key_material)


def aes_gcm_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Ciphertext followed by the 16-byte tag."""
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def aes_gcm_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Raises cryptography.exceptions.InvalidTag when anything was altered."""
    return AESGCM(key).decrypt(nonce, sealed, aad)


# Parsing a DER private key (RSA above all, which is checked on load) costs far more than using it;
# the service hands us the same few keys over and over.
@functools.lru_cache(maxsize=256)
def load_private_der(material: bytes) -> PrivateKeyTypes:
    return serialization.load_der_private_key(material, password=None)


@functools.lru_cache(maxsize=256)
def load_public_der(der: bytes) -> PublicKeyTypes:
    return serialization.load_der_public_key(der)


def private_pkcs8_der(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_spki_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def generate_rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def generate_ec(curve: type[ec.EllipticCurve]) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve())


def generate_ed25519() -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.generate()


ML_DSA_KEYS: dict[str, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]] = {
    "ML_DSA_44": mldsa.MLDSA44PrivateKey,
    "ML_DSA_65": mldsa.MLDSA65PrivateKey,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey,
}
ML_DSA_PUBLIC_KEYS: dict[str, type[mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey]] = {
    "ML_DSA_44": mldsa.MLDSA44PublicKey,
    "ML_DSA_65": mldsa.MLDSA65PublicKey,
    "ML_DSA_87": mldsa.MLDSA87PublicKey,
}
# `cryptography` has no ML-KEM-512.
ML_KEM_KEYS: dict[str, type[mlkem.MLKEM768PrivateKey | mlkem.MLKEM1024PrivateKey]] = {
    "ML_KEM_768": mlkem.MLKEM768PrivateKey,
    "ML_KEM_1024": mlkem.MLKEM1024PrivateKey,
}


def rsa_oaep_encrypt(key: rsa.RSAPublicKey, hash_name: str, plaintext: bytes) -> bytes:
    return key.encrypt(plaintext, _oaep(hash_name))


def rsa_oaep_decrypt(key: rsa.RSAPrivateKey, hash_name: str, ciphertext: bytes) -> bytes:
    return key.decrypt(ciphertext, _oaep(hash_name))


def _oaep(hash_name: str) -> padding.OAEP:
    # MGF1 uses the same hash as the label digest, as KMS does.
    algorithm = HASHES[hash_name]()
    return padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)


def _rsa_padding(scheme: str, hash_name: str) -> padding.AsymmetricPadding:
    if scheme == "PSS":
        # KMS: MGF1 with the message hash, salt as long as the hash.
        return padding.PSS(mgf=padding.MGF1(HASHES[hash_name]()), salt_length=padding.PSS.DIGEST_LENGTH)
    return padding.PKCS1v15()


# The algorithm objects are immutable descriptions, built once per (hash, prehashed) rather than per signature.
@functools.lru_cache(maxsize=32)
def _hash_arg(hash_name: str, prehashed: bool) -> hashes.HashAlgorithm | utils.Prehashed:
    algorithm = HASHES[hash_name]()
    return utils.Prehashed(algorithm) if prehashed else algorithm


@functools.lru_cache(maxsize=32)
def _ecdsa(hash_name: str, prehashed: bool) -> ec.ECDSA:
    return ec.ECDSA(_hash_arg(hash_name, prehashed))


def rsa_sign(key: rsa.RSAPrivateKey, scheme: str, hash_name: str, data: bytes, *, prehashed: bool) -> bytes:
    return key.sign(data, _rsa_padding(scheme, hash_name), _hash_arg(hash_name, prehashed))


def rsa_verify(
    key: rsa.RSAPublicKey, scheme: str, hash_name: str, signature: bytes, data: bytes, *, prehashed: bool
) -> None:
    """Raises cryptography.exceptions.InvalidSignature."""
    key.verify(signature, data, _rsa_padding(scheme, hash_name), _hash_arg(hash_name, prehashed))


def ecdsa_sign(key: ec.EllipticCurvePrivateKey, hash_name: str, data: bytes, *, prehashed: bool) -> bytes:
    """DER-encoded ECDSA-Sig-Value, the form KMS returns."""
    return key.sign(data, _ecdsa(hash_name, prehashed))


def ecdsa_verify(
    key: ec.EllipticCurvePublicKey, hash_name: str, signature: bytes, data: bytes, *, prehashed: bool
) -> None:
    key.verify(signature, data, _ecdsa(hash_name, prehashed))


def ed25519_sign(key: ed25519.Ed25519PrivateKey, data: bytes) -> bytes:
    return key.sign(data)


def ed25519_verify(key: ed25519.Ed25519PublicKey, signature: bytes, data: bytes) -> None:
    key.verify(signature, data)


def ml_dsa_sign(
    key: mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey, data: bytes, *, external_mu: bool
) -> bytes:
    # Pure ML-DSA with the empty context string, or over a caller-computed mu (FIPS 204, 6.2).
    return key.sign_mu(data) if external_mu else key.sign(data)


def ml_dsa_verify(
    key: mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey,
    signature: bytes,
    data: bytes,
    *,
    external_mu: bool,
) -> None:
    if external_mu:
        key.verify_mu(signature, data)
    else:
        key.verify(signature, data)


def hmac_digest(key: bytes, hash_name: str, message: bytes) -> bytes:
    """HMAC (RFC 2104) with one of HASHES ("SHA_256", ...)."""
    mac = hmac.HMAC(key, HASHES[hash_name]())
    mac.update(message)
    return mac.finalize()


def constant_time_equal(left: bytes, right: bytes) -> bool:
    return constant_time.bytes_eq(left, right)


def ecdh(private_key: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey) -> bytes:
    """The raw shared secret: the x-coordinate of d*Q, as long as the field (cofactor 1 on NIST curves)."""
    return private_key.exchange(ec.ECDH(), peer)
