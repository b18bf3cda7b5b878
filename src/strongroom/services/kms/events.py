"""The events KMS sends to EventBridge itself, on the default bus of the key's account and region.

As AWS KMS does (see "Monitor KMS keys with Amazon EventBridge" in its developer guide): source
"aws.kms", the key's ARN as the only resource, and `{"key-id": <key id>}` as the detail, for
"KMS CMK Rotation" (automatic or on-demand), "KMS Imported Key Material Expiration" and
"KMS CMK Deletion". Each is put inside the transaction of the change it reports, so it is sent
only if that change commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from strongroom.services.events.emit import emit
from strongroom.services.kms.store import key_arn

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

SOURCE = "aws.kms"
KEY_ROTATION = "KMS CMK Rotation"
MATERIAL_EXPIRATION = "KMS Imported Key Material Expiration"
KEY_DELETION = "KMS CMK Deletion"


def emit_key_event(runtime: Runtime, session: Session, detail_type: str, *, account_id: str, region: str,
                   key_id: str, time: datetime) -> None:
    """Put KMS's `detail_type` event about one key on its default bus, with `session`'s change."""
    emit(runtime, account_id=account_id, region=region, source=SOURCE, detail_type=detail_type,
         detail={"key-id": key_id}, resources=[key_arn(region, account_id, key_id)], time=time, session=session)
