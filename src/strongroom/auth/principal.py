"""Who is calling: the identity a verified request acts as."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    `type` is CloudTrail's userIdentity type: "Root", "IAMUser" or "AssumedRole".
    `user_id` is AWS's unique id (the account id for the root, AIDA... for users, AROA...:session for roles).

    Temporary credentials (AssumeRole, GetSessionToken) also carry what their session was issued
    with: `session_created_at` (aws:TokenIssueTime), and for role sessions the role's ARN,
    the session name, the session policies as JSON texts (None when none were passed: then they
    do not narrow anything) and the source identity.
    """

    account_id: str
    arn: str
    user_id: str
    type: str
    access_key_id: str
    user_name: str | None = None
    session_token: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    role_arn: str | None = None
    session_name: str | None = None
    session_created_at: datetime | None = None
    session_expires_at: datetime | None = None
    session_policies: tuple[str, ...] | None = None
    source_identity: str | None = None
    # Tag keys a chained AssumeRole carries over (sts:TransitiveTagKeys).
    transitive_tag_keys: tuple[str, ...] = ()

    @property
    def is_root(self) -> bool:
        return self.type == "Root"

    @property
    def is_session(self) -> bool:
        """Temporary credentials, from AssumeRole or GetSessionToken."""
        return self.session_created_at is not None


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"
