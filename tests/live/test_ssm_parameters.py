"""Parameter Store over boto3 and the aws CLI: puts, reads, names, tiers, data types, deletion, tags."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of

ACCOUNT = "000000000000"
NAME_RULES = (
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of "
    "sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following "
    "3 symbols .-_"
)


def unique(prefix: str = "t") -> str:
    return f"/{prefix}-{uuid.uuid4().hex[:10]}"


def test_put_and_get_a_string(ssm):
    name = unique() + "/db-url"
    put = ssm.put_parameter(Name=name, Value="postgres://db", Type="String", Description="the database")
    assert (put["Version"], put["Tier"]) == (1, "Standard")
    parameter = ssm.get_parameter(Name=name)["Parameter"]
    assert parameter["Name"] == name
    assert parameter["Value"] == "postgres://db"
    assert parameter["Type"] == "String"
    assert parameter["Version"] == 1
    assert parameter["DataType"] == "text"
    assert parameter["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{name}"
    assert "Selector" not in parameter
    assert parameter["LastModifiedDate"].tzinfo is not None


def test_a_root_name_with_and_without_slash_is_one_parameter(ssm):
    bare = f"root-{uuid.uuid4().hex[:10]}"
    ssm.put_parameter(Name=bare, Value="one", Type="String")
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=f"/{bare}", Value="two", Type="String")
    assert error_of(raised)[0] == "ParameterAlreadyExists"
    slashed = ssm.get_parameter(Name=f"/{bare}")["Parameter"]
    assert slashed["Name"] == f"/{bare}"  # echoes the name as asked
    assert slashed["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{bare}"
    assert ssm.get_parameter(Name=bare)["Parameter"]["Value"] == "one"
    assert ssm.get_parameter(Name=slashed["ARN"])["Parameter"]["Value"] == "one"


def test_overwrite_adds_versions_and_selectors_read_them(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="v1", Type="String")
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="v2", Type="String")
    assert error_of(raised) == (
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    )
    assert ssm.put_parameter(Name=name, Value="v2", Overwrite=True)["Version"] == 2  # Type may be left out
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v2"
    first = ssm.get_parameter(Name=f"{name}:1")["Parameter"]
    assert (first["Value"], first["Version"], first["Selector"], first["Name"]) == ("v1", 1, ":1", name)
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=f"{name}:7")
    assert error_of(raised) == (
        "ParameterVersionNotFound",
        f"Systems Manager could not find version 7 of {name}. Verify the version and try again.",
    )


def test_an_empty_value_is_refused_and_not_echoed(ssm):
    name = f"/empty/{uuid.uuid4().hex}"
    for kind in ("String", "SecureString"):
        with pytest.raises(ClientError) as raised:
            ssm.put_parameter(Name=name, Value="", Type=kind)
        # AWS's text, the sensitive value left out of it.
        assert error_of(raised) == ("ValidationException", "1 validation error detected: Value at 'value' failed to "
                                    "satisfy constraint: Member must have length greater than or equal to 1")
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=name)
    assert error_of(raised)[0] == "ParameterNotFound"


def test_a_missing_parameter_is_not_found(ssm):
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=unique())
    assert error_of(raised) == ("ParameterNotFound", "")
    with pytest.raises(ClientError) as raised:
        ssm.delete_parameter(Name=unique())
    assert error_of(raised) == ("ParameterNotFound", "")


@pytest.mark.parametrize("name", ["a/b", "/a//b", "/a/b/", "/a/b c", "/a/b@x", "x:y/z"])
def test_malformed_names_answer_aws_text(ssm, name):
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="x", Type="String")
    assert error_of(raised) == ("ValidationException", NAME_RULES)


@pytest.mark.parametrize("name", ["awsThing", "/SSM/thing", "ssm-x", "/AwSome/x"])
def test_reserved_prefixes_are_refused(ssm, name):
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="x", Type="String")
    assert error_of(raised) == (
        "ValidationException", "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive).",
    )


def test_the_aws_namespace_is_not_writable(ssm):
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name="/aws/mine", Value="x", Type="String")
    assert error_of(raised) == ("AccessDeniedException", "No access to reserved parameter name: /aws/mine.")


def test_fifteen_levels_at_most(ssm):
    base = unique()
    fifteen = base + "".join(f"/l{i}" for i in range(14))
    assert ssm.put_parameter(Name=fifteen, Value="deep", Type="String")["Version"] == 1
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=fifteen + "/l15", Value="deeper", Type="String")
    assert error_of(raised) == (
        "HierarchyLevelLimitExceededException",
        "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for "
        "parameter names in the Amazon Web Services Systems Manager User Guide.",
    )


def test_type_is_needed_on_create_and_key_id_only_for_secure_strings(ssm):
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x")
    assert error_of(raised) == ("ValidationException", "A parameter type is required when you create a parameter.")
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x", Type="String", KeyId="alias/aws/ssm")
    assert error_of(raised) == ("ValidationException", "KeyId is required for SecureString type parameter only.")


def test_string_lists_keep_their_commas(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="a,b,c", Type="StringList")
    parameter = ssm.get_parameter(Name=name)["Parameter"]
    assert (parameter["Type"], parameter["Value"]) == ("StringList", "a,b,c")


def test_allowed_pattern_checks_each_value(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="123", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="12a", Overwrite=True)
    assert error_of(raised) == (
        "ParameterPatternMismatchException", r"Parameter value, cannot be validated against allowedPattern: ^\d+$",
    )
    assert ssm.put_parameter(Name=name, Value="456", Overwrite=True)["Version"] == 2
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x", Type="String", AllowedPattern="([a-")
    assert error_of(raised)[0] == "InvalidAllowedPatternException"


def test_data_types(ssm):
    image = unique()
    ssm.put_parameter(Name=image, Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image")
    assert ssm.get_parameter(Name=image)["Parameter"]["DataType"] == "aws:ec2:image"
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="not-an-image", Type="String", DataType="aws:ec2:image")
    assert error_of(raised)[0] == "ValidationException"
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x", Type="String", DataType="Text")
    assert error_of(raised) == (
        "ValidationException", "The following data type is not supported: Text (Data type names are all lowercase.)",
    )


def test_tiers_sizes_and_no_downgrade(ssm):
    name = unique()
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="x" * 4097, Type="String")
    code, message = error_of(raised)
    assert code == "ValidationException"
    assert message.startswith("Standard tier parameters support a maximum parameter value of 4096 characters.")
    assert ssm.put_parameter(Name=name, Value="x" * 4096, Type="String")["Tier"] == "Standard"
    put = ssm.put_parameter(Name=name, Value="y" * 8192, Overwrite=True, Tier="Advanced")
    assert (put["Version"], put["Tier"]) == (2, "Advanced")
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="small", Overwrite=True, Tier="Standard")
    assert error_of(raised) == (
        "ValidationException",
        "This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the "
        "advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced "
        "parameter and recreate it as a standard parameter.",
    )
    assert ssm.put_parameter(Name=name, Value="small", Overwrite=True)["Tier"] == "Advanced"
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="z" * 8193, Type="String", Tier="Advanced")
    assert error_of(raised)[0] == "ValidationException"


def test_intelligent_tiering_picks_the_tier_the_value_needs(ssm):
    small, large = unique(), unique()
    assert ssm.put_parameter(Name=small, Value="s", Type="String", Tier="Intelligent-Tiering")["Tier"] == "Standard"
    assert ssm.put_parameter(Name=large, Value="l" * 5000, Type="String",
                             Tier="Intelligent-Tiering")["Tier"] == "Advanced"


def test_get_parameters_answers_the_found_and_the_invalid(ssm):
    first, second = unique(), unique()
    ssm.put_parameter(Name=first, Value="1", Type="String")
    ssm.put_parameter(Name=second, Value="2", Type="String")
    ssm.put_parameter(Name=second, Value="2b", Overwrite=True)
    missing = unique()
    result = ssm.get_parameters(Names=[first, f"{second}:1", missing, "bad name", f"{first}:9"])
    assert [(p["Name"], p["Value"], p.get("Selector")) for p in result["Parameters"]] == [
        (first, "1", None), (second, "2", ":1"),
    ]
    assert result["InvalidParameters"] == sorted([missing, "bad name", f"{first}:9"])
    with pytest.raises(ClientError) as raised:
        ssm.get_parameters(Names=[unique() for _ in range(11)])
    assert error_of(raised)[0] == "ValidationException"


def test_delete_parameter_and_parameters(ssm):
    one, two, three = unique(), unique(), unique()
    for name in (one, two, three):
        ssm.put_parameter(Name=name, Value="v", Type="String")
    ssm.delete_parameter(Name=one)
    with pytest.raises(ClientError):
        ssm.get_parameter(Name=one)
    missing = unique()
    result = ssm.delete_parameters(Names=[two, three, missing])
    assert result["DeletedParameters"] == [two, three]
    assert result["InvalidParameters"] == [missing]
    assert ssm.get_parameters(Names=[two, three])["InvalidParameters"] == sorted([two, three])
    # A deleted name can be created again, from version 1.
    assert ssm.put_parameter(Name=one, Value="again", Type="String")["Version"] == 1


def test_tags_on_create_and_by_tagging_operations(ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "team", "Value": "core"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "team", "Value": "core"},
    ]
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Value="w", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(raised) == (
        "ValidationException",
        "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove "
        "overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
        "RemoveTagsFromResource.",
    )
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                             Tags=[{"Key": "team", "Value": "platform"}, {"Key": "env", "Value": "dev"}])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "platform"},
    ]
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["team"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"] == [
        {"Key": "env", "Value": "dev"},
    ]
    with pytest.raises(ClientError) as raised:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=unique())
    assert error_of(raised)[0] == "InvalidResourceId"
    with pytest.raises(ClientError) as raised:
        ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name,
                                 Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert error_of(raised)[0] == "TooManyTagsError"


def test_the_aws_cli_puts_and_gets(server):
    name = unique("cli") + "/greeting"
    env = server.cli_env()
    put = subprocess.run([sys.executable, "-m", "awscli", "ssm", "put-parameter", "--name", name, "--value", "hello",
                          "--type", "String", "--output", "json"], env=env, capture_output=True, text=True, check=True)
    assert json.loads(put.stdout) == {"Version": 1, "Tier": "Standard"}
    got = subprocess.run([sys.executable, "-m", "awscli", "ssm", "get-parameter", "--name", name, "--query",
                          "Parameter.Value", "--output", "text"], env=env, capture_output=True, text=True, check=True)
    assert got.stdout.strip() == "hello"
    missing = subprocess.run([sys.executable, "-m", "awscli", "ssm", "get-parameter", "--name", unique()],
                             env=env, capture_output=True, text=True)
    assert missing.returncode != 0
    assert "ParameterNotFound" in missing.stderr
