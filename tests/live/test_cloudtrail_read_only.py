"""The `readOnly` CloudTrail records for each call is the one strongroom.services.read_only declares, in
LookupEvents and in the stored record alike: a few operations of every served service, reads and writes,
answered and refused."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from strongroom.services.read_only import READ_ONLY

from .helpers import unique
from .test_cloudtrail_lookup import Actor, by_user, lookup_all


def _calls(actor: Actor) -> list[tuple[str, str, Callable[[], Any]]]:
    """(service, operation, call) for a few operations of each served service, made by `actor`."""
    sts, iam, kms = actor.client("sts"), actor.client("iam"), actor.client("kms")
    ssm, sm, events, cloudtrail = (actor.client(name) for name in ("ssm", "secretsmanager", "events", "cloudtrail"))
    account = sts.get_caller_identity()["Account"]
    role = unique("ro-role")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole"}]}
    parameter, secret, rule = unique("/ro/param"), unique("ro-secret"), unique("ro-rule")
    key: dict[str, str] = {}
    pattern = json.dumps({"source": ["x"]})
    event = json.dumps({"id": "1", "source": "x", "detail-type": "d", "account": account, "region": "us-east-1",
                        "time": "2026-01-01T00:00:00Z", "resources": [], "detail": {}})
    return [
        ("sts", "GetCallerIdentity", sts.get_caller_identity),
        ("iam", "CreateRole", lambda: iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))),
        ("sts", "AssumeRole", lambda: sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{role}",
                                                      RoleSessionName="ro")),
        ("sts", "GetSessionToken", sts.get_session_token),
        ("iam", "GetRole", lambda: iam.get_role(RoleName=role)),
        ("iam", "TagRole", lambda: iam.tag_role(RoleName=role, Tags=[{"Key": "k", "Value": "v"}])),
        ("iam", "SimulatePrincipalPolicy", lambda: iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{account}:user/{actor.name}", ActionNames=["kms:Encrypt"])),
        ("kms", "CreateKey", lambda: key.update(arn=kms.create_key()["KeyMetadata"]["Arn"])),
        ("kms", "Encrypt", lambda: key.update(blob=kms.encrypt(KeyId=key["arn"], Plaintext=b"x")["CiphertextBlob"])),
        ("kms", "Decrypt", lambda: kms.decrypt(CiphertextBlob=key["blob"])),
        ("kms", "GenerateDataKey", lambda: kms.generate_data_key(KeyId=key["arn"], KeySpec="AES_256")),
        ("kms", "GenerateRandom", lambda: kms.generate_random(NumberOfBytes=16)),
        ("kms", "DescribeKey", lambda: kms.describe_key(KeyId=key["arn"])),
        ("kms", "TagResource", lambda: kms.tag_resource(KeyId=key["arn"], Tags=[{"TagKey": "k", "TagValue": "v"}])),
        ("ssm", "PutParameter", lambda: ssm.put_parameter(Name=parameter, Value="v", Type="SecureString")),
        ("ssm", "GetParameter", lambda: ssm.get_parameter(Name=parameter, WithDecryption=True)),
        ("ssm", "DescribeParameters", ssm.describe_parameters),
        ("ssm", "LabelParameterVersion", lambda: ssm.label_parameter_version(Name=parameter, Labels=["l"])),
        ("secretsmanager", "CreateSecret", lambda: sm.create_secret(Name=secret, SecretString="s")),
        ("secretsmanager", "GetSecretValue", lambda: sm.get_secret_value(SecretId=secret)),
        ("secretsmanager", "BatchGetSecretValue", lambda: sm.batch_get_secret_value(SecretIdList=[secret])),
        ("secretsmanager", "DescribeSecret", lambda: sm.describe_secret(SecretId=secret)),
        ("secretsmanager", "GetRandomPassword", sm.get_random_password),
        ("secretsmanager", "PutSecretValue", lambda: sm.put_secret_value(SecretId=secret, SecretString="t")),
        ("events", "PutRule", lambda: events.put_rule(Name=rule, EventPattern='{"source": ["x"]}')),
        ("events", "DescribeRule", lambda: events.describe_rule(Name=rule)),
        ("events", "TestEventPattern", lambda: events.test_event_pattern(EventPattern=pattern, Event=event)),
        ("events", "DeleteRule", lambda: events.delete_rule(Name=rule)),
        ("cloudtrail", "DescribeTrails", cloudtrail.describe_trails),
        ("cloudtrail", "LookupEvents", lambda: cloudtrail.lookup_events(MaxResults=1)),
        # Refused calls are recorded with the same readOnly as answered ones.
        ("cloudtrail", "StopLogging", lambda: cloudtrail.stop_logging(Name=unique("missing"))),
        ("kms", "DisableKey", lambda: kms.disable_key(KeyId="11111111-2222-3333-4444-555555555555")),
    ]


def test_recorded_read_only_is_the_declared_one(server):
    actor = Actor(server)
    called: list[tuple[str, str]] = []
    for service, operation, call in _calls(actor):
        try:
            call()
        except ClientError:
            assert operation in ("StopLogging", "DisableKey"), operation
        called.append((service, operation))

    events = lookup_all(server.client("cloudtrail"), **by_user(actor))
    recorded = {}
    for event in events:
        record = json.loads(event["CloudTrailEvent"])
        service = record["eventSource"].split(".")[0]
        assert event["ReadOnly"] == ("true" if record["readOnly"] else "false")
        recorded[(service, record["eventName"])] = record["readOnly"]
    for service, operation in called:
        assert recorded[(service, operation)] is READ_ONLY[service][operation], f"{service}:{operation}"
    assert recorded[("secretsmanager", "BatchGetSecretValue")] is True
    assert recorded[("kms", "Encrypt")] is True and recorded[("kms", "CreateKey")] is False
