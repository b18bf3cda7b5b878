"""AWS regions and their partitions, from botocore's endpoint data."""

from __future__ import annotations

from functools import cache

import botocore.session


@cache
def _partition_by_region() -> dict[str, str]:
    loader = botocore.session.get_session().get_component("data_loader")
    endpoints = loader.load_data("endpoints")
    return {
        region: partition["partition"]
        for partition in endpoints["partitions"]
        for region in partition["regions"]
    }


def is_region(name: str) -> bool:
    """True for a real AWS region name such as "us-east-1"."""
    return name in _partition_by_region()


def partition_of(region: str) -> str:
    """The ARN partition of `region` ("aws", "aws-cn", "aws-us-gov", ...)."""
    return _partition_by_region().get(region, "aws")


def arn(service: str, region: str, account_id: str, resource: str) -> str:
    """An ARN in the region's partition; `region` may be "" for global services such as IAM."""
    partition = partition_of(region) if region else "aws"
    return f"arn:{partition}:{service}:{region}:{account_id}:{resource}"
