"""What the two botocore round trips share: the services they cover, their Hypothesis settings, and the
checks that their skip lists stay small and every service is covered."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

from strongroom.wire.specs import load_service

SERVICES = (
    "kms",
    "ssm",
    "secretsmanager",
    "acm",
    "cloudtrail",
    "events",
    "iam",
    "sts",
    "guardduty",
    "macie2",
    "s3",
)

Case = tuple[str, str]  # (service, operation name)
_Check = TypeVar("_Check", bound=Callable[..., Any])


def case_ids(cases: list[Case]) -> list[str]:
    return [f"{service}.{name}" for service, name in cases]


def round_trip_settings(max_examples: int) -> Callable[[_Check], _Check]:
    """Hypothesis settings for one operation's round trip: few examples each, as there are hundreds of operations."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def assert_skip_list_is_small_and_named(skipped: dict[Case, str], most: int) -> None:
    assert len(skipped) <= most
    for (service, name), reason in skipped.items():
        assert name in load_service(service).operation_names
        assert reason


def assert_every_service_is_covered(cases: list[Case]) -> None:
    assert {service for service, _ in cases} == set(SERVICES)
    assert len(cases) > 700
