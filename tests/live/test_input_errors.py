"""Live: bad input answers AWS's own error (never a 500), is audited, and changes nothing, on both stores."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.conftest import Server

from .helpers import error_of, unique


def failed_call_in_trail(server: Server, event_name: str, request_id: str) -> dict[str, Any]:
    """The CloudTrail event LookupEvents shows for request `request_id` (the test fails if none)."""
    cloudtrail = server.client("cloudtrail")
    pages = cloudtrail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}]
    )
    for page in pages:
        for event in page["Events"]:
            record: dict[str, Any] = json.loads(event["CloudTrailEvent"])
            if record["requestID"] == request_id:
                return record
    raise AssertionError(f"no {event_name} event for request {request_id}")


def test_an_integer_past_32_bits_is_refused_stored_nowhere_and_audited(server: Server) -> None:
    events = server.client("events")
    rule = unique("wide")
    events.put_rule(Name=rule, ScheduleExpression="rate(1 day)")
    target = {"Id": "t1", "Arn": "arn:aws:sqs:us-east-1:111122223333:q",
              "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:us-east-1:111122223333:task-definition/t",
                                "TaskCount": 2**70}}
    with pytest.raises(ClientError) as raised:
        events.put_targets(Rule=rule, Targets=[target])
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value '1180591620717411303424' at 'targets.1.member.ecsParameters.taskCount' "
        "failed to satisfy constraint: Member must have value less than or equal to 2147483647",
    )
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    record = failed_call_in_trail(server, "PutTargets", raised.value.response["ResponseMetadata"]["RequestId"])
    assert record["errorCode"] == "ValidationException"
    assert record["requestParameters"]["targets"][0]["ecsParameters"]["taskCount"] == str(2**70)


def test_decrypt_without_a_ciphertext_answers_a_validation_error(server: Server) -> None:
    kms = server.client("kms")
    with pytest.raises(ClientError) as raised:
        kms.decrypt()  # the botocore model leaves CiphertextBlob optional: boto3 sends {}
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
        "Member must not be null",
    )
    record = failed_call_in_trail(server, "Decrypt", raised.value.response["ResponseMetadata"]["RequestId"])
    assert record["errorCode"] == "ValidationException"


def test_simulate_principal_policy_leaves_out_the_excluded_policies(server: Server) -> None:
    iam = server.client("iam")
    user = iam.create_user(UserName=unique("sim"))["User"]
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:ListKeys", "Resource": "*"}]})
    policy = iam.create_policy(PolicyName=unique("sim"), PolicyDocument=document)["Policy"]
    iam.attach_user_policy(UserName=user["UserName"], PolicyArn=policy["Arn"])

    def decision(**extra: Any) -> str:
        result = iam.simulate_principal_policy(PolicySourceArn=user["Arn"], ActionNames=["kms:ListKeys"], **extra)
        return str(result["EvaluationResults"][0]["EvalDecision"])

    assert decision() == "allowed"
    excluded = [{"PolicyArn": policy["Arn"]}]  # a tagged union: one key
    assert decision(PolicyExclusionList=excluded) == "implicitDeny"


def test_a_nul_character_is_stored_where_the_store_can_hold_it_and_refused_where_it_cannot(server: Server) -> None:
    kms = server.client("kms")
    before = {key["KeyId"] for key in kms.list_keys(Limit=1000)["Keys"]}
    if server.database_url is None:  # SQLite holds any text, as AWS does
        key = kms.create_key(Description="before\x00after")["KeyMetadata"]
        assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["Description"] == "before\x00after"
        with pytest.raises(ClientError) as raised:
            server.client("secretsmanager").describe_secret(SecretId="no\x00such")
        assert error_of(raised)[0] == "ResourceNotFoundException"
        return
    with pytest.raises(ClientError) as raised:
        kms.create_key(Description="before\x00after")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error_of(raised) == (
        "ValidationException",
        "1 validation error detected: Value at 'description' failed to satisfy constraint: "
        "Member must not contain the null character (U+0000)",
    )
    assert {key["KeyId"] for key in kms.list_keys(Limit=1000)["Keys"]} == before
    record = failed_call_in_trail(server, "CreateKey", raised.value.response["ResponseMetadata"]["RequestId"])
    assert record["requestParameters"]["description"] == "before\x00after"
    with pytest.raises(ClientError) as raised:  # a lookup by such a name is refused the same way
        server.client("secretsmanager").describe_secret(SecretId="no\x00such")
    assert error_of(raised)[0] == "ValidationException"
    assert "at 'secretId'" in (error_of(raised)[1] or "")


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


@pytest.mark.parametrize(("query", "body"), [
    ("", b"Action=ListUsers&Version=2010-05-08&Action=DeleteUser&UserName=x"),
    ("Action=ListUsers&Version=2010-05-08", b"Action=ListUsers&Version=2010-05-08"),
    ("Action=DeleteUser&UserName=x", b"Action=ListUsers&Version=2010-05-08"),
])
def test_a_query_action_given_twice_is_refused(server: Server, query: str, body: bytes) -> None:
    reply = server.send("iam", body, path=f"/?{query}" if query else "/", headers=FORM)
    assert reply.status == 400
    assert b"<Code>InvalidQueryParameter</Code>" in reply.body
    assert b"The request must give the parameter Action once" in reply.body


def policy_of_size(size: int, padding: int = 0) -> str:
    """An identity policy of exactly `size` characters besides whitespace, with `padding` spaces more."""
    head = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/'
    tail = '"}]}'
    text = head + "k" * (size - len(head) - len(tail)) + tail
    assert len(text) == size
    return text.replace(",", "," + " " * padding, 1)


@pytest.mark.parametrize(("kind", "limit"), [("user", 2048), ("group", 5120), ("role", 10240)])
def test_inline_policies_of_one_entity_share_iams_aggregate_size_quota(server: Server, kind: str, limit: int) -> None:
    iam = server.client("iam")
    name = unique(kind)
    title = kind.capitalize()
    if kind == "role":
        trust = json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    else:
        getattr(iam, f"create_{kind}")(**{f"{title}Name": name})
    put = getattr(iam, f"put_{kind}_policy")
    half = limit // 2
    # Whitespace is not counted: the first policy is padded far past the quota and still fits.
    put(**{f"{title}Name": name}, PolicyName="one", PolicyDocument=policy_of_size(half, padding=limit))
    put(**{f"{title}Name": name}, PolicyName="two", PolicyDocument=policy_of_size(limit - half))
    # Putting a policy again replaces it: its old size is not counted twice.
    put(**{f"{title}Name": name}, PolicyName="two", PolicyDocument=policy_of_size(limit - half))
    with pytest.raises(ClientError) as raised:
        put(**{f"{title}Name": name}, PolicyName="three", PolicyDocument=policy_of_size(200))
    assert error_of(raised) == ("LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind} {name}")
    with pytest.raises(ClientError) as raised:
        put(**{f"{title}Name": name}, PolicyName="two", PolicyDocument=policy_of_size(limit - half + 1))
    assert error_of(raised)[0] == "LimitExceeded"
    names = getattr(iam, f"list_{kind}_policies")(**{f"{title}Name": name})["PolicyNames"]
    assert sorted(names) == ["one", "two"]


def test_a_parameter_version_past_32_bits_names_no_version(server: Server) -> None:
    ssm = server.client("ssm")
    name = f"/{unique('wide')}"
    ssm.put_parameter(Name=name, Value="v", Type="String")
    for version in (2**63 - 1, 2**31):
        with pytest.raises(ClientError) as raised:
            ssm.unlabel_parameter_version(Name=name, ParameterVersion=version, Labels=["l"])
        assert error_of(raised)[0] == "ParameterVersionNotFound"
        with pytest.raises(ClientError) as raised:
            ssm.label_parameter_version(Name=name, ParameterVersion=version, Labels=["l"])
        assert error_of(raised)[0] == "ParameterVersionNotFound"
        with pytest.raises(ClientError) as raised:
            ssm.get_parameter(Name=f"{name}:{version}")
        assert error_of(raised)[0] == "ParameterVersionNotFound"
    assert ssm.get_parameter(Name=f"{name}:1")["Parameter"]["Value"] == "v"
