"""AWS STS: who am I, and temporary credentials (AssumeRole, GetSessionToken).

Importing the package registers every operation on `service`.
"""

from __future__ import annotations

from strongroom.services.sts import assume_role, identity, session_token  # noqa: F401 - registration
from strongroom.services.sts.plugin import service

__all__ = ["service"]
