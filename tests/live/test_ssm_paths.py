"""Parameter hierarchies: GetParametersByPath (recursive or one level, filters, pages) and DescribeParameters."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of


@pytest.fixture()
def app(ssm):
    """The issue's example under a fresh prefix: /<app>/dev/db-url, /<app>/dev/db-password, and a deeper one."""
    root = f"/my-app-{uuid.uuid4().hex[:10]}"
    ssm.put_parameter(Name=f"{root}/dev/db-url", Value="postgres://dev-db:5432/app", Type="String")
    ssm.put_parameter(Name=f"{root}/dev/db-password", Value="s3cret-dev", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/dev/feature/flags", Value="a,b", Type="StringList")
    ssm.put_parameter(Name=f"{root}/prod/db-url", Value="postgres://prod-db:5432/app", Type="String")
    return root


def test_one_level_by_path(ssm, app):
    result = ssm.get_parameters_by_path(Path=f"{app}/dev", WithDecryption=True)
    assert {p["Name"]: p["Value"] for p in result["Parameters"]} == {
        f"{app}/dev/db-password": "s3cret-dev",
        f"{app}/dev/db-url": "postgres://dev-db:5432/app",
    }
    assert "NextToken" not in result
    # A trailing slash names the same path.
    assert len(ssm.get_parameters_by_path(Path=f"{app}/dev/")["Parameters"]) == 2


def test_recursive_by_path_with_pages(ssm, app):
    names, token, pages = [], None, 0
    while True:
        kwargs = {"NextToken": token} if token else {}
        result = ssm.get_parameters_by_path(Path=app, Recursive=True, MaxResults=1, **kwargs)
        names += [p["Name"] for p in result["Parameters"]]
        pages += 1
        token = result.get("NextToken")
        if not token:
            break
    assert sorted(names) == sorted([f"{app}/dev/db-url", f"{app}/dev/db-password", f"{app}/dev/feature/flags",
                                    f"{app}/prod/db-url"])
    assert pages >= 4
    # boto3's paginator follows the same tokens.
    paginator = ssm.get_paginator("get_parameters_by_path")
    found = [p["Name"] for page in paginator.paginate(Path=app, Recursive=True, PaginationConfig={"PageSize": 2})
             for p in page["Parameters"]]
    assert sorted(found) == sorted(names)
    # Nothing sits directly under the root of the app.
    assert ssm.get_parameters_by_path(Path=app)["Parameters"] == []


def test_secure_strings_by_path_are_decrypted_only_when_asked(ssm, app):
    values = {p["Name"]: p["Value"] for p in ssm.get_parameters_by_path(Path=f"{app}/dev")["Parameters"]}
    assert values[f"{app}/dev/db-password"] != "s3cret-dev"


def test_by_path_filters(ssm, app):
    secure = ssm.get_parameters_by_path(Path=app, Recursive=True, ParameterFilters=[
        {"Key": "Type", "Values": ["SecureString"]},
    ])["Parameters"]
    assert [p["Name"] for p in secure] == [f"{app}/dev/db-password"]
    ssm.label_parameter_version(Name=f"{app}/dev/db-url", Labels=["stable"])
    labelled = ssm.get_parameters_by_path(Path=app, Recursive=True, ParameterFilters=[
        {"Key": "Label", "Option": "Equals", "Values": ["stable"]},
    ])["Parameters"]
    assert [(p["Name"], p["Selector"]) for p in labelled] == [(f"{app}/dev/db-url", ":stable")]
    with pytest.raises(ClientError) as raised:
        ssm.get_parameters_by_path(Path=app, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert error_of(raised) == (
        "InvalidFilterKey",
        "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId, Label].",
    )
    with pytest.raises(ClientError) as raised:
        ssm.get_parameters_by_path(Path=app, ParameterFilters=[
            {"Key": "Type", "Option": "Recursive", "Values": ["String"]},
        ])
    assert error_of(raised) == (
        "InvalidFilterOption",
        "The following filter option is not valid: Recursive. Valid options include: [Equals, BeginsWith].",
    )


def test_by_path_input_errors(ssm):
    with pytest.raises(ClientError) as raised:
        ssm.get_parameters_by_path(Path="my-app/dev")
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert message.startswith("The parameter doesn't meet the parameter name requirements.")
    with pytest.raises(ClientError) as raised:
        ssm.get_parameters_by_path(Path="/x", MaxResults=11)
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        ssm.get_parameters_by_path(Path="/x", NextToken="***")
    assert error_of(raised) == ("InvalidNextToken", "The specified token isn't valid.")


def test_describe_parameters_with_filters(ssm, app):
    def names(**kwargs):
        paginator = ssm.get_paginator("describe_parameters")
        return sorted(p["Name"] for page in paginator.paginate(**kwargs) for p in page["Parameters"])

    assert names(ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [app]}]) == sorted([
        f"{app}/dev/db-password", f"{app}/dev/db-url", f"{app}/dev/feature/flags", f"{app}/prod/db-url",
    ])
    assert names(ParameterFilters=[{"Key": "Path", "Values": [f"{app}/dev"]}]) == [
        f"{app}/dev/db-password", f"{app}/dev/db-url",
    ]
    assert names(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": [f"{app}/prod"]}]) == [
        f"{app}/prod/db-url",
    ]
    assert names(ParameterFilters=[
        {"Key": "Path", "Option": "Recursive", "Values": [app]}, {"Key": "Type", "Values": ["StringList"]},
    ]) == [f"{app}/dev/feature/flags"]
    assert names(Filters=[{"Key": "Name", "Values": [f"{app}/dev/db-url"]}]) == [f"{app}/dev/db-url"]
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=f"{app}/prod/db-url",
                             Tags=[{"Key": "owner", "Value": "dba"}])
    assert names(ParameterFilters=[{"Key": "tag:owner", "Values": ["dba"]},
                                   {"Key": "Path", "Option": "Recursive", "Values": [app]}]) == [f"{app}/prod/db-url"]
    described = ssm.describe_parameters(ParameterFilters=[
        {"Key": "Name", "Values": [f"{app}/dev/db-password"]},
    ])["Parameters"]
    (secure,) = described
    assert secure["Type"] == "SecureString"
    assert secure["KeyId"] == "alias/aws/ssm"
    assert secure["Tier"] == "Standard"
    assert secure["Version"] == 1
    assert secure["LastModifiedUser"].endswith(":root")
    assert "Value" not in secure


def test_describe_parameters_input_errors(ssm):
    with pytest.raises(ClientError) as raised:
        ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["a"]}],
                                ParameterFilters=[{"Key": "Name", "Values": ["a"]}])
    assert error_of(raised) == (
        "ValidationException", "You can use either Filters or ParameterFilters in a single request.",
    )
    with pytest.raises(ClientError) as raised:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Option": "Equals", "Values": ["/a"]}])
    assert error_of(raised) == (
        "InvalidFilterOption",
        "The following filter option is not valid: Equals. Valid options include: [Recursive, OneLevel].",
    )
    with pytest.raises(ClientError) as raised:
        ssm.describe_parameters(ParameterFilters=[{"Key": "Nope", "Values": ["a"]}])
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        ssm.describe_parameters(MaxResults=51)
    assert error_of(raised)[0] == "ValidationException"
