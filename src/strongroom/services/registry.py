"""The services Strongroom serves, one plugin package each under strongroom.services."""

from __future__ import annotations

from importlib import import_module

from strongroom.services.base import Service

# Each entry is a package under strongroom.services whose module attribute `service` is its plugin.
SERVED = ("sts", "iam", "kms", "ssm", "secretsmanager", "events", "cloudtrail")


def load_services() -> dict[str, Service]:
    """Every served service's plugin, by botocore service name."""
    services: dict[str, Service] = {}
    for package in SERVED:
        plugin: Service = import_module(f"strongroom.services.{package}").service
        services[plugin.name] = plugin
    return services
