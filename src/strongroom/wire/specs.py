"""botocore's service models, loaded once per process; the contract for every operation."""

from __future__ import annotations

from functools import cache

import botocore.session
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel


@cache
def _loader() -> Loader:
    loader: Loader = botocore.session.get_session().get_component("data_loader")
    return loader


@cache
def load_service(name: str) -> ServiceModel:
    """The botocore model of service `name` (e.g. "kms", "sts"), cached."""
    data = _loader().load_service_model(name, "service-2")
    return ServiceModel(data, service_name=name)


def protocol_of(service: ServiceModel) -> str:
    """The protocol botocore's clients speak to `service`: json, query, rest-json or rest-xml."""
    return str(service.resolved_protocol)


def operation(service: ServiceModel, name: str) -> OperationModel:
    return service.operation_model(name)


def target_prefixes(service: ServiceModel) -> tuple[str, ...]:
    """The X-Amz-Target prefixes AWS accepts for a json-protocol service: the model's `targetPrefix`, and
    the name of its Smithy service shape alone, which the Smithy-built SDKs (JavaScript v3, Go v2, ...)
    send. They differ where the model's prefix is the whole shape id: CloudTrail's
    `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`, sent by those SDKs as `CloudTrail_20131101`."""
    prefix = service.metadata.get("targetPrefix")
    if not prefix:
        return ()
    short = prefix.rpartition(".")[2]
    return (prefix,) if short == prefix else (prefix, short)
