"""Which served service a request is for: by X-Amz-Target, SigV4 scope, or query API version."""

from __future__ import annotations

import pytest

from strongroom.wire.http import Headers, HttpRequest
from strongroom.wire.routing import ServiceRouter
from strongroom.wire.specs import load_service
from tests.wire.botocore_wire import to_http_request

SERVED = ("kms", "iam", "sts", "ssm", "secretsmanager", "cloudtrail", "events")
JSON_SERVICES = ("kms", "ssm", "secretsmanager", "cloudtrail", "events")


@pytest.fixture(scope="module")
def router() -> ServiceRouter:
    return ServiceRouter(load_service(name) for name in SERVED)


def _target_request(target: str) -> HttpRequest:
    return HttpRequest("POST", "/", headers=Headers([("X-Amz-Target", target)]), body=b"{}")


@pytest.mark.parametrize("service", JSON_SERVICES)
def test_every_operation_target_names_its_service(router: ServiceRouter, service: str) -> None:
    model = load_service(service)
    prefix = model.metadata["targetPrefix"]
    for name in model.operation_names:
        target = f"{prefix}.{model.operation_model(name).wire_name}"
        assert router.identify(_target_request(target), None) is model
        assert router.identify(_target_request(target), "sts") is model  # the target wins over the scope


def test_a_botocore_request_is_routed_by_its_target(router: ServiceRouter) -> None:
    request = to_http_request("kms", "Encrypt", {"KeyId": "k", "Plaintext": b"x"})
    assert router.identify(request, None) is load_service("kms")


def test_an_unknown_operation_under_a_known_prefix_still_names_the_service(router: ServiceRouter) -> None:
    # The parser then answers UnknownOperationException in the service's own protocol.
    kms = load_service("kms")
    prefix = kms.metadata["targetPrefix"]
    assert router.identify(_target_request(f"{prefix}.NoSuchOperation"), None) is kms
    assert router.identify(_target_request(f"{prefix}.Encrypt.Extra"), None) is None


def test_an_unknown_target_falls_back_to_the_scope_then_nothing(router: ServiceRouter) -> None:
    assert router.identify(_target_request("NoSuchService.Encrypt"), "kms") is load_service("kms")
    assert router.identify(_target_request("NoSuchService.Encrypt"), "s3") is None


def test_query_requests_are_routed_by_scope_or_version(router: ServiceRouter) -> None:
    signed = to_http_request("sts", "GetCallerIdentity", {})
    assert router.identify(signed, "sts") is load_service("sts")
    assert router.identify(signed, None) is load_service("sts")  # Version=2011-06-15 names STS
    iam = to_http_request("iam", "ListUsers", {})
    assert router.identify(iam, None) is load_service("iam")
