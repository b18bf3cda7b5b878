"""Secrets Manager over boto3: secrets, values, versions and staging labels, listing, deletion on the clock."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of


def unique(prefix: str = "sm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture()
def account(server):
    return server.client("sts").get_caller_identity()["Account"]


def test_create_and_get_string_and_binary(sm, account):
    name = unique("app/db")
    created = sm.create_secret(Name=name, SecretString='{"password": "hunter2"}', Description="db")
    assert created["Name"] == name
    assert created["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{account}:secret:{name}-")
    assert len(created["ARN"].rsplit("-", 1)[1]) == 6
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretString"] == '{"password": "hunter2"}'
    assert got["VersionId"] == created["VersionId"] and got["VersionStages"] == ["AWSCURRENT"]
    assert "SecretBinary" not in got
    # By full ARN and by partial ARN (without the suffix).
    assert sm.get_secret_value(SecretId=created["ARN"])["Name"] == name
    partial = created["ARN"][:-7]
    assert sm.get_secret_value(SecretId=partial)["ARN"] == created["ARN"]

    binary_name = unique()
    sm.create_secret(Name=binary_name, SecretBinary=b"\x00\x01binary\xff")
    got = sm.get_secret_value(SecretId=binary_name)
    assert got["SecretBinary"] == b"\x00\x01binary\xff" and "SecretString" not in got


def test_create_errors(sm):
    name = unique()
    with pytest.raises(ClientError) as excinfo:
        sm.create_secret(Name="bad name!", SecretString="x")
    assert error_of(excinfo)[0] == "ValidationException"
    assert "Invalid name" in error_of(excinfo)[1]
    with pytest.raises(ClientError) as excinfo:
        sm.create_secret(Name=name, SecretString="x", SecretBinary=b"y")
    assert error_of(excinfo)[0] == "InvalidParameterException"
    token = str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    # The same request again is a no-op; another value under the same token is refused.
    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    assert again["ARN"] == first["ARN"] and again["VersionId"] == token
    with pytest.raises(ClientError) as excinfo:
        sm.create_secret(Name=name, SecretString="other", ClientRequestToken=token)
    assert error_of(excinfo)[0] == "ResourceExistsException"
    with pytest.raises(ClientError) as excinfo:
        sm.create_secret(Name=name, SecretString="v")
    assert error_of(excinfo) == (
        "ResourceExistsException", f"The operation failed because the secret {name} already exists."
    )
    with pytest.raises(ClientError) as excinfo:
        sm.create_secret(Name=unique(), SecretString="v", KmsKeyId="alias/does-not-exist")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_get_errors_as_recorded(sm):
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=unique("missing"))
    assert error_of(excinfo) == ("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    name = unique()
    created = sm.create_secret(Name=name, SecretString="v1")
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    )
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=name, VersionId=created["VersionId"], VersionStage="AWSPENDING")
    assert error_of(excinfo) == (
        "InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId."
    )
    missing_version = str(uuid.uuid4())
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=name, VersionId=missing_version)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    empty = unique()
    sm.create_secret(Name=empty)
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=empty)
    assert error_of(excinfo)[1].endswith("staging label: AWSCURRENT")


def test_put_secret_value_labels_and_idempotency(sm):
    name = unique()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    token = str(uuid.uuid4())
    put = sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)
    assert put["VersionId"] == token and put["VersionStages"] == ["AWSCURRENT"]
    # Same token, same value: nothing changes; another value: refused.
    assert sm.put_secret_value(SecretId=name, SecretString="two", ClientRequestToken=token)["VersionId"] == token
    with pytest.raises(ClientError) as excinfo:
        sm.put_secret_value(SecretId=name, SecretString="three", ClientRequestToken=token)
    assert error_of(excinfo)[0] == "ResourceExistsException"
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {token: ["AWSCURRENT"], v1: ["AWSPREVIOUS"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "one"
    # A pending version leaves AWSCURRENT where it is.
    pending = sm.put_secret_value(SecretId=name, SecretString="four", VersionStages=["AWSPENDING"])["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {token: ["AWSCURRENT"], v1: ["AWSPREVIOUS"], pending: ["AWSPENDING"]}
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "two"
    # A third current version: v1 loses its last label and is deprecated.
    v4 = sm.put_secret_value(SecretId=name, SecretString="five")["VersionId"]
    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {entry["VersionId"] for entry in listed} == {v4, token, pending}
    with_deprecated = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert v1 in {entry["VersionId"] for entry in with_deprecated}
    assert all(entry["KmsKeyIds"] == ["DefaultEncryptionKey"] for entry in with_deprecated)
    with pytest.raises(ClientError) as excinfo:
        sm.put_secret_value(SecretId=name)
    assert error_of(excinfo)[0] == "InvalidRequestException"


def test_update_secret_version_stage_moves_as_recorded(sm):
    name = unique()
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two", VersionStages=["AWSPENDING"])["VersionId"]
    with pytest.raises(ClientError) as excinfo:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2)
    code, message = error_of(excinfo)
    assert code == "InvalidParameterException" and v1 in message
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2,
                                   RemoveFromVersionId=v1)
    # AWSPENDING stays with v2; the old current becomes AWSPREVIOUS.
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        v2: ["AWSPENDING", "AWSCURRENT"], v1: ["AWSPREVIOUS"],
    }
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=v2)
    sm.update_secret_version_stage(SecretId=name, VersionStage="custom", MoveToVersionId=v1)
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
        v2: ["AWSCURRENT"], v1: ["AWSPREVIOUS", "custom"],
    }
    assert sm.get_secret_value(SecretId=name, VersionStage="custom")["SecretString"] == "one"
    with pytest.raises(ClientError) as excinfo:
        sm.update_secret_version_stage(SecretId=name, VersionStage="custom", RemoveFromVersionId=v2)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_update_secret_and_describe(sm):
    name = unique()
    created = sm.create_secret(Name=name, SecretString="one", Tags=[{"Key": "team", "Value": "a"}])
    updated = sm.update_secret(SecretId=name, Description="new description")
    assert (updated["ARN"], updated["Name"]) == (created["ARN"], name) and "VersionId" not in updated
    with_value = sm.update_secret(SecretId=name, SecretString="two")
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "new description"
    assert described["Tags"] == [{"Key": "team", "Value": "a"}]
    assert described["VersionIdsToStages"][with_value["VersionId"]] == ["AWSCURRENT"]
    assert "RotationEnabled" not in described and "DeletedDate" not in described
    assert described["CreatedDate"] <= described["LastChangedDate"]
    sm.get_secret_value(SecretId=name)
    accessed = sm.describe_secret(SecretId=name)["LastAccessedDate"]
    assert (accessed.hour, accessed.minute, accessed.second) == (0, 0, 0)


def test_tags(sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v", Tags=[{"Key": "a", "Value": "1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "a", "Value": "3"}, {"Key": "b", "Value": "2"}]
    sm.untag_resource(SecretId=name, TagKeys=["a", "never"])
    assert sm.describe_secret(SecretId=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as excinfo:
        sm.tag_resource(SecretId=unique("missing"), Tags=[{"Key": "x", "Value": "y"}])
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_empty_members_are_left_out_as_aws_leaves_them_out(sm):
    name = unique("bare")
    sm.create_secret(Name=name, Description="")  # no value yet: no versions
    described = sm.describe_secret(SecretId=name)
    assert "Description" not in described and "VersionIdsToStages" not in described
    [listed] = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert "Description" not in listed and "SecretVersionsToStages" not in listed
    version = sm.put_secret_value(SecretId=name, SecretString="now")["VersionId"]
    assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {version: ["AWSCURRENT"]}
    sm.update_secret(SecretId=name, Description="given")
    assert sm.describe_secret(SecretId=name)["Description"] == "given"


def test_list_secrets_filters_negation_sort_and_pages(sm):
    prefix = unique("list")
    for index in range(5):
        sm.create_secret(Name=f"{prefix}/item{index}", SecretString="v", Description=f"Number {index}",
                         Tags=[{"Key": "parity", "Value": "even" if index % 2 == 0 else "odd"}])
    found = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}])["SecretList"]
    assert [entry["Name"] for entry in found] == [f"{prefix}/item{index}" for index in range(5)]
    assert all("SecretVersionsToStages" in entry for entry in found)
    even = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}, {"Key": "tag-value", "Values": ["even"]}])
    assert len(even["SecretList"]) == 3
    not_even = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}, {"Key": "tag-value", "Values": ["!even"]}])
    assert [entry["Name"] for entry in not_even["SecretList"]] == [f"{prefix}/item1", f"{prefix}/item3"]
    by_description = sm.list_secrets(Filters=[{"Key": "description", "Values": ["number 4"]},
                                              {"Key": "name", "Values": [prefix]}])
    assert [entry["Name"] for entry in by_description["SecretList"]] == [f"{prefix}/item4"]
    descending = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], SortOrder="desc")["SecretList"]
    assert [entry["Name"] for entry in descending] == [f"{prefix}/item{index}" for index in reversed(range(5))]
    names, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = sm.list_secrets(Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=2, **kwargs)
        names += [entry["Name"] for entry in page["SecretList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"{prefix}/item{index}" for index in range(5)]
    pages = sm.get_paginator("list_secrets").paginate(
        Filters=[{"Key": "name", "Values": [prefix]}], PaginationConfig={"PageSize": 3})
    paginated = [entry["Name"] for page in pages for entry in page["SecretList"]]
    assert len(paginated) == 5
    with pytest.raises(ClientError) as excinfo:
        sm.list_secrets(NextToken="not-a-token!")
    assert error_of(excinfo)[0] == "InvalidNextTokenException"


def test_batch_get_secret_value(sm):
    prefix = unique("batch")
    names = [f"{prefix}-{index}" for index in range(3)]
    for index, name in enumerate(names):
        sm.create_secret(Name=name, SecretString=f"value-{index}")
    missing = unique("missing")
    answer = sm.batch_get_secret_value(SecretIdList=[*names, missing])
    assert sorted(entry["SecretString"] for entry in answer["SecretValues"]) == ["value-0", "value-1", "value-2"]
    assert answer["Errors"] == [{"SecretId": missing, "ErrorCode": "ResourceNotFoundException",
                                 "Message": "Secrets Manager can't find the specified secret."}]
    by_filter = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}], MaxResults=2)
    assert len(by_filter["SecretValues"]) == 2 and by_filter["NextToken"]
    rest = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [prefix]}], NextToken=by_filter["NextToken"])
    assert len(rest["SecretValues"]) == 1
    with pytest.raises(ClientError) as excinfo:
        sm.batch_get_secret_value(SecretIdList=names, Filters=[{"Key": "name", "Values": [prefix]}])
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_delete_window_restore_and_destruction_on_the_clock(server, sm):
    name = unique()
    created = sm.create_secret(Name=name, SecretString="v")
    for kwargs, code in (
        ({"RecoveryWindowInDays": 6}, "InvalidParameterException"),
        ({"RecoveryWindowInDays": 7, "ForceDeleteWithoutRecovery": True}, "InvalidParameterException"),
    ):
        with pytest.raises(ClientError) as excinfo:
            sm.delete_secret(SecretId=name, **kwargs)
        assert error_of(excinfo)[0] == code
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert deleted["ARN"] == created["ARN"] and deleted["Name"] == name
    described = sm.describe_secret(SecretId=name)
    assert "DeletedDate" in described
    marked = "You can't perform this operation on the secret because it was marked for deletion."
    for call in (lambda: sm.get_secret_value(SecretId=name),
                 lambda: sm.put_secret_value(SecretId=name, SecretString="x"),
                 lambda: sm.update_secret(SecretId=name, Description="d"),
                 lambda: sm.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}])):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("InvalidRequestException", marked)
    with pytest.raises(ClientError) as excinfo:
        sm.create_secret(Name=name, SecretString="again")
    assert error_of(excinfo) == (
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
    )
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]
    assert listed == []
    planned = sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}], IncludePlannedDeletion=True)["SecretList"]
    assert [entry["Name"] for entry in planned] == [name] and "DeletedDate" in planned[0]
    restored = sm.restore_secret(SecretId=name)
    assert (restored["ARN"], restored["Name"]) == (created["ARN"], name)
    assert "DeletedDate" not in sm.describe_secret(SecretId=name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    # Deleted again: six days later it still exists; after the seventh it is gone.
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    server.admin("clock", {"advance_seconds": 6 * 86400})
    assert sm.describe_secret(SecretId=name)["Name"] == name
    server.admin("clock", {"advance_seconds": 86400 + 60})
    with pytest.raises(ClientError) as excinfo:
        sm.describe_secret(SecretId=name)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    # The name is free again.
    assert sm.create_secret(Name=name, SecretString="new")["ARN"] != created["ARN"]


def test_force_delete(sm):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    with pytest.raises(ClientError) as excinfo:
        sm.get_secret_value(SecretId=name)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    # Force-deleting a secret that does not exist succeeds, as AWS answers.
    assert sm.delete_secret(SecretId=unique("never"), ForceDeleteWithoutRecovery=True)["ResponseMetadata"]


def test_get_random_password_options(sm):
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    password = sm.get_random_password(PasswordLength=50, ExcludePunctuation=True)["RandomPassword"]
    assert len(password) == 50 and password.isalnum()
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password)
    digits = sm.get_random_password(PasswordLength=20, ExcludeUppercase=True, ExcludeLowercase=True,
                                    ExcludePunctuation=True)["RandomPassword"]
    assert digits.isdigit()
    excluded = sm.get_random_password(PasswordLength=200, ExcludeCharacters="abcABC012!")["RandomPassword"]
    assert not set(excluded) & set("abcABC012!")
    spaced = sm.get_random_password(PasswordLength=4, IncludeSpace=True, ExcludeLowercase=True,
                                    ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True)
    assert spaced["RandomPassword"] == "    "
    lax = sm.get_random_password(PasswordLength=1, RequireEachIncludedType=False)["RandomPassword"]
    assert len(lax) == 1
    with pytest.raises(ClientError) as excinfo:
        sm.get_random_password(PasswordLength=2)
    assert error_of(excinfo)[0] == "InvalidParameterException"
