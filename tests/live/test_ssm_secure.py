"""SecureString parameters: encrypted through KMS with the caller's permissions, stored only as ciphertext."""

from __future__ import annotations

import base64
import json
import uuid

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from .helpers import error_of


def unique() -> str:
    return f"/secure-{uuid.uuid4().hex[:10]}/password"


def user_clients(server, statements):
    """A fresh IAM user with one inline policy: its SSM client."""
    iam = server.client("iam")
    name = f"ssm-user-{uuid.uuid4().hex[:10]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": statements}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("ssm", endpoint_url=server.endpoint, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                        config=Config(retries={"max_attempts": 1}))


def stored_bytes(server) -> bytes:
    """Everything the store holds on disk (SQLite), or every SSM and audit row (PostgreSQL)."""
    if server.database_url is None:
        return b"".join(path.read_bytes() for path in server.data_dir.rglob("*") if path.is_file())
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as connection:
            chunks = [repr(row).encode() for table in ("ssm_parameters", "ssm_parameter_versions",
                                                       "ssm_event_outbox", "audit_events")
                      for row in connection.execute(text(f"SELECT * FROM {table}"))]
    finally:
        engine.dispose()
    return b"".join(chunks)


def test_a_secure_string_is_stored_only_encrypted_and_read_decrypted_only_when_asked(server, ssm):
    name = unique()
    secret = f"plaintext-{uuid.uuid4().hex}"
    assert ssm.put_parameter(Name=name, Value=secret, Type="SecureString")["Version"] == 1
    hidden = ssm.get_parameter(Name=name)["Parameter"]
    assert hidden["Type"] == "SecureString"
    assert hidden["Value"] != secret
    assert len(base64.b64decode(hidden["Value"])) > len(secret)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == secret
    assert ssm.get_parameters(Names=[name], WithDecryption=True)["Parameters"][0]["Value"] == secret
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert [(h["Value"], h["KeyId"]) for h in history] == [(secret, "alias/aws/ssm")]
    assert ssm.get_parameter_history(Name=name)["Parameters"][0]["Value"] != secret
    # Neither the store, the audit trail nor the outbox holds the plaintext.
    assert secret.encode() not in stored_bytes(server)


def test_advanced_secure_strings_larger_than_kms_encrypts(ssm):
    name = unique()
    secret = "s" * 6000
    ssm.put_parameter(Name=name, Value=secret, Type="SecureString", Tier="Advanced")
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == secret


def test_a_customer_key_and_kms_errors(server, ssm):
    kms = server.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    name = unique()
    ssm.put_parameter(Name=name, Value="with my key", Type="SecureString", KeyId=key_id)
    assert ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "with my key"
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"]
    assert described[0]["KeyId"] == key_id
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=name, WithDecryption=True)
    code, message = error_of(raised)
    assert code == "InvalidKeyId"
    assert message.startswith(f"arn:aws:kms:us-east-1:000000000000:key/{key_id} is disabled.")
    assert "(Service: AWSKMS; Status Code: 400; Error Code: DisabledException;" in message
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x", Type="SecureString", KeyId=key_id)
    assert error_of(raised)[0] == "InvalidKeyId"
    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x", Type="SecureString", KeyId=missing)
    code, message = error_of(raised)
    assert code == "InvalidKeyId"
    assert "Error Code: NotFoundException" in message
    # Without decryption, a disabled key still lets the ciphertext be read.
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] != "with my key"


def test_a_user_without_kms_decrypt_gets_no_plaintext(server, ssm):
    # A customer managed key with the default key policy leaves its use to IAM policies.
    key_id = server.client("kms").create_key()["KeyMetadata"]["KeyId"]
    name = unique()
    ssm.put_parameter(Name=name, Value="top secret", Type="SecureString", KeyId=key_id)
    reader = user_clients(server, [{"Effect": "Allow", "Action": "ssm:GetParameter*", "Resource": "*"}])
    assert reader.get_parameter(Name=name)["Parameter"]["Value"] != "top secret"
    with pytest.raises(ClientError) as raised:
        reader.get_parameter(Name=name, WithDecryption=True)
    code, message = error_of(raised)
    assert code == "AccessDeniedException"
    assert "kms:Decrypt" in message
    assert "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException;" in message
    assert "top secret" not in message
    with pytest.raises(ClientError) as raised:
        reader.get_parameters_by_path(Path=name.rsplit("/", 1)[0], WithDecryption=True)
    assert error_of(raised)[0] == "AccessDeniedException"
    decrypter = user_clients(server, [{"Effect": "Allow", "Action": ["ssm:GetParameter*", "kms:Decrypt"],
                                       "Resource": "*"}])
    assert decrypter.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "top secret"


def test_the_aws_managed_key_lets_anyone_in_the_account_decrypt_through_ssm(server, ssm):
    # alias/aws/ssm's key policy allows every principal of the account through SSM, as AWS's does.
    name = unique()
    ssm.put_parameter(Name=name, Value="default key", Type="SecureString")
    reader = user_clients(server, [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}])
    assert reader.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"] == "default key"


def test_a_user_needs_ssm_permission_on_the_parameter(server, ssm):
    allowed, denied = unique(), unique()
    ssm.put_parameter(Name=allowed, Value="a", Type="String")
    ssm.put_parameter(Name=denied, Value="d", Type="String")
    reader = user_clients(server, [{"Effect": "Allow", "Action": "ssm:GetParameter",
                                    "Resource": f"arn:aws:ssm:us-east-1:000000000000:parameter{allowed}"}])
    assert reader.get_parameter(Name=allowed)["Parameter"]["Value"] == "a"
    with pytest.raises(ClientError) as raised:
        reader.get_parameter(Name=denied)
    code, message = error_of(raised)
    assert code == "AccessDeniedException"
    assert f"ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter{denied}" in message
