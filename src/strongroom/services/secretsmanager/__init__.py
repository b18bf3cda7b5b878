"""AWS Secrets Manager: secrets and their versions, staging labels, deletion windows, resource policies,
rotation (HTTP endpoints and a built-in PostgreSQL rotator) and replication to other regions.

Everything is scoped per (account, region). Importing the operation modules registers their handlers
and scheduled tasks on the plugin.
"""

from __future__ import annotations

from strongroom.services.secretsmanager import (
    listing,
    passwords,
    policies,
    replication,
    rotation,
    secrets_ops,
    tags,
    value_ops,
)
from strongroom.services.secretsmanager.plugin import service

__all__ = [
    "listing", "passwords", "policies", "replication", "rotation", "secrets_ops", "service", "tags", "value_ops",
]
