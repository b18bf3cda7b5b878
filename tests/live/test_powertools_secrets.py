"""AWS Lambda Powertools' `parameters` utility, unchanged: secrets, parameters by path, and its cache."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities import parameters

from tests.live.test_secretsmanager_rotation import RotationEndpoint, register_endpoint, wait_for


@pytest.fixture()
def lambda_environment(server: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The environment a function runs in, pointed at the server; Powertools' default providers made afresh in it."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_SSM",
                 "POWERTOOLS_PARAMETERS_MAX_AGE"):
        monkeypatch.delenv(name, raising=False)
    environment = server.cli_env()
    for name in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                 "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.setenv(name, environment[name])
    parameters.clear_caches()
    yield
    parameters.clear_caches()


def test_get_secret_reads_strings_json_binary_and_batches(server, sm, lambda_environment):
    prefix = f"powertools-{uuid.uuid4().hex[:10]}"
    sm.create_secret(Name=f"{prefix}/plain", SecretString="s3cr3t")
    sm.create_secret(Name=f"{prefix}/db", SecretString=json.dumps({"user": "app", "port": 5432}))
    sm.create_secret(Name=f"{prefix}/blob", SecretBinary=b"\x00\x01binary\xff")

    assert parameters.get_secret(f"{prefix}/plain") == "s3cr3t"
    assert parameters.get_secret(f"{prefix}/db", transform="json") == {"user": "app", "port": 5432}
    assert parameters.get_secret(f"{prefix}/blob") == b"\x00\x01binary\xff"
    arn = sm.describe_secret(SecretId=f"{prefix}/plain")["ARN"]
    assert parameters.get_secret(arn) == "s3cr3t"
    assert parameters.get_secrets_by_name([f"{prefix}/plain", f"{prefix}/db"]) == {
        f"{prefix}/plain": "s3cr3t", f"{prefix}/db": json.dumps({"user": "app", "port": 5432}),
    }
    with pytest.raises(parameters.exceptions.GetParameterError, match="ResourceNotFoundException"):
        parameters.get_secret(f"{prefix}/missing")

    # The same through a provider given a boto3 client.
    provider = parameters.SecretsProvider(boto3_client=server.client("secretsmanager"))
    assert provider.get(f"{prefix}/db", transform="json") == {"user": "app", "port": 5432}
    previous = sm.describe_secret(SecretId=f"{prefix}/plain")["VersionIdsToStages"]
    sm.put_secret_value(SecretId=f"{prefix}/plain", SecretString="newer")
    (old_version,) = previous
    assert provider.get(f"{prefix}/plain", VersionStage="AWSPREVIOUS") == "s3cr3t"
    assert provider.get(f"{prefix}/plain", force_fetch=True, VersionId=old_version) == "s3cr3t"
    assert provider.get(f"{prefix}/plain", force_fetch=True) == "newer"


def test_cache_and_max_age_zero_see_put_secret_value_and_rotation(server, sm, lambda_environment):
    name = f"powertools-cache-{uuid.uuid4().hex[:10]}"
    sm.create_secret(Name=name, SecretString="before")
    cached = parameters.SecretsProvider(boto3_client=server.client("secretsmanager"))
    assert cached.get(name, max_age=300) == "before"
    assert parameters.get_secret(name, max_age=0) == "before"

    sm.put_secret_value(SecretId=name, SecretString="after-put")
    assert parameters.get_secret(name, max_age=0) == "after-put"
    assert cached.get(name) == "before"  # still within its max_age: Powertools does not ask the server
    assert cached.get(name, force_fetch=True) == "after-put"

    endpoint = RotationEndpoint(server.client("secretsmanager"))
    try:
        function_arn = register_endpoint(server, f"fn-{uuid.uuid4().hex[:8]}", endpoint.url)
        sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn)
        assert wait_for(lambda: parameters.get_secret(name, max_age=0) == "after-put+rotated")
    finally:
        endpoint.close()
    assert [event["Step"] for event in endpoint.events] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert parameters.get_secret(name, max_age=0, VersionStage="AWSPREVIOUS") == "after-put"
    assert cached.get(name) == "after-put"  # its cached value, until it is fetched again
    assert cached.get(name, force_fetch=True) == "after-put+rotated"


def test_get_parameters_by_path_and_max_age_zero(server, ssm, lambda_environment):
    root = f"/powertools-path-{uuid.uuid4().hex[:10]}"
    key = server.client("kms").create_key(Description=f"powertools {root}")["KeyMetadata"]
    ssm.put_parameter(Name=f"{root}/app/url", Value="https://example.test", Type="String")
    ssm.put_parameter(Name=f"{root}/app/password", Value="pw-1", Type="SecureString", KeyId=key["Arn"])
    ssm.put_parameter(Name=f"{root}/app/settings.json", Value=json.dumps({"debug": True}), Type="String")
    ssm.put_parameter(Name=f"{root}/app/nested/level", Value="deep", Type="String")

    # max_age=0: nothing is cached, each read asks the server (Powertools' cache key for a path leaves out
    # `decrypt` and `recursive`, so cached reads of one path with different options would meet each other).
    assert parameters.get_parameters(f"{root}/app", recursive=False, decrypt=True, max_age=0) == {
        "url": "https://example.test", "password": "pw-1", "settings.json": json.dumps({"debug": True}),
    }
    assert parameters.get_parameters(f"{root}/app", decrypt=True, transform="auto", max_age=0) == {
        "url": "https://example.test", "password": "pw-1", "settings.json": {"debug": True}, "nested/level": "deep",
    }
    # Without decryption a SecureString comes back as its ciphertext, not its value.
    encrypted = parameters.get_parameters(f"{root}/app", recursive=False, max_age=0)["password"]
    assert encrypted != "pw-1" and "pw-1" not in encrypted
    assert parameters.get_parameter(f"{root}/app/password", decrypt=True) == "pw-1"

    ssm.put_parameter(Name=f"{root}/app/password", Value="pw-2", Type="SecureString", KeyId=key["Arn"], Overwrite=True)
    assert parameters.get_parameter(f"{root}/app/password", decrypt=True) == "pw-1"  # cached
    assert parameters.get_parameter(f"{root}/app/password", decrypt=True, force_fetch=True) == "pw-2"
    assert parameters.get_parameters(f"{root}/app", decrypt=True, max_age=0)["password"] == "pw-2"
    assert parameters.get_parameters_by_name(
        {f"{root}/app/url": {}, f"{root}/app/password": {"decrypt": True}}, max_age=0,
    ) == {f"{root}/app/url": "https://example.test", f"{root}/app/password": "pw-2"}
