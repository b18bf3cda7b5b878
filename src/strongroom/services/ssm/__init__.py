"""AWS Systems Manager Parameter Store: hierarchical, versioned, labelled parameters, SecureStrings through KMS,
parameter policies acted on by a scheduled task, and change events kept in an outbox for the event bus.

Everything is scoped per (account, region). Importing the operation modules registers their handlers
and task on the plugin.
"""

from __future__ import annotations

from strongroom.services.ssm import deletion, labels, listing, policies, put, reads, tags
from strongroom.services.ssm.plugin import service

__all__ = ["deletion", "labels", "listing", "policies", "put", "reads", "service", "tags"]
