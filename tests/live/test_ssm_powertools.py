"""AWS Lambda Powertools' `parameters` utility, unchanged, reading Parameter Store by name and by path."""

from __future__ import annotations

import uuid

import pytest

parameters = pytest.importorskip("aws_lambda_powertools.utilities.parameters")


def test_powertools_reads_by_name_and_by_path(server):
    ssm = server.client("ssm")
    root = f"/powertools-{uuid.uuid4().hex[:10]}"
    ssm.put_parameter(Name=f"{root}/dev/db-url", Value="postgres://dev-db/app", Type="String")
    ssm.put_parameter(Name=f"{root}/dev/db-password", Value="pw-dev", Type="SecureString")
    ssm.put_parameter(Name=f"{root}/dev/hosts", Value="a,b", Type="StringList")
    provider = parameters.SSMProvider(boto3_client=server.client("ssm"))

    assert provider.get(f"{root}/dev/db-url") == "postgres://dev-db/app"
    assert provider.get(f"{root}/dev/db-password", decrypt=True) == "pw-dev"
    by_path = provider.get_multiple(f"{root}/dev", decrypt=True)
    assert by_path == {"db-url": "postgres://dev-db/app", "db-password": "pw-dev", "hosts": "a,b"}
    several = provider.get_parameters_by_name({f"{root}/dev/db-url": {}, f"{root}/dev/db-password": {"decrypt": True}})
    assert several == {f"{root}/dev/db-url": "postgres://dev-db/app", f"{root}/dev/db-password": "pw-dev"}
