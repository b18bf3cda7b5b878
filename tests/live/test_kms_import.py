"""Imported key material over boto3, wrapped locally with `cryptography` as AWS's import guide describes."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.keywrap import aes_key_wrap_with_padding

from .helpers import error_of

DAY = 86400
HASHES = {"SHA_1": hashes.SHA1, "SHA_256": hashes.SHA256}


def wrap(public_der: bytes, algorithm: str, material: bytes) -> bytes:
    """What a user does with the PublicKey from GetParametersForImport."""
    public = serialization.load_der_public_key(public_der)
    digest = HASHES["SHA_" + algorithm.rsplit("_", 1)[-1]]
    oaep = padding.OAEP(mgf=padding.MGF1(digest()), algorithm=digest(), label=None)
    if algorithm.startswith("RSAES_OAEP"):
        return public.encrypt(material, oaep)
    aes_key = os.urandom(32)
    return public.encrypt(aes_key, oaep) + aes_key_wrap_with_padding(aes_key, material)


def import_material(kms, key_id: str, material: bytes, algorithm: str = "RSAES_OAEP_SHA_256", **extra):
    parameters = kms.get_parameters_for_import(KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec="RSA_2048")
    return kms.import_key_material(
        KeyId=key_id, ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap(parameters["PublicKey"], algorithm, material), **extra,
    )


def no_expiry() -> dict[str, str]:
    return {"ExpirationModel": "KEY_MATERIAL_DOES_NOT_EXPIRE"}


@pytest.mark.parametrize("algorithm", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1",
                                       "RSA_AES_KEY_WRAP_SHA_256"])
def test_import_symmetric_material_and_use_it(kms, algorithm):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert key["KeyState"] == "PendingImport" and key["Enabled"] is False
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is pending import.")
    parameters = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm=algorithm,
                                               WrappingKeySpec="RSA_2048")
    assert parameters["KeyId"] == key["Arn"]
    public = serialization.load_der_public_key(parameters["PublicKey"])
    assert public.key_size == 2048
    assert timedelta(hours=23) < parameters["ParametersValidTo"] - key["CreationDate"] <= timedelta(hours=25)
    material = os.urandom(32)
    answer = kms.import_key_material(
        KeyId=key["KeyId"], ImportToken=parameters["ImportToken"],
        EncryptedKeyMaterial=wrap(parameters["PublicKey"], algorithm, material), **no_expiry(),
    )
    assert answer["KeyId"] == key["Arn"]
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "Enabled"
    assert described["ExpirationModel"] == "KEY_MATERIAL_DOES_NOT_EXPIRE"
    assert "ValidTo" not in described
    assert described["CurrentKeyMaterialId"] == answer["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"imported")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"imported"


def test_import_hmac_and_signing_material(kms):
    hmac_key = kms.create_key(Origin="EXTERNAL", KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    secret = os.urandom(32)
    import_material(kms, hmac_key["KeyId"], secret, **no_expiry())
    mac = kms.generate_mac(KeyId=hmac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
    from cryptography.hazmat.primitives import hmac as local_hmac
    check = local_hmac.HMAC(secret, hashes.SHA256())
    check.update(b"m")
    assert check.finalize() == mac
    signing = kms.create_key(Origin="EXTERNAL", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    private = ec.generate_private_key(ec.SECP256R1())
    pkcs8 = private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    import_material(kms, signing["KeyId"], pkcs8, "RSA_AES_KEY_WRAP_SHA_256", **no_expiry())
    signature = kms.sign(KeyId=signing["KeyId"], Message=b"hello", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    private.public_key().verify(signature, b"hello", ec.ECDSA(hashes.SHA256()))


def test_parameters_refused(kms):
    generated = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.get_parameters_for_import(KeyId=generated["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    assert error_of(excinfo) == (
        "UnsupportedOperationException", f"{generated['Arn']} origin is AWS_KMS which is not valid for this operation."
    )
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.get_parameters_for_import(KeyId=external["KeyId"], WrappingAlgorithm="RSAES_PKCS1_V1_5",
                                      WrappingKeySpec="RSA_2048")
    assert error_of(excinfo)[0] == "ValidationException"
    rsa_key = kms.create_key(Origin="EXTERNAL", KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.get_parameters_for_import(KeyId=rsa_key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                      WrappingKeySpec="RSA_2048")
    assert error_of(excinfo)[0] == "ValidationException"


def test_tokens_expiry_model_and_bad_material(server, kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    other = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    parameters = kms.get_parameters_for_import(KeyId=key["KeyId"], WrappingAlgorithm="RSAES_OAEP_SHA_256",
                                               WrappingKeySpec="RSA_2048")
    wrapped = wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(32))
    with pytest.raises(ClientError) as excinfo:
        kms.import_key_material(KeyId=other["KeyId"], ImportToken=parameters["ImportToken"],
                                EncryptedKeyMaterial=wrapped, **no_expiry())
    assert error_of(excinfo)[0] == "InvalidImportTokenException"
    with pytest.raises(ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=wrapped)
    assert error_of(excinfo) == (
        "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
    )
    with pytest.raises(ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=wrapped,
                                ValidTo=datetime.now(UTC) + timedelta(days=400))
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=parameters["ImportToken"],
                                EncryptedKeyMaterial=os.urandom(256), **no_expiry())
    assert error_of(excinfo)[0] == "InvalidCiphertextException"
    short = wrap(parameters["PublicKey"], "RSAES_OAEP_SHA_256", os.urandom(16))
    with pytest.raises(ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=short,
                                **no_expiry())
    assert error_of(excinfo)[0] == "ValidationException"
    assert server.admin("clock", {"advance_seconds": DAY + 60})[0] == 200
    with pytest.raises(ClientError) as excinfo:
        kms.import_key_material(KeyId=key["KeyId"], ImportToken=parameters["ImportToken"], EncryptedKeyMaterial=wrapped,
                                **no_expiry())
    assert error_of(excinfo)[0] == "ExpiredImportTokenException"


def test_expiry_delete_and_reimport(server, kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    material = os.urandom(32)
    status, clock = server.admin("clock")
    assert status == 200
    now = datetime.fromisoformat(clock["now"])
    valid_to = (now + timedelta(days=30)).replace(microsecond=0)
    first = import_material(kms, key["KeyId"], material, ValidTo=valid_to, ExpirationModel="KEY_MATERIAL_EXPIRES")
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["ExpirationModel"] == "KEY_MATERIAL_EXPIRES"
    assert described["ValidTo"] == valid_to
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before expiry")["CiphertextBlob"]
    assert server.admin("clock", {"advance_seconds": 31 * DAY})[0] == 200
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    with pytest.raises(ClientError) as excinfo:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is pending import.")
    with pytest.raises(ClientError) as excinfo:
        import_material(kms, key["KeyId"], os.urandom(32), **no_expiry())
    assert error_of(excinfo)[0] == "IncorrectKeyMaterialException"
    again = import_material(kms, key["KeyId"], material, **no_expiry())
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"
    deleted = kms.delete_imported_key_material(KeyId=key["KeyId"])
    assert deleted == {"KeyId": key["Arn"], "KeyMaterialId": first["KeyMaterialId"],
                       "ResponseMetadata": deleted["ResponseMetadata"]}
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingImport"
    rotations = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["ImportState"]) for r in rotations] == [(first["KeyMaterialId"], "PENDING_IMPORT")]
    import_material(kms, key["KeyId"], material, **no_expiry())
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before expiry"
    generated = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.delete_imported_key_material(KeyId=generated["KeyId"])
    assert error_of(excinfo) == (
        "UnsupportedOperationException", f"{generated['Arn']} origin is AWS_KMS which is not valid for this operation."
    )


def test_new_material_waits_for_on_demand_rotation(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    first = import_material(kms, key["KeyId"], os.urandom(32), **no_expiry())
    old_blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "KMSInvalidStateException", f"No available key material pending rotation for the key: {key['Arn']}."
    )
    second = import_material(kms, key["KeyId"], os.urandom(32), ImportType="NEW_KEY_MATERIAL", **no_expiry())
    states = {r["KeyMaterialId"]: r["KeyMaterialState"] for r in kms.list_key_rotations(
        KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]}
    assert states == {first["KeyMaterialId"]: "CURRENT", second["KeyMaterialId"]: "PENDING_ROTATION"}
    with pytest.raises(ClientError) as excinfo:
        import_material(kms, key["KeyId"], os.urandom(32), ImportType="NEW_KEY_MATERIAL", **no_expiry())
    assert error_of(excinfo)[0] == "KMSInvalidStateException"
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"] == second["KeyMaterialId"]
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"], r["ImportState"]) for r in rotations] == [
        (second["KeyMaterialId"], "ON_DEMAND", "IMPORTED")
    ]
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
