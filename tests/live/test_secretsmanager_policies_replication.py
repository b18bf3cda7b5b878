"""Secrets Manager resource policies (validated and enforced) and replication to other regions, over boto3."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of


def unique(prefix: str = "pol") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def policy(effect: str, principal: object, action: str = "secretsmanager:GetSecretValue", **extra: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": effect, "Principal": principal, "Action": action, "Resource": "*", **extra}
    ]})


def test_resource_policy_lifecycle_and_enforcement(sm):
    name = unique()
    created = sm.create_secret(Name=name, SecretString="guarded")
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    deny = policy("Deny", {"AWS": "*"})
    put = sm.put_resource_policy(SecretId=name, ResourcePolicy=deny)
    assert (put["ARN"], put["Name"]) == (created["ARN"], name)
    assert json.loads(sm.get_resource_policy(SecretId=name)["ResourcePolicy"]) == json.loads(deny)
    # An explicit Deny in the secret's policy stops even the account root.
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=name)
    assert error_of(excinfo)[0] == "AccessDeniedException"
    batch = sm.batch_get_secret_value(SecretIdList=[name])
    assert batch["SecretValues"] == [] and batch["Errors"][0]["ErrorCode"] == "AccessDeniedException"
    assert sm.describe_secret(SecretId=name)["Name"] == name
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "guarded"


def test_block_public_policy_malformed_and_validate(sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    public = policy("Allow", "*")
    with pytest.raises(ClientError) as excinfo:
        sm.put_resource_policy(SecretId=name, ResourcePolicy=public, BlockPublicPolicy=True)
    assert error_of(excinfo)[0] == "PublicPolicyException"
    narrowed = policy("Allow", "*", Condition={"StringEquals": {"aws:PrincipalAccount": "123456789012"}})
    sm.put_resource_policy(SecretId=name, ResourcePolicy=narrowed, BlockPublicPolicy=True)
    with pytest.raises(ClientError) as excinfo:
        sm.put_resource_policy(SecretId=name, ResourcePolicy="{not json")
    assert error_of(excinfo)[0] == "MalformedPolicyDocumentException"
    assert sm.validate_resource_policy(ResourcePolicy=narrowed)["PolicyValidationPassed"] is True
    failed = sm.validate_resource_policy(SecretId=name, ResourcePolicy='{"Version": "2012-10-17"}')
    assert failed["PolicyValidationPassed"] is False and failed["ValidationErrors"]
    with pytest.raises(ClientError) as excinfo:
        sm.get_resource_policy(SecretId=unique("missing"))
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_replication_follows_the_primary(server, sm):
    name = unique("repl")
    west = server.client("secretsmanager", region="us-west-2")
    created = sm.create_secret(Name=name, SecretString="first", AddReplicaRegions=[{"Region": "us-west-2"}])
    assert created["ReplicationStatus"][0]["Region"] == "us-west-2"
    assert created["ReplicationStatus"][0]["Status"] == "InSync"
    described = sm.describe_secret(SecretId=name)
    assert described["PrimaryRegion"] == "us-east-1"
    assert [entry["Region"] for entry in described["ReplicationStatus"]] == ["us-west-2"]
    replica = west.get_secret_value(SecretId=name)
    assert replica["SecretString"] == "first"
    assert replica["ARN"] == created["ARN"].replace("us-east-1", "us-west-2")
    assert west.describe_secret(SecretId=name)["PrimaryRegion"] == "us-east-1"
    # Changes to the primary reach the replica, re-encrypted under that region's key.
    sm.put_secret_value(SecretId=name, SecretString="second")
    sm.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}])
    assert west.get_secret_value(SecretId=name)["SecretString"] == "second"
    assert west.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "first"
    assert west.describe_secret(SecretId=name)["Tags"] == [{"Key": "k", "Value": "v"}]
    # Writes to a replica are refused, and a primary with replicas can't be deleted.
    with pytest.raises(ClientError) as excinfo:
        west.put_secret_value(SecretId=name, SecretString="nope")
    assert error_of(excinfo)[0] == "InvalidRequestException"
    with pytest.raises(ClientError) as excinfo:
        sm.delete_secret(SecretId=name)
    assert error_of(excinfo)[0] == "InvalidRequestException"
    # A second region, then removing it; then the first replica becomes standalone.
    added = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert sorted(entry["Region"] for entry in added["ReplicationStatus"]) == ["eu-west-1", "us-west-2"]
    removed = sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
    assert [entry["Region"] for entry in removed["ReplicationStatus"]] == ["us-west-2"]
    with pytest.raises(ClientError) as excinfo:
        server.client("secretsmanager", region="eu-west-1").describe_secret(SecretId=name)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    stopped = west.stop_replication_to_replica(SecretId=name)
    assert stopped["ARN"] == replica["ARN"]
    west.put_secret_value(SecretId=name, SecretString="independent")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "second"
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    with pytest.raises(ClientError) as excinfo:
        sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "us-east-1"}])
    assert error_of(excinfo)[0] == "InvalidParameterException"
