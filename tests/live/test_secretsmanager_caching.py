"""Client libraries against Strongroom: aws-secretsmanager-caching sees a rotation; the aws CLI creates and reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest
from aws_secretsmanager_caching import SecretCache, SecretCacheConfig

from tests.live.test_secretsmanager_rotation import RotationEndpoint, register_endpoint, wait_for


def test_caching_client_reads_and_sees_a_rotation(server):
    client = server.client("secretsmanager")
    name = f"cached-{uuid.uuid4().hex[:12]}"
    client.create_secret(Name=name, SecretString="before")
    cache = SecretCache(config=SecretCacheConfig(secret_refresh_interval=1), client=client)
    assert cache.get_secret_string(name) == "before"
    endpoint = RotationEndpoint(server.client("secretsmanager"))
    try:
        function_arn = register_endpoint(server, f"fn-{uuid.uuid4().hex[:8]}", endpoint.url)
        client.rotate_secret(SecretId=name, RotationLambdaARN=function_arn)
        assert wait_for(lambda: cache.get_secret_string(name) == "before+rotated")
    finally:
        endpoint.close()


@pytest.mark.skipif(shutil.which("aws") is None, reason="the aws CLI is not installed")
def test_aws_cli_create_and_get(server):
    name = f"cli-{uuid.uuid4().hex[:12]}"
    env = server.cli_env()
    created = subprocess.run(
        ["aws", "secretsmanager", "create-secret", "--name", name, "--secret-string", '{"user":"app"}'],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )
    assert json.loads(created.stdout)["Name"] == name
    got = subprocess.run(
        ["aws", "secretsmanager", "get-secret-value", "--secret-id", name, "--query", "SecretString",
         "--output", "text"],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )
    assert json.loads(got.stdout) == {"user": "app"}
    missing = subprocess.run(
        ["aws", "secretsmanager", "get-secret-value", "--secret-id", f"{name}-missing"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
