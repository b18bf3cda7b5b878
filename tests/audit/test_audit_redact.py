"""Redaction against the real botocore models: secrets never survive, everything else does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from botocore.model import ListShape, MapShape, Shape, ShapeResolver, StructureShape
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.wire.strategies import shape_values

from strongroom.audit import redact as redact_module
from strongroom.audit.redact import lower_camel, plan_for, redact
from strongroom.wire.specs import load_service

SECRET = "s3cr3t-value-never-recorded"
SECRET_BYTES = SECRET.encode()


def shape_of(service: str, operation: str, direction: str) -> Shape:
    model = load_service(service).operation_model(operation)
    shape = model.input_shape if direction == "input" else model.output_shape
    assert shape is not None
    return shape


def leaks(value: object) -> bool:
    """Whether the secret appears anywhere in the redacted value, however nested or encoded."""
    return SECRET in orjson.dumps(value).decode()


def test_kms_encrypt_drops_plaintext_keeps_key_and_context() -> None:
    params = {
        "KeyId": "alias/app",
        "Plaintext": SECRET_BYTES,
        "EncryptionContext": {"Department": "Engineering", "lowerKey": "v"},
        "GrantTokens": ["token-1"],
        "EncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }
    redacted = redact(shape_of("kms", "Encrypt", "input"), params)
    assert redacted == {
        "keyId": "alias/app",
        "encryptionContext": {"Department": "Engineering", "lowerKey": "v"},
        "grantTokens": ["token-1"],
        "encryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }


def test_kms_generate_data_key_output_drops_plaintext_and_ciphertext() -> None:
    output = {
        "CiphertextBlob": b"ciphertext-bytes",
        "Plaintext": SECRET_BYTES,
        "KeyId": "arn:aws:kms:us-east-1:111122223333:key/k",
        "KeyMaterialId": "abc",
    }
    redacted = redact(shape_of("kms", "GenerateDataKey", "output"), output)
    assert redacted == {"keyId": "arn:aws:kms:us-east-1:111122223333:key/k", "keyMaterialId": "abc"}


def test_kms_decrypt_input_drops_ciphertext_blob() -> None:
    params = {"CiphertextBlob": SECRET_BYTES, "KeyId": "k", "EncryptionContext": {"a": "b"}}
    redacted = redact(shape_of("kms", "Decrypt", "input"), params)
    assert redacted == {"keyId": "k", "encryptionContext": {"a": "b"}}


def test_secrets_manager_secret_values_never_survive() -> None:
    create = {
        "Name": "db/password",
        "SecretString": SECRET,
        "SecretBinary": SECRET_BYTES,
        "Description": "the db",
        "Tags": [{"Key": "Team", "Value": "core"}],
    }
    redacted = redact(shape_of("secretsmanager", "CreateSecret", "input"), create)
    assert redacted == {"name": "db/password", "description": "the db", "tags": [{"key": "Team", "value": "core"}]}
    put = {"SecretId": "db/password", "SecretString": SECRET, "VersionStages": ["AWSCURRENT"]}
    assert redact(shape_of("secretsmanager", "PutSecretValue", "input"), put) == {
        "secretId": "db/password",
        "versionStages": ["AWSCURRENT"],
    }
    created = datetime(2024, 5, 1, 12, 30, 15, 999, tzinfo=UTC)
    value = {
        "ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
        "Name": "db/password",
        "VersionId": "v1",
        "SecretString": SECRET,
        "SecretBinary": SECRET_BYTES,
        "VersionStages": ["AWSCURRENT"],
        "CreatedDate": created,
    }
    redacted = redact(shape_of("secretsmanager", "GetSecretValue", "output"), value)
    assert redacted == {
        "aRN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf",
        "name": "db/password",
        "versionId": "v1",
        "versionStages": ["AWSCURRENT"],
        "createdDate": "2024-05-01T12:30:15Z",
    }


def test_ssm_parameter_value_is_marked_sensitive_by_the_model() -> None:
    put_shape = shape_of("ssm", "PutParameter", "input")
    assert isinstance(put_shape, StructureShape)
    assert put_shape.members["Value"].metadata.get("sensitive") is True
    put = {"Name": "/app/db", "Value": SECRET, "Type": "SecureString", "Overwrite": True}
    assert redact(put_shape, put) == {"name": "/app/db", "type": "SecureString", "overwrite": True}
    got = {"Parameter": {"Name": "/app/db", "Value": SECRET, "Version": 3, "Type": "SecureString"}}
    assert redact(shape_of("ssm", "GetParameter", "output"), got) == {
        "parameter": {"name": "/app/db", "version": 3, "type": "SecureString"}
    }
    many = {"Parameters": [{"Name": "/a", "Value": SECRET}, {"Name": "/b", "Value": SECRET}]}
    assert redact(shape_of("ssm", "GetParameters", "output"), many) == {"parameters": [{"name": "/a"}, {"name": "/b"}]}


def test_extra_sensitive_covers_a_member_the_model_leaves_unmarked() -> None:
    # PutParameter's Description is not sensitive in the model; a service may still declare it so.
    put = {"Name": "/app/db", "Description": SECRET, "Value": SECRET}
    shape = shape_of("ssm", "PutParameter", "input")
    assert leaks(redact(shape, put))
    assert redact(shape, put, extra_sensitive=frozenset({"Description"})) == {"name": "/app/db"}
    # Paths cross lists: GetParameters' Parameters[].ARN, named without an index.
    many = {"Parameters": [{"Name": "/a", "ARN": SECRET}]}
    shape = shape_of("ssm", "GetParameters", "output")
    assert redact(shape, many, extra_sensitive=frozenset({"Parameters.ARN"})) == {"parameters": [{"name": "/a"}]}
    # A nested path only hits the member it names, not a same-named one elsewhere.
    assert redact(shape, many, extra_sensitive=frozenset({"ARN"})) == {"parameters": [{"name": "/a", "aRN": SECRET}]}


def test_iam_create_access_key_drops_secret_access_key() -> None:
    output = {
        "AccessKey": {
            "UserName": "alice",
            "AccessKeyId": "AKIAEXAMPLE",
            "Status": "Active",
            "SecretAccessKey": SECRET,
            "CreateDate": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        }
    }
    assert redact(shape_of("iam", "CreateAccessKey", "output"), output) == {
        "accessKey": {
            "userName": "alice",
            "accessKeyId": "AKIAEXAMPLE",
            "status": "Active",
            "createDate": "2024-01-02T03:04:05Z",
        }
    }


def test_sts_credentials_drop_secret_key_and_the_unmarked_session_token() -> None:
    shape = shape_of("sts", "AssumeRole", "output")
    credentials_shape = shape.members["Credentials"]  # type: ignore[attr-defined]
    # The model marks the secret key but not the session token; redaction covers both.
    assert credentials_shape.members["SecretAccessKey"].metadata.get("sensitive") is True
    assert not credentials_shape.members["SessionToken"].metadata.get("sensitive")
    expiration = datetime(2024, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    output = {
        "Credentials": {
            "AccessKeyId": "ASIAEXAMPLE",
            "SecretAccessKey": SECRET,
            "SessionToken": SECRET + "-token",
            "Expiration": expiration,
        },
        "AssumedRoleUser": {"AssumedRoleId": "AROAEXAMPLE:s", "Arn": "arn:aws:sts::111122223333:assumed-role/r/s"},
        "PackedPolicySize": 6,
    }
    for operation in ("AssumeRole", "GetSessionToken", "GetFederationToken"):
        redacted = redact(shape_of("sts", operation, "output"), output)
        assert not leaks(redacted)
        assert redacted is not None
        assert redacted["credentials"] == {"accessKeyId": "ASIAEXAMPLE", "expiration": "2024-06-01T12:00:00Z"}


def test_lists_of_secrets_are_omitted_whole_and_unknown_members_dropped() -> None:
    # KMS ReEncrypt's input holds blobs only under CiphertextBlob; unknown keys must not pass.
    params = {"CiphertextBlob": SECRET_BYTES, "DestinationKeyId": "k2", "NotInModel": SECRET}
    assert redact(shape_of("kms", "ReEncrypt", "input"), params) == {"destinationKeyId": "k2"}
    # Secrets Manager BatchGetSecretValue returns a list of entries each holding a secret.
    output = {"SecretValues": [{"Name": "a", "SecretString": SECRET, "SecretBinary": SECRET_BYTES}]}
    assert redact(shape_of("secretsmanager", "BatchGetSecretValue", "output"), output) == {
        "secretValues": [{"name": "a"}]
    }


def test_empty_or_missing_values_give_none() -> None:
    shape = shape_of("kms", "GenerateRandom", "output")
    assert redact(shape, {"Plaintext": SECRET_BYTES}) is None
    assert redact(shape, {}) is None
    assert redact(None, {"Plaintext": SECRET_BYTES}) is None


def test_plans_are_cached_per_shape_and_extra() -> None:
    shape = shape_of("kms", "Encrypt", "input")
    assert plan_for(shape) is plan_for(shape)
    # botocore hands out a new object per lookup; the cache must still find the same plan.
    assert plan_for(load_service("kms").shape_for("EncryptRequest")) is plan_for(shape)
    assert plan_for(shape, frozenset({"KeyId"})) is not plan_for(shape)


def test_plans_by_shape_object_never_mix_up_extra_paths_and_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    put = {"Name": "/app/db", "Description": "d"}
    shape = shape_of("ssm", "PutParameter", "input")
    declared = frozenset({"Description"})
    assert redact(shape, put, extra_sensitive=declared) == {"name": "/app/db"}
    assert redact(shape, put) == {"name": "/app/db", "description": "d"}
    assert redact(shape, put, extra_sensitive=declared) == {"name": "/app/db"}
    monkeypatch.setattr(redact_module, "_plans_by_shape", {})
    monkeypatch.setattr(redact_module, "_PLANS_BY_SHAPE_LIMIT", 3)
    model = load_service("kms")
    shapes = [model.shape_for(name) for name in ("EncryptRequest", "DecryptRequest", "SignRequest", "VerifyRequest")]
    for each in shapes:
        plan_for(each)
    assert len(redact_module._plans_by_shape) <= 3
    assert redact(shapes[0], {"KeyId": "k", "Plaintext": b"x"}) == {"keyId": "k"}


def test_recursive_shapes_compile_and_redact() -> None:
    # A self-referencing structure, as some models have; built by hand to keep the test exact.
    model = {
        "Node": {
            "type": "structure",
            "members": {"Name": {"shape": "Text"}, "Secret": {"shape": "Hidden"}, "Children": {"shape": "Nodes"}},
        },
        "Nodes": {"type": "list", "member": {"shape": "Node"}},
        "Text": {"type": "string"},
        "Hidden": {"type": "string", "sensitive": True},
    }
    node = ShapeResolver(model).get_shape_by_name("Node")
    assert isinstance(node.members["Children"], ListShape)  # type: ignore[attr-defined]
    tree = {"Name": "root", "Secret": SECRET, "Children": [{"Name": "leaf", "Secret": SECRET, "Children": []}]}
    assert redact(node, tree) == {"name": "root", "children": [{"name": "leaf", "children": []}]}


def test_lower_camel_matches_cloudtrail_keys() -> None:
    assert [lower_camel(name) for name in ("KeyId", "ARN", "SAMLMetadataDocument", "x", "")] == [
        "keyId",
        "aRN",
        "sAMLMetadataDocument",
        "x",
        "",
    ]


AUDITED_SERVICES = ("kms", "secretsmanager", "ssm", "sts", "iam")
OPERATION_SHAPES = [
    (service, name, direction)
    for service in AUDITED_SERVICES
    for name in load_service(service).operation_names
    for direction in ("input", "output")
    if getattr(load_service(service).operation_model(name), f"{direction}_shape") is not None
]


def assert_recordable(shape: Shape, value: object, path: str) -> None:
    """Every key of a redacted value names a member that is neither sensitive nor a blob, at any depth."""
    assert not isinstance(value, bytes | bytearray | datetime), path
    if isinstance(shape, StructureShape) and not shape.is_document_type:
        assert isinstance(value, dict), path
        by_key = {lower_camel(name): member for name, member in shape.members.items()}
        for key, item in value.items():
            member = by_key[key]
            assert not member.metadata.get("sensitive") and member.type_name != "blob", f"{path}.{key}"
            assert_recordable(member, item, f"{path}.{key}")
    elif isinstance(shape, ListShape):
        assert not shape.member.metadata.get("sensitive"), path
        for item in value:  # type: ignore[attr-defined]
            assert_recordable(shape.member, item, f"{path}[]")
    elif isinstance(shape, MapShape):
        assert not shape.value.metadata.get("sensitive"), path
        for item in value.values():  # type: ignore[attr-defined]
            assert_recordable(shape.value, item, f"{path}{{}}")


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(OPERATION_SHAPES), st.data())
def test_no_audited_operation_records_a_secret(operation: tuple[str, str, str], data: st.DataObject) -> None:
    service, name, direction = operation
    shape = shape_of(service, name, direction)
    value = data.draw(shape_values(shape, output=direction == "output"))
    redacted = redact(shape, value)
    if redacted is not None:
        assert_recordable(shape, redacted, f"{service}.{name}.{direction}")
