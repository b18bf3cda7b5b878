"""AWS KMS: keys and their lifecycle, aliases, tags, key policies, grants, rotation, imported material,
multi-Region keys and the cryptographic operations.

Everything is scoped per (account, region). Importing the operation modules registers their handlers
on the plugin.
"""

from __future__ import annotations

from strongroom.services.kms import (
    aliases,
    crypto_ops,
    encapsulation_ops,
    grants,
    importing,
    key_stores,
    keys,
    last_usage,
    policies,
    replication,
    rotation,
    signing_ops,
    tags,
)
from strongroom.services.kms.plugin import service

__all__ = [
    "aliases", "crypto_ops", "encapsulation_ops", "grants", "importing", "key_stores", "keys", "last_usage",
    "policies", "replication", "rotation", "service", "signing_ops", "tags",
]
