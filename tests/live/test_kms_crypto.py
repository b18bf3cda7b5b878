"""KMS cryptographic operations over boto3, checked against local cryptography where it can be."""

from __future__ import annotations

import hashlib
import os

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .helpers import error_of

FOREIGN_TEXT = ("The ciphertext refers to a customer master key that does not exist, does not exist in this region, "
                "or you are not allowed to access.")


@pytest.fixture()
def symmetric(kms):
    return kms.create_key()["KeyMetadata"]


def test_envelope_encryption_and_decrypt_without_key_id(kms, symmetric):
    data_key = kms.generate_data_key(KeyId=symmetric["KeyId"], KeySpec="AES_256",
                                     EncryptionContext={"purpose": "envelope"})
    assert data_key["KeyId"] == symmetric["Arn"]
    assert data_key["KeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    assert len(data_key["Plaintext"]) == 32
    nonce = os.urandom(12)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, b"the payload", None)
    unwrapped = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"purpose": "envelope"})
    assert unwrapped["KeyId"] == symmetric["Arn"]
    assert unwrapped["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert unwrapped["KeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    assert AESGCM(unwrapped["Plaintext"]).decrypt(nonce, sealed, None) == b"the payload"
    without = kms.generate_data_key_without_plaintext(KeyId=symmetric["Arn"], NumberOfBytes=64)
    assert "Plaintext" not in without
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 64
    assert len(kms.generate_data_key(KeyId=symmetric["KeyId"], KeySpec="AES_128")["Plaintext"]) == 16


def test_generate_data_key_needs_spec_or_length(kms, symmetric):
    for extra in ({}, {"KeySpec": "AES_256", "NumberOfBytes": 32}):
        with pytest.raises(ClientError) as excinfo:
            kms.generate_data_key(KeyId=symmetric["KeyId"], **extra)
        assert error_of(excinfo) == ("ValidationException", "Please specify either number of bytes or key spec.")


def test_encrypt_decrypt_context_tampering_and_wrong_key(kms, symmetric):
    alias = f"alias/crypto-{symmetric['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=symmetric["KeyId"])
    context = {"tenant": "a", "order": "1"}
    encrypted = kms.encrypt(KeyId=alias, Plaintext=b"secret", EncryptionContext=context)
    assert (encrypted["KeyId"], encrypted["EncryptionAlgorithm"]) == (symmetric["Arn"], "SYMMETRIC_DEFAULT")
    blob = encrypted["CiphertextBlob"]
    reordered = {"order": "1", "tenant": "a"}
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext=reordered, KeyId=alias)["Plaintext"] == b"secret"
    for wrong in ({}, {"tenant": "a"}, {"tenant": "A", "order": "1"}, {**context, "extra": ""}):
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=blob, EncryptionContext=wrong)
        assert error_of(excinfo)[0] == "InvalidCiphertextException"
        assert "message" not in excinfo.value.response and not excinfo.value.response["Error"].get("Message")
    for index in (0, 10, 60, len(blob) - 1):
        tampered = bytearray(blob)
        tampered[index] ^= 0x01
        with pytest.raises(ClientError) as excinfo:
            kms.decrypt(CiphertextBlob=bytes(tampered), EncryptionContext=context)
        assert error_of(excinfo)[0] in ("InvalidCiphertextException", "AccessDeniedException")
    other = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob, EncryptionContext=context, KeyId=other["KeyId"])
    assert error_of(excinfo) == (
        "IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation."
    )


def test_decrypt_of_a_foreign_ciphertext(server, kms):
    europe = server.client("kms", region="eu-west-1")
    blob = europe.encrypt(KeyId=europe.create_key()["KeyMetadata"]["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == ("AccessDeniedException", FOREIGN_TEXT)
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=b"not a ciphertext at all")
    assert error_of(excinfo)[0] == "InvalidCiphertextException"


def test_re_encrypt(kms, symmetric):
    target = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"moving", EncryptionContext={"a": "1"})["CiphertextBlob"]
    moved = kms.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"a": "1"}, DestinationKeyId=target["Arn"],
                           DestinationEncryptionContext={"b": "2"})
    assert (moved["SourceKeyId"], moved["KeyId"]) == (symmetric["Arn"], target["Arn"])
    assert moved["SourceKeyMaterialId"] == symmetric["CurrentKeyMaterialId"]
    assert moved["DestinationKeyMaterialId"] == target["CurrentKeyMaterialId"]
    assert moved["SourceEncryptionAlgorithm"] == moved["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    decrypted = kms.decrypt(CiphertextBlob=moved["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert (decrypted["Plaintext"], decrypted["KeyId"]) == (b"moving", target["Arn"])


def test_rsa_encryption(kms):
    key = kms.create_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    local = public.encrypt(b"from outside", padding.OAEP(padding.MGF1(hashes.SHA256()), hashes.SHA256(), None))
    decrypted = kms.decrypt(CiphertextBlob=local, KeyId=key["Arn"], EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert (decrypted["Plaintext"], decrypted["EncryptionAlgorithm"]) == (b"from outside", "RSAES_OAEP_SHA_256")
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"inside", EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], KeyId=key["KeyId"],
                       EncryptionAlgorithm="RSAES_OAEP_SHA_1")["Plaintext"] == b"inside"
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 215, EncryptionAlgorithm="RSAES_OAEP_SHA_1")
    assert error_of(excinfo) == (
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_1 and key spec RSA_2048 cannot encrypt data larger than 214 bytes.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."
    )
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=local)  # RSA ciphertexts name no key
    assert error_of(excinfo)[0] == "InvalidCiphertextException"


