"""Multi-Region keys: replicas share the key id and material, have their own policy and state, and swap roles."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.helpers import error_of


def test_replicate_decrypt_across_regions_and_update_primary_region(server: Any) -> None:
    east, west = server.client("kms", region="us-east-1"), server.client("kms", region="eu-west-1")
    primary = east.create_key(MultiRegion=True, Description="primary")["KeyMetadata"]
    key_id = primary["KeyId"]
    assert key_id.startswith("mrk-")
    replica_policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "kms:*", "Resource": "*",
    }]})
    replicated = east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1", Description="replica",
                                    Policy=replica_policy, Tags=[{"TagKey": "role", "TagValue": "replica"}])
    replica = replicated["ReplicaKeyMetadata"]
    assert replica["KeyId"] == key_id and replica["Arn"] == primary["Arn"].replace("us-east-1", "eu-west-1")
    assert replica["Description"] == "replica" and replica["KeyState"] == "Enabled"
    assert replicated["ReplicaPolicy"] == replica_policy
    assert west.get_key_policy(KeyId=key_id)["Policy"] == replica_policy
    assert west.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "role", "TagValue": "replica"}]
    configuration = east.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert configuration == {
        "MultiRegionKeyType": "PRIMARY",
        "PrimaryKey": {"Arn": primary["Arn"], "Region": "us-east-1"},
        "ReplicaKeys": [{"Arn": replica["Arn"], "Region": "eu-west-1"}],
    }
    assert west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]["MultiRegionKeyType"] == "REPLICA"
    blob = east.encrypt(KeyId=key_id, Plaintext=b"everywhere", EncryptionContext={"a": "b"})["CiphertextBlob"]
    decrypted = west.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})
    assert decrypted["Plaintext"] == b"everywhere" and decrypted["KeyId"] == replica["Arn"]
    back = west.encrypt(KeyId=key_id, Plaintext=b"back")["CiphertextBlob"]
    assert east.decrypt(CiphertextBlob=back)["Plaintext"] == b"back"
    # The replica's state is its own.
    west.disable_key(KeyId=key_id)
    assert east.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"] == primary["Arn"]
    west.enable_key(KeyId=key_id)
    with pytest.raises(ClientError) as excinfo:
        east.replicate_key(KeyId=key_id, ReplicaRegion="eu-west-1")
    assert error_of(excinfo)[0] == "AlreadyExistsException"
    with pytest.raises(ClientError) as excinfo:
        west.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")
    assert error_of(excinfo) == (
        "UnsupportedOperationException", f"{replica['Arn']} is not a multi-region primary key."
    )
    single = east.create_key()["KeyMetadata"]
    assert "MultiRegionConfiguration" not in single
    with pytest.raises(ClientError) as excinfo:
        east.replicate_key(KeyId=single["KeyId"], ReplicaRegion="eu-west-1")
    assert error_of(excinfo)[0] == "UnsupportedOperationException"
    east.update_primary_region(KeyId=key_id, PrimaryRegion="eu-west-1")
    after = west.describe_key(KeyId=key_id)["KeyMetadata"]["MultiRegionConfiguration"]
    assert after["MultiRegionKeyType"] == "PRIMARY" and after["PrimaryKey"]["Region"] == "eu-west-1"
    assert after["ReplicaKeys"] == [{"Arn": primary["Arn"], "Region": "us-east-1"}]


def test_a_primary_with_replicas_waits_for_their_deletion(server: Any) -> None:
    east = server.client("kms", region="us-east-1")
    west = server.client("kms", region="us-west-2")
    key_id = east.create_key(MultiRegion=True)["KeyMetadata"]["KeyId"]
    east.replicate_key(KeyId=key_id, ReplicaRegion="us-west-2")
    scheduled = east.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingReplicaDeletion" and "DeletionDate" not in scheduled
    with pytest.raises(ClientError) as excinfo:
        east.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_of(excinfo)[0] == "KMSInvalidStateException"
    assert west.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"].startswith("arn:aws:kms:us-west-2:")
    assert west.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)["KeyState"] == "PendingDeletion"
