"""validate_input on real operations: exact AWS texts for each constraint kind, per protocol."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from strongroom.errors import ServiceError
from strongroom.wire.specs import load_service
from strongroom.wire.validate import validate_input, validator_for

PREFIX = "1 validation error detected: "
KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = "arn:aws:iam::111122223333:role/demo"


def failure(service_name: str, operation_name: str, params: dict[str, Any]) -> ServiceError:
    service = load_service(service_name)
    with pytest.raises(ServiceError) as caught:
        validate_input(service, service.operation_model(operation_name), params)
    return caught.value


def passes(service_name: str, operation_name: str, params: dict[str, Any]) -> bool:
    service = load_service(service_name)
    validate_input(service, service.operation_model(operation_name), params)
    return True


ONE_ERROR_CASES = [
    # -- KMS (json) --------------------------------------------------------------------
    (
        "kms",
        "Encrypt",
        {"KeyId": "", "Plaintext": b"x"},
        "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
    (
        "kms",
        "Encrypt",
        {"Plaintext": b"x"},
        "Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    ),
    (
        "kms",
        "Encrypt",
        {"KeyId": KEY_ARN, "Plaintext": b"x" * 4097},
        "Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    ),
    (
        "kms",
        "Encrypt",
        {"KeyId": KEY_ARN},
        "Value at 'plaintext' failed to satisfy constraint: Member must not be null",
    ),
    (
        "kms",
        "GenerateRandom",
        {"NumberOfBytes": 0},
        "Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ),
    (
        "kms",
        "GenerateRandom",
        {"NumberOfBytes": 1025},
        "Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024",
    ),
    (
        "kms",
        "ScheduleKeyDeletion",
        {"KeyId": KEY_ARN, "PendingWindowInDays": 366},
        "Value '366' at 'pendingWindowInDays' failed to satisfy constraint: "
        "Member must have value less than or equal to 365",
    ),
    (
        "kms",
        "CreateKey",
        {"KeyUsage": "ENCRYPT"},
        "Value 'ENCRYPT' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: "
        "[SIGN_VERIFY, ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC, KEY_AGREEMENT, ENCAPSULATE_DECAPSULATE]",
    ),
    (
        "kms",
        "CreateAlias",
        {"AliasName": "alias/has space", "TargetKeyId": KEY_ARN},
        "Value 'alias/has space' at 'aliasName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    ),
    (
        "kms",
        "Decrypt",
        {"CiphertextBlob": b""},
        "Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'ciphertextBlob' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1",
    ),
    (
        "kms",
        "Encrypt",
        {"KeyId": KEY_ARN, "Plaintext": b"x", "GrantTokens": ["t"] * 11},
        "Value '[t, t, t, t, t, t, t, t, t, t, t]' at 'grantTokens' failed to satisfy constraint: "
        "Member must have length less than or equal to 10",
    ),
    (
        "kms",
        "CreateKey",
        {"Tags": [{"TagKey": "a", "TagValue": "b"}, {"TagKey": "", "TagValue": "v"}]},
        "Value '' at 'tags.2.member.tagKey' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    ),
    (
        "kms",
        "TagResource",
        {"KeyId": KEY_ARN, "Tags": [{"TagKey": "k"}]},
        "Value null at 'tags.1.member.tagValue' failed to satisfy constraint: Member must not be null",
    ),
    # -- Secrets Manager (json) ---------------------------------------------------------
    (
        "secretsmanager",
        "CreateSecret",
        {"Name": "n", "ClientRequestToken": "short"},
        "Value 'short' at 'clientRequestToken' failed to satisfy constraint: "
        "Member must have length greater than or equal to 32",
    ),
    (
        "secretsmanager",
        "CreateSecret",
        {"Name": "n", "SecretString": ""},
        "Value at 'secretString' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
    (
        "secretsmanager",
        "CreateSecret",
        {"Name": "n", "SecretBinary": b"s" * 65537},
        "Value at 'secretBinary' failed to satisfy constraint: Member must have length less than or equal to 65536",
    ),
    (
        "secretsmanager",
        "CreateSecret",
        {"Name": "n", "AddReplicaRegions": [{"Region": "eu-west-1"}, {"Region": "mars"}]},
        "Value 'mars' at 'addReplicaRegions.2.member.region' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^([a-z]+-)+\\d+$",
    ),
    (
        "secretsmanager",
        "GetRandomPassword",
        {"PasswordLength": 4097},
        "Value '4097' at 'passwordLength' failed to satisfy constraint: "
        "Member must have value less than or equal to 4096",
    ),
    (
        "secretsmanager",
        "ListSecrets",
        {"SortOrder": "up"},
        "Value 'up' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]",
    ),
    (
        "secretsmanager",
        "ListSecrets",
        {"Filters": [{"Key": "name", "Values": []}]},
        "Value '[]' at 'filters.1.member.values' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
    ),
    # -- SSM Parameter Store (json) ------------------------------------------------------
    (
        "ssm",
        "PutParameter",
        {"Name": "/app/db"},
        "Value at 'value' failed to satisfy constraint: Member must not be null",
    ),
    (
        # Beyond the model (AWS's recorded answer): an empty value, which is sensitive and not shown.
        "ssm",
        "PutParameter",
        {"Name": "/app/db", "Value": ""},
        "Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    ),
    (
        "ssm",
        "PutParameter",
        {"Name": "/app/db", "Value": "v", "Type": "Secure"},
        "Value 'Secure' at 'type' failed to satisfy constraint: "
        "Member must satisfy enum value set: [String, StringList, SecureString]",
    ),
    (
        "ssm",
        "PutParameter",
        {"Name": "/app/db", "Value": "v", "Tags": [{"Key": "bad#key", "Value": "ok"}]},
        "Value 'bad#key' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$",
    ),
    (
        "ssm",
        "GetParametersByPath",
        {"Path": "/app", "MaxResults": 11},
        "Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10",
    ),
    (
        "ssm",
        "GetParametersByPath",
        {"Path": "/app", "ParameterFilters": [{"Key": "Colour"}]},
        "Value 'Colour' at 'parameterFilters.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: ^(tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType)$",
    ),
    # -- numbers past their type's range: AWS's integer is 32-bit, long 64-bit ----------------
    (
        "events",
        "PutTargets",
        {"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:111122223333:q",
                                   "EcsParameters": {"TaskDefinitionArn": "arn:t", "TaskCount": 2**70}}]},
        "Value '1180591620717411303424' at 'targets.1.member.ecsParameters.taskCount' failed to satisfy "
        "constraint: Member must have value less than or equal to 2147483647",
    ),
    (
        "cloudtrail",
        "LookupEvents",
        {"MaxResults": -(2**31) - 1},
        "Value '-2147483649' at 'maxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
    ),
    (
        "ssm",
        "LabelParameterVersion",
        {"Name": "/p", "ParameterVersion": 2**63, "Labels": ["l"]},
        "Value '9223372036854775808' at 'parameterVersion' failed to satisfy constraint: "
        "Member must have value less than or equal to 9223372036854775807",
    ),
    (
        "secretsmanager",
        "DeleteSecret",
        {"SecretId": "s", "RecoveryWindowInDays": -(2**63) - 1},
        "Value '-9223372036854775809' at 'recoveryWindowInDays' failed to satisfy constraint: "
        "Member must have value greater than or equal to -9223372036854775808",
    ),
    (
        "sts",
        "AssumeRole",
        {"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "DurationSeconds": 2**31},
        "Value '2147483648' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value less than or equal to 43200",
    ),
    # -- STS (query) -----------------------------------------------------------------------
    (
        "sts",
        "AssumeRole",
        {"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "DurationSeconds": 899},
        "Value '899' at 'durationSeconds' failed to satisfy constraint: "
        "Member must have value greater than or equal to 900",
    ),
]


@pytest.mark.parametrize(("service", "operation", "params", "text"), ONE_ERROR_CASES)
def test_one_violation_is_reported_in_aws_words(
    service: str, operation: str, params: dict[str, Any], text: str
) -> None:
    error = failure(service, operation, params)
    expected_code = "ValidationError" if service in ("iam", "sts") else "ValidationException"
    assert (error.code, error.status, error.message) == (expected_code, 400, PREFIX + text)


IAM_CASES = [
    (
        "CreateUser",
        {"UserName": "a b"},
        "Value 'a b' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    ),
    (
        "CreateUser",
        {"UserName": "zoë"},  # Java's \w is ASCII-only
        "Value 'zoë' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    ),
    (
        "CreateUser",
        {"UserName": "u", "Path": "eng/"},
        "Value 'eng/' at 'path' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
    ),
    (
        "CreateUser",
        {"Path": "/"},
        "Value null at 'userName' failed to satisfy constraint: Member must not be null",
    ),
    (
        "TagUser",
        {"UserName": "u", "Tags": [{"Key": "cost*centre", "Value": "v"}]},
        "Value 'cost*centre' at 'tags.1.member.key' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
    ),
    (
        "TagUser",
        {"UserName": "u", "Tags": [{"Key": "k", "Value": "a#b"}]},
        "Value 'a#b' at 'tags.1.member.value' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
    ),
    (
        "ListUsers",
        {"MaxItems": 1001},
        "Value '1001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000",
    ),
    (
        "CreateRole",
        {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Description": "tab\tok but \x80 is not"},
        "Value 'tab\tok but \x80 is not' at 'description' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
    ),
    (
        "UntagUser",
        {"UserName": "u", "TagKeys": ["ok", "k" * 129]},
        f"Value '{'k' * 129}' at 'tagKeys.2.member' failed to satisfy constraint: "
        "Member must have length less than or equal to 128",
    ),
]


@pytest.mark.parametrize(("operation", "params", "text"), IAM_CASES)
def test_iam_reports_validation_error_code(operation: str, params: dict[str, Any], text: str) -> None:
    error = failure("iam", operation, params)
    assert (error.code, error.status, error.message) == ("ValidationError", 400, PREFIX + text)


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("iam", "CreateUser", {"UserName": "user_name+1=,.@-", "Path": "/division/team/"}),
        ("iam", "TagUser", {"UserName": "u", "Tags": [{"Key": "Größe", "Value": "値 1\u00a0:/=+-@"}]}),
        ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": "{}", "Description": "café"}),
        ("ssm", "PutParameter", {"Name": "/a", "Value": "v", "Tags": [{"Key": "", "Value": ""}][:0]}),
        ("ssm", "PutParameter", {"Name": "/a", "Value": "v", "Tags": [{"Key": "κλειδί", "Value": "٣"}]}),
        ("kms", "Encrypt", {"KeyId": KEY_ARN, "Plaintext": b"x" * 4096, "GrantTokens": []}),
        ("kms", "CreateKey", {"Tags": [{"TagKey": "k" * 128, "TagValue": ""}], "KeyUsage": "SIGN_VERIFY"}),
        ("sts", "AssumeRole", {"RoleArn": ROLE_ARN, "RoleSessionName": "s1", "DurationSeconds": 900}),
    ],
)
def test_values_at_the_limits_pass(service: str, operation: str, params: dict[str, Any]) -> None:
    assert passes(service, operation, params)


def test_errors_follow_member_order_of_the_shape() -> None:
    error = failure(
        "kms",
        "Encrypt",
        {"EncryptionAlgorithm": "AES", "Plaintext": b"", "KeyId": ""},
    )
    assert error.message == (
        "3 validation errors detected: "
        "Value '' at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value 'AES' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: "
        "[SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]"
    )


def test_one_value_breaking_two_constraints_gets_two_errors() -> None:
    error = failure("iam", "CreateUser", {"UserName": ""})
    assert error.message == (
        "2 validation errors detected: "
        "Value '' at 'userName' failed to satisfy constraint: Member must have length greater than or equal to 1; "
        "Value '' at 'userName' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    )


def test_list_errors_come_before_their_elements_errors() -> None:
    tags = [{"Key": "k"}] * 51
    error = failure("iam", "TagUser", {"UserName": "u", "Tags": tags})
    lines = error.message.split("; ")
    assert lines[0].startswith("10 validation errors detected: Value '[com.amazonaws.iam.Tag@")
    assert lines[0].endswith(
        "' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"
    )
    assert lines[1] == "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"


def test_at_most_ten_errors_are_reported() -> None:
    error = failure("kms", "Encrypt", {"KeyId": "", "Plaintext": b"x", "GrantTokens": [""] * 30})
    lines = error.message.split("; ")
    assert error.message.startswith("10 validation errors detected: Value '' at 'keyId'")
    assert len(lines) == 10
    assert lines[-1] == (
        "Value '' at 'grantTokens.8.member' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    )


def test_map_keys_and_values_are_reported_once_each_listing_all_their_constraints() -> None:
    params = {"DocumentName": "doc", "Parameters": {"": ["a"], "k" * 51: ["b" * 513]}}
    error = failure("ssm", "StartAutomationExecution", params)
    shown = "{=[a], " + "k" * 51 + "=[" + "b" * 513 + "]}"
    assert error.message == (
        "2 validation errors detected: "
        f"Value '{shown}' at 'parameters' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 50, Member must have length greater than or equal to 1]; "
        f"Value '{'b' * 513}' at 'parameters.{'k' * 51}.member.1.member' failed to satisfy constraint: "
        "Member must have length less than or equal to 512"
    )


def test_map_value_constraints_use_the_map_value_form() -> None:
    params = {"DashboardId": "dashboard", "QueryParameterValues": {"abc": "bad value!"}}
    error = failure("cloudtrail", "StartDashboardRefresh", params)
    assert error.message == PREFIX + (
        "Value '{abc=bad value!}' at 'queryParameterValues' failed to satisfy constraint: "
        "Map value must satisfy constraint: [Member must have length less than or equal to 128, "
        "Member must have length greater than or equal to 1, "
        "Member must satisfy regular expression pattern: ^[a-zA-Z0-9._/\\-:]+$]"
    )


def test_sensitive_map_never_echoes_its_content() -> None:
    params = {
        "WindowId": "mw-0123456789abcdef0",
        "TaskArn": "AWS-RunShellScript",
        "TaskType": "RUN_COMMAND",
        "TaskParameters": {"": {"Values": ["hunter2"]}},
    }
    error = failure("ssm", "RegisterTaskWithMaintenanceWindow", params)
    assert "hunter2" not in error.message
    assert error.message == PREFIX + (
        "Value at 'taskParameters' failed to satisfy constraint: Map keys must satisfy constraint: "
        "[Member must have length less than or equal to 255, Member must have length greater than or equal to 1]"
    )


def test_sensitive_values_never_appear_anywhere_in_the_message() -> None:
    secret = "s3cr3t-" * 10000
    error = failure("secretsmanager", "CreateSecret", {"Name": "", "SecretString": secret})
    assert "s3cr3t" not in error.message
    assert error.message.endswith(
        "Value at 'secretString' failed to satisfy constraint: Member must have length less than or equal to 65536"
    )


def test_unexpected_types_are_left_to_the_parser() -> None:
    odd: dict[str, Any] = {
        "KeyId": 7,
        "Plaintext": "text, not bytes",
        "EncryptionContext": ["not", "a", "map"],
        "GrantTokens": "not a list",
        "EncryptionAlgorithm": 3.5,
        "DryRun": "yes",
        "Unknown": object(),
    }
    assert passes("kms", "Encrypt", odd)
    assert passes("iam", "TagUser", {"UserName": "u", "Tags": [None, "tag", 3, {"Key": 1, "Value": b"v"}]})
    assert passes("kms", "GenerateRandom", {"NumberOfBytes": True})


def test_params_that_are_not_a_dict_are_left_to_the_parser() -> None:
    for params in (None, [], "x", 5):
        assert passes("kms", "Encrypt", params)  # type: ignore[arg-type]


def test_operation_without_input_members_accepts_anything() -> None:
    assert passes("sts", "GetCallerIdentity", {})
    assert passes("kms", "ListKeys", {"Limit": 5, "When": datetime.datetime.now(datetime.UTC)})


def test_recursive_shapes_are_checked_at_every_depth() -> None:
    deep = {"Expression": "AWS:Application.Name", "Aggregators": [{"Expression": "x", "Aggregators": []}]}
    error = failure("ssm", "GetInventory", {"Aggregators": [{"Expression": "", "Aggregators": [deep]}]})
    assert error.message == (
        "2 validation errors detected: "
        "Value '' at 'aggregators.1.member.expression' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; "
        "Value '[]' at 'aggregators.1.member.aggregators.1.member.aggregators.1.member.aggregators' "
        "failed to satisfy constraint: Member must have length greater than or equal to 1"
    )


def test_each_operation_is_compiled_once() -> None:
    kms = load_service("kms")
    encrypt = kms.operation_model("Encrypt")
    first = validator_for(kms, encrypt)
    assert validator_for(kms, kms.operation_model("Encrypt")) is first
    assert first.error_code == "ValidationException"
    assert validator_for(load_service("iam"), load_service("iam").operation_model("ListUsers")).error_code == (
        "ValidationError"
    )