@pytest.mark.parametrize(("spec", "algorithm"), [
    ("ECC_NIST_P256", "ECDSA_SHA_256"), ("RSA_2048", "RSASSA_PSS_SHA_384"), ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256"),
    ("ECC_NIST_EDWARDS25519", "ED25519_SHA_512"), ("ML_DSA_44", "ML_DSA_SHAKE_256"),
])
def test_signatures_verify_locally_and_remotely(kms, spec, algorithm):
    key = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    public = kms.get_public_key(KeyId=key["KeyId"])
    assert (public["KeySpec"], public["KeyUsage"], public["KeyId"]) == (spec, "SIGN_VERIFY", key["Arn"])
    assert algorithm in public["SigningAlgorithms"]
    message = b"signed by strongroom"
    signed = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)
    assert (signed["KeyId"], signed["SigningAlgorithm"]) == (key["Arn"], algorithm)
    signature = signed["Signature"]
    verifier = serialization.load_der_public_key(public["PublicKey"])
    if spec.startswith("ECC_NIST_P"):
        verifier.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    elif algorithm.startswith("RSASSA_PSS"):
        verifier.verify(signature, message, padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384())
    elif algorithm.startswith("RSASSA_PKCS1"):
        verifier.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    elif spec == "ECC_NIST_EDWARDS25519":
        verifier.verify(signature, message)
    verified = kms.verify(KeyId=key["KeyId"], Message=message, Signature=signature, SigningAlgorithm=algorithm)
    assert verified["SignatureValid"] is True
    with pytest.raises(ClientError) as excinfo:
        kms.verify(KeyId=key["KeyId"], Message=message + b"!", Signature=signature, SigningAlgorithm=algorithm)
    assert error_of(excinfo)[0] == "KMSInvalidSignatureException"


def test_sign_digest_and_usage_errors(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    digest = hashlib.sha256(b"prehashed").digest()
    signature = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST",
                         SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert kms.verify(KeyId=key["KeyId"], Message=b"prehashed", Signature=signature,
                      SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"] is True
    with pytest.raises(ClientError) as excinfo:
        kms.sign(KeyId=key["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(excinfo) == ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", f"{key['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt."
    )
    symmetric = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.get_public_key(KeyId=symmetric["KeyId"])
    assert error_of(excinfo)[0] == "UnsupportedOperationException"


def test_macs(kms):
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"msg", MacAlgorithm="HMAC_SHA_256")
    assert (mac["KeyId"], mac["MacAlgorithm"], len(mac["Mac"])) == (key["Arn"], "HMAC_SHA_256", 32)
    verified = kms.verify_mac(KeyId=key["KeyId"], Message=b"msg", MacAlgorithm="HMAC_SHA_256", Mac=mac["Mac"])
    assert verified["MacValid"] is True
    with pytest.raises(ClientError) as excinfo:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"msg!", MacAlgorithm="HMAC_SHA_256", Mac=mac["Mac"])
    assert error_of(excinfo)[0] == "KMSInvalidMacException"
    with pytest.raises(ClientError) as excinfo:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"msg", MacAlgorithm="HMAC_SHA_512")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256."
    )


def test_derive_shared_secret_matches_local_ecdh(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")["KeyMetadata"]
    theirs = ec.generate_private_key(ec.SECP256R1())
    their_public = theirs.public_key().public_bytes(serialization.Encoding.DER,
                                                    serialization.PublicFormat.SubjectPublicKeyInfo)
    derived = kms.derive_shared_secret(KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=their_public)
    ours = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert derived["SharedSecret"] == theirs.exchange(ec.ECDH(), ours)
    assert (derived["KeyId"], derived["KeyAgreementAlgorithm"], derived["KeyOrigin"]) == (key["Arn"], "ECDH", "AWS_KMS")


def test_data_key_pairs(kms, symmetric):
    pair = kms.generate_data_key_pair(KeyId=symmetric["KeyId"], KeyPairSpec="ECC_NIST_P256",
                                      EncryptionContext={"k": "v"})
    assert (pair["KeyId"], pair["KeyPairSpec"]) == (symmetric["Arn"], "ECC_NIST_P256")
    private = serialization.load_der_private_key(pair["PrivateKeyPlaintext"], None)
    assert private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == pair["PublicKey"]
    unwrapped = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"], EncryptionContext={"k": "v"})
    assert unwrapped["Plaintext"] == pair["PrivateKeyPlaintext"]
    bare = kms.generate_data_key_pair_without_plaintext(KeyId=symmetric["KeyId"], KeyPairSpec="RSA_2048")
    assert "PrivateKeyPlaintext" not in bare and bare["PublicKey"]


def test_dry_run(kms, symmetric):
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"x", DryRun=True)
    assert error_of(excinfo) == (
        "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
    )
