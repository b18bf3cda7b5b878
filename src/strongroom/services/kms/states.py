"""AWS's key-state table: which operation classes a key's state permits, and the error when not.

Operation classes follow the footnotes of AWS's "Key states of KMS keys" table. Where the table
and recorded responses disagree (crypto on a key pending deletion), the recording wins:
KMSInvalidStateException.
"""

from __future__ import annotations

from enum import Enum

from strongroom.errors import ServiceError

ENABLED = "Enabled"
DISABLED = "Disabled"
PENDING_DELETION = "PendingDeletion"
PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
PENDING_IMPORT = "PendingImport"
UNAVAILABLE = "Unavailable"
CREATING = "Creating"
UPDATING = "Updating"


class OperationClass(Enum):
    # DescribeKey, key policies, ListAliases, ListResourceTags, DeleteAlias, grants listing/retiring.
    ANY_STATE = "any"
    # TagResource, UntagResource, UpdateKeyDescription, CreateAlias, UpdateAlias's target.
    MANAGE = "manage"
    # EnableKey, DisableKey.
    ENABLE_DISABLE = "enable-disable"
    SCHEDULE_DELETION = "schedule-deletion"
    CANCEL_DELETION = "cancel-deletion"
    # Encrypt, Decrypt, Sign, ..., GetPublicKey, CreateGrant.
    CRYPTO = "crypto"


_PHRASES = {
    DISABLED: "is disabled.",
    PENDING_DELETION: "is pending deletion.",
    PENDING_REPLICA_DELETION: "is pending deletion.",
    PENDING_IMPORT: "is pending import.",
    UNAVAILABLE: "is unavailable.",
    CREATING: "is creating.",
    UPDATING: "is updating.",
}

_DELETING = {PENDING_DELETION, PENDING_REPLICA_DELETION}

# The states each class refuses (a class absent from a state's row allows it).
_REFUSED: dict[OperationClass, frozenset[str]] = {
    OperationClass.ANY_STATE: frozenset(),
    OperationClass.MANAGE: frozenset({*_DELETING, CREATING}),
    OperationClass.ENABLE_DISABLE: frozenset({*_DELETING, PENDING_IMPORT, UNAVAILABLE, CREATING, UPDATING}),
    OperationClass.SCHEDULE_DELETION: frozenset({*_DELETING, UPDATING}),
    OperationClass.CRYPTO: frozenset({DISABLED, *_DELETING, PENDING_IMPORT, UNAVAILABLE, CREATING}),
}


def check_state(arn: str, state: str, operation: OperationClass) -> None:
    """Raise AWS's error when a key in `state` cannot take part in an operation of this class."""
    if operation is OperationClass.CANCEL_DELETION:
        if state != PENDING_DELETION:
            raise ServiceError("KMSInvalidStateException", f"{arn} is not pending deletion.")
        return
    if state not in _REFUSED[operation]:
        return
    code = "DisabledException" if state == DISABLED else "KMSInvalidStateException"
    raise ServiceError(code, f"{arn} {_PHRASES[state]}")
