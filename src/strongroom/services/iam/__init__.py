"""AWS IAM over the query protocol: users, access keys, groups, roles, policies, tags and the simulator.

Importing the package registers every operation on `service`. The request path's authorizer and
STS AssumeRole use `identity_policies_for` and `role_for_assume`.
"""

from __future__ import annotations

from strongroom.services.iam import (  # noqa: F401 - each module registers its operations
    access_keys,
    attachments,
    groups,
    inline,
    policies,
    roles,
    simulate,
    tags,
    users,
)
from strongroom.services.iam.identity import IdentityPolicies, identity_policies_for, role_for_assume
from strongroom.services.iam.plugin import service

__all__ = ["IdentityPolicies", "identity_policies_for", "role_for_assume", "service"]
