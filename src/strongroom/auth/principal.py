"""Who is calling: the identity a verified request acts as."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Principal:
    """An authenticated caller.

    `type` is CloudTrail's userIdentity type: "Root", "IAMUser" or "AssumedRole".
    `user_id` is AWS's unique id (the account id for the root, AIDA... for users, AROA...:session for roles).
    """

    account_id: str
    arn: str
    user_id: str
    type: str
    access_key_id: str
    user_name: str | None = None
    session_token: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def is_root(self) -> bool:
        return self.type == "Root"


def root_arn(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"
