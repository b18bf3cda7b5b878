"""Key rotation over boto3: automatic rotation by moving the server clock, on-demand rotation, status and history."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .helpers import error_of

DAY = 86400


def test_enable_disable_and_status(kms):
    key = kms.create_key()["KeyMetadata"]
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    assert "NextRotationDate" not in status
    kms.enable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    assert status["KeyId"] == key["Arn"]
    assert 364 <= (status["NextRotationDate"] - key["CreationDate"]).days <= 365
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 90
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


def test_rotation_period_bounds(server, kms):
    key = kms.create_key()["KeyMetadata"]
    unchecked = boto3.client(
        "kms", endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=server.access_key_id,
        aws_secret_access_key=server.secret_access_key, config=Config(parameter_validation=False),
    )
    for days in (89, 2561):
        with pytest.raises(ClientError) as excinfo:
            unchecked.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=days)
        code, message = error_of(excinfo)
        assert code == "ValidationException"
        assert "rotationPeriodInDays" in message


def test_rotation_refused_for_other_keys_and_states(kms):
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=signing["KeyId"])
    assert error_of(excinfo)[0] == "UnsupportedOperationException"
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=signing["KeyId"])
    assert error_of(excinfo)[0] == "UnsupportedOperationException"
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=external["KeyId"])
    assert error_of(excinfo) == (
        "UnsupportedOperationException", f"{external['Arn']} origin is EXTERNAL which is not valid for this operation."
    )
    disabled = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=disabled["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId=disabled["KeyId"])
    assert error_of(excinfo) == ("DisabledException", f"{disabled['Arn']} is disabled.")
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key_rotation(KeyId="alias/not-accepted-here")
    assert error_of(excinfo)[0] == "NotFoundException"


def test_automatic_rotation_when_the_clock_passes_the_date(server, kms):
    key = kms.create_key()["KeyMetadata"]
    first_material = key["CurrentKeyMaterialId"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    scheduled = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    before = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"written before rotation")["CiphertextBlob"]
    assert kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []
    assert server.admin("clock", {"advance_seconds": 366 * DAY})[0] == 200
    rotated = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert rotated["CurrentKeyMaterialId"] != first_material
    decrypted = kms.decrypt(CiphertextBlob=before)
    assert decrypted["Plaintext"] == b"written before rotation"
    assert decrypted["KeyMaterialId"] == first_material
    after = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"written after")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=after)["KeyMaterialId"] == rotated["CurrentKeyMaterialId"]
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [(r["KeyMaterialId"], r["RotationType"], r["KeyMaterialState"]) for r in rotations] == [
        (rotated["CurrentKeyMaterialId"], "AUTOMATIC", "CURRENT")
    ]
    assert "RotationDate" in rotations[0]
    everything = kms.list_key_rotations(KeyId=key["KeyId"], IncludeKeyMaterial="ALL_KEY_MATERIAL")["Rotations"]
    assert [(r["KeyMaterialId"], r["KeyMaterialState"]) for r in everything] == [
        (first_material, "NON_CURRENT"), (rotated["CurrentKeyMaterialId"], "CURRENT")
    ]
    # The schedule stays on its grid: the next date is a full period after the one that fell due.
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["NextRotationDate"] == scheduled + timedelta(days=365)
    assert status["NextRotationDate"] > rotations[0]["RotationDate"]


def test_on_demand_rotation_keeps_the_schedule_and_pages(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=730)
    scheduled = kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"]
    ciphertexts = []
    for index in range(3):
        ciphertexts.append(kms.encrypt(KeyId=key["KeyId"], Plaintext=bytes([index]))["CiphertextBlob"])
        assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["NextRotationDate"] == scheduled
    for index, blob in enumerate(ciphertexts):
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == bytes([index])
    first = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2)
    assert first["Truncated"] is True and len(first["Rotations"]) == 2
    rest = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2, Marker=first["NextMarker"])
    assert rest["Truncated"] is False and len(rest["Rotations"]) == 1
    rotations = first["Rotations"] + rest["Rotations"]
    assert {r["RotationType"] for r in rotations} == {"ON_DEMAND"}
    assert rotations[-1]["KeyMaterialId"] == kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["CurrentKeyMaterialId"]


def test_on_demand_rotation_limit(kms):
    key = kms.create_key()["KeyMetadata"]
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == (
        "LimitExceededException",
        "The on-demand rotations limit has been reached for the given keyId. "
        f"No more on-demand rotations can be performed for this key: {key['Arn']}",
    )


def test_disabled_key_is_not_rotated_on_demand(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")
