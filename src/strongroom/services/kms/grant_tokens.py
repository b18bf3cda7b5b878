"""Grant tokens: the grant's id sealed by the barrier, so a token cannot be forged or guessed.

The barrier's AES-256-GCM seal authenticates the id and binds it to a fixed locator; a token that
fails to open, or opens to anything but a grant id, is InvalidGrantTokenException. Only the id is
inside: whether the grant still exists is decided where it is used.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from typing import Any

from strongroom.barrier.errors import BarrierError
from strongroom.context import RequestContext
from strongroom.errors import ServiceError

_LOCATOR = "kms/grant-token"
_GRANT_ID = re.compile(rb"[0-9a-f]{64}")
INVALID_TOKEN_TEXT = "The grant token is invalid."  # noqa: S105 - an error message


def _barrier(ctx: RequestContext) -> Any:
    assert ctx.runtime is not None
    return ctx.runtime.barrier


def issue_token(ctx: RequestContext, grant_id: str) -> str:
    sealed: bytes = _barrier(ctx).seal(grant_id.encode(), _LOCATOR)
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def grant_id_of(ctx: RequestContext, token: str) -> str:
    """The grant id a token carries; InvalidGrantTokenException for anything that is not our token."""
    try:
        sealed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        grant_id: bytes = _barrier(ctx).open_token(sealed, _LOCATOR)
    except (binascii.Error, ValueError, BarrierError):
        raise ServiceError("InvalidGrantTokenException", INVALID_TOKEN_TEXT) from None
    if _GRANT_ID.fullmatch(grant_id) is None:
        raise ServiceError("InvalidGrantTokenException", INVALID_TOKEN_TEXT)
    return grant_id.decode()


def check_tokens(ctx: RequestContext, tokens: Iterable[str] | None) -> list[str]:
    """The grant ids of every token given with a request (each must be valid)."""
    return [grant_id_of(ctx, token) for token in tokens or ()]
