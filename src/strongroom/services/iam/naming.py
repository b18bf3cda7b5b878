"""IAM's identifiers: unique ids, ARNs, name keys, and timestamps as they leave the store."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # AWS's unique ids use base32-style characters

USER_ID_PREFIX = "AIDA"
GROUP_ID_PREFIX = "AGPA"
ROLE_ID_PREFIX = "AROA"
POLICY_ID_PREFIX = "ANPA"


def new_id(prefix: str) -> str:
    """An AWS-shaped unique id: the kind's prefix and 17 random characters."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(17))


def name_key(name: str) -> str:
    """IAM names are unique regardless of case: the form used to compare them."""
    return name.lower()


def entity_arn(account_id: str, kind: str, path: str, name: str) -> str:
    """`arn:aws:iam::ACCOUNT:KIND/PATH/NAME`; kind is user, group, role or policy."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"


def parse_entity_arn(arn: str, kind: str) -> tuple[str, str, str] | None:
    """(account id, path, name) of an IAM ARN of `kind`, or None if it is not one."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "iam" or not parts[5].startswith(f"{kind}/"):
        return None
    account_id, rest = parts[4], parts[5][len(kind) :]
    path, _, name = rest.rpartition("/")
    if not name:
        return None
    return account_id, path + "/", name


def aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes: every time IAM stores is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
