"""KMS aliases and tags over boto3: naming rules, limits, listing and paging, and their error texts."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of

PREFIX_TEXT = ('Alias must start with the prefix "alias/". Please see '
               "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html")


@pytest.fixture()
def account(server):
    return server.client("sts").get_caller_identity()["Account"]


def unique(name: str) -> str:
    return f"alias/{name}-{uuid.uuid4().hex[:10]}"


def test_alias_create_list_update_delete(kms, account):
    first = kms.create_key()["KeyMetadata"]
    second = kms.create_key()["KeyMetadata"]
    name = unique("app")
    kms.create_alias(AliasName=name, TargetKeyId=first["Arn"])
    [listed] = kms.list_aliases(KeyId=first["KeyId"])["Aliases"]
    assert listed["AliasName"] == name
    assert listed["AliasArn"] == f"arn:aws:kms:us-east-1:{account}:{name}"
    assert listed["TargetKeyId"] == first["KeyId"]
    assert listed["CreationDate"] == listed["LastUpdatedDate"]
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert error_of(excinfo) == (
        "AlreadyExistsException", f"An alias with the name arn:aws:kms:us-east-1:{account}:{name} already exists"
    )
    kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == second["KeyId"]
    assert kms.list_aliases(KeyId=first["KeyId"])["Aliases"] == []
    kms.delete_alias(AliasName=name)
    with pytest.raises(ClientError) as excinfo:
        kms.delete_alias(AliasName=name)
    assert error_of(excinfo) == ("NotFoundException", f"Alias arn:aws:kms:us-east-1:{account}:{name} is not found.")
    with pytest.raises(ClientError) as excinfo:
        kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert error_of(excinfo) == ("NotFoundException", f"Alias arn:aws:kms:us-east-1:{account}:{name} is not found.")


def test_alias_naming_rules(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="no-prefix", TargetKeyId=key_id)
    assert error_of(excinfo) == ("ValidationException", PREFIX_TEXT)
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key_id)
    assert error_of(excinfo)[0] == "InvalidAliasNameException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName="alias/bad name", TargetKeyId=key_id)
    assert error_of(excinfo)[0] == "ValidationException"
    # ":" passes the model's pattern, but AWS refuses it (recorded: "alias/Service:Test contains invalid
    # characters for an alias", 400), on every alias operation; nothing is created.
    for call in (lambda: kms.create_alias(AliasName="alias/my:alias", TargetKeyId=key_id),
                 lambda: kms.update_alias(AliasName="alias/my:alias", TargetKeyId=key_id),
                 lambda: kms.delete_alias(AliasName="alias/my:alias")):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("ValidationException", "alias/my:alias contains invalid characters for an alias")
    assert "alias/my:alias" not in {alias["AliasName"] for alias in kms.list_aliases(KeyId=key_id)["Aliases"]}
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName=unique("x"), TargetKeyId="alias/some-alias")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'alias/some-alias'")


def test_alias_target_states_and_kinds(kms):
    symmetric = kms.create_key()["KeyMetadata"]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    doomed = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName=unique("doomed"), TargetKeyId=doomed["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{doomed['Arn']} is pending deletion.")
    name = unique("kind")
    kms.create_alias(AliasName=name, TargetKeyId=symmetric["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.update_alias(AliasName=name, TargetKeyId=signing["KeyId"])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kms.update_alias(AliasName=name, TargetKeyId=doomed["KeyId"])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{doomed['Arn']} is pending deletion.")
    # An alias of a key pending deletion can still be listed, moved away and deleted.
    moved = unique("moved")
    kms.cancel_key_deletion(KeyId=doomed["KeyId"])
    kms.create_alias(AliasName=moved, TargetKeyId=doomed["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    assert [a["AliasName"] for a in kms.list_aliases(KeyId=doomed["KeyId"])["Aliases"]] == [moved]
    kms.update_alias(AliasName=moved, TargetKeyId=symmetric["KeyId"])
    kms.delete_alias(AliasName=moved)
    kms.delete_alias(AliasName=name)


def test_fifty_aliases_per_key_and_paging(kms):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    stem = unique("many")
    names = [f"{stem}-{index:02d}" for index in range(50)]
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key_id)
    with pytest.raises(ClientError) as excinfo:
        kms.create_alias(AliasName=f"{stem}-50", TargetKeyId=key_id)
    assert error_of(excinfo)[0] == "LimitExceededException"
    first = kms.list_aliases(KeyId=key_id, Limit=20)
    assert first["Truncated"] is True and len(first["Aliases"]) == 20
    pages = kms.get_paginator("list_aliases").paginate(KeyId=key_id, PaginationConfig={"PageSize": 20})
    assert [a["AliasName"] for a in pages.build_full_result()["Aliases"]] == names


def test_aliases_are_per_region(server, kms):
    name = unique("regional")
    kms.create_alias(AliasName=name, TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    europe = server.client("kms", region="eu-west-1")
    europe.create_alias(AliasName=name, TargetKeyId=europe.create_key()["KeyMetadata"]["KeyId"])
    assert europe.describe_key(KeyId=name)["KeyMetadata"]["Arn"].startswith("arn:aws:kms:eu-west-1:")
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["Arn"].startswith("arn:aws:kms:us-east-1:")


def test_tags(kms):
    key_id = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "vault"}])["KeyMetadata"]["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "sec"}])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [
        {"TagKey": "env", "TagValue": "prod"}, {"TagKey": "team", "TagValue": "sec"},
    ]
    kms.untag_resource(KeyId=key_id, TagKeys=["env", "absent"])
    assert kms.list_resource_tags(KeyId=key_id) | {"ResponseMetadata": None} == {
        "Tags": [{"TagKey": "team", "TagValue": "sec"}], "Truncated": False, "ResponseMetadata": None,
    }
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "AWS:thing", "TagValue": "x"}])
    assert error_of(excinfo) == ("TagException", "Tags beginning with aws: are reserved")
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}])
    assert error_of(excinfo) == ("TagException", "Duplicate tag keys")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{index:02d}", "TagValue": "v"} for index in range(49)])
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "one-too-many", "TagValue": "v"}])
    assert error_of(excinfo) == ("LimitExceededException", "Too many tags")
    # Creating a key with too many is a TagException, as AWS answers it; no key is made.
    keys_before = len(kms.list_keys(Limit=1000)["Keys"])
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Tags=[{"TagKey": f"k{index:02d}", "TagValue": "v"} for index in range(51)])
    assert error_of(excinfo) == ("TagException", "Too many tags")
    assert len(kms.list_keys(Limit=1000)["Keys"]) == keys_before
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "overwritten"}])  # no new key: fine
    first = kms.list_resource_tags(KeyId=key_id, Limit=30)
    rest = kms.list_resource_tags(KeyId=key_id, Limit=30, Marker=first["NextMarker"])
    assert first["Truncated"] is True and rest["Truncated"] is False
    assert len(first["Tags"]) + len(rest["Tags"]) == 50


def test_tags_refused_while_pending_deletion(kms):
    key = kms.create_key()["KeyMetadata"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    with pytest.raises(ClientError) as excinfo:
        kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "a", "TagValue": "b"}])
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == []
