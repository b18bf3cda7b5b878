"""Every served operation's CloudTrail `readOnly` comes from one declared table, as AWS records it."""

from __future__ import annotations

import pytest

from strongroom.services.base import Service
from strongroom.services.read_only import READ_ONLY
from strongroom.services.registry import load_services


@pytest.fixture(scope="module")
def services() -> dict[str, Service]:
    return load_services()


def test_the_table_names_exactly_the_served_operations(services):
    assert set(READ_ONLY) == set(services)
    for name, service in services.items():
        assert set(READ_ONLY[name]) == set(service.operations), name


def test_every_operation_is_recorded_as_the_table_says(services):
    for name, service in services.items():
        for operation in service.operations.values():
            assert operation.read_only is READ_ONLY[name][operation.name], f"{name}:{operation.name}"


@pytest.mark.parametrize(("service", "operation", "read_only"), [
    # Names that a prefix rule gets wrong, as AWS's CloudTrail examples record them.
    ("secretsmanager", "BatchGetSecretValue", True),
    ("kms", "Encrypt", True), ("kms", "Decrypt", True), ("kms", "GenerateDataKey", True), ("kms", "Sign", True),
    ("kms", "ReEncrypt", True), ("kms", "GenerateRandom", True), ("kms", "VerifyMac", True),
    ("kms", "GetParametersForImport", True), ("kms", "RetireGrant", False), ("kms", "RotateKeyOnDemand", False),
    ("sts", "AssumeRole", True), ("sts", "GetSessionToken", True), ("sts", "GetCallerIdentity", True),
    ("events", "TestEventPattern", True), ("events", "PutEvents", False),
    ("iam", "SimulatePrincipalPolicy", True), ("cloudtrail", "LookupEvents", True),
])
def test_operations_whose_names_do_not_say(services, service, operation, read_only):
    assert services[service].operations[operation].read_only is read_only


def test_an_operation_missing_from_the_table_cannot_be_registered():
    service = Service("sts")
    served = {name for name in READ_ONLY["sts"]}
    unlisted = sorted(set(service.model.operation_names) - served)[0]
    with pytest.raises(ValueError, match=f"sts:{unlisted} is not in"):
        service.operation(unlisted)(lambda ctx, params: {})
