"""KMS used by another service as its caller: the AWS managed key appears on first use and stays AWS's."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.kms_principals import denied


def test_first_secure_string_makes_the_aws_managed_key(server: Any) -> None:
    ssm, kms = server.client("ssm", region="ap-southeast-2"), server.client("kms", region="ap-southeast-2")
    name = f"/kms-internal/{uuid.uuid4().hex}"
    try:
        ssm.put_parameter(Name=name, Value="s3cret", Type="SecureString")
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NotImplemented", "UnknownServiceException"):
            pytest.skip("SSM Parameter Store is not served by this build")
        raise
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    metadata = kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]
    assert metadata["KeyManager"] == "AWS" and metadata["KeyState"] == "Enabled"
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/ssm"]
    assert [a["TargetKeyId"] for a in aliases] == [metadata["KeyId"]]
    # Customers may read it but not change, disable, delete or use it directly.
    assert denied(kms.schedule_key_deletion, KeyId=metadata["KeyId"]).endswith(
        "because no resource-based policy allows the kms:ScheduleKeyDeletion action")
    denied(kms.disable_key, KeyId=metadata["KeyId"])
    denied(kms.put_key_policy, KeyId=metadata["KeyId"], Policy="{}", BypassPolicyLockoutSafetyCheck=True)
    denied(kms.encrypt, KeyId="alias/aws/ssm", Plaintext=b"x")
    ssm.put_parameter(Name=f"{name}-2", Value="again", Type="SecureString")
    assert kms.describe_key(KeyId="alias/aws/ssm")["KeyMetadata"]["KeyId"] == metadata["KeyId"]


def test_the_kms_call_made_for_a_request_is_stored_before_it_answers(server: Any) -> None:
    """AWS records KMS calls a service makes on the caller's behalf; ours are committed with the
    calling request's own record, so both are in the store when the answer arrives."""
    from tests.live.helpers import audit_records

    ssm = server.client("ssm")
    name = f"/kms-internal/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=name, Value="recorded", Type="SecureString")
    reply = ssm.get_parameter(Name=name, WithDecryption=True)
    records = audit_records(server, reply["ResponseMetadata"]["RequestId"])
    by_source = {record["eventSource"]: record for record in records}
    assert set(by_source) == {"ssm.amazonaws.com", "kms.amazonaws.com"}
    assert by_source["ssm.amazonaws.com"]["eventName"] == "GetParameter"
    decrypt = by_source["kms.amazonaws.com"]
    assert decrypt["eventName"] == "Decrypt"
    assert decrypt["sourceIPAddress"] == "ssm.amazonaws.com"
    assert "Plaintext" not in json.dumps(decrypt["responseElements"] or {})
