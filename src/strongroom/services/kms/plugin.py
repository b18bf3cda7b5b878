"""The KMS plugin object, and the resource each operation declares for authorization: the key's ARN.

The resolvers look the key up (so a missing key answers NotFoundException before authorization),
accepting aliases only for the operations whose model documents them.
"""

from __future__ import annotations

from typing import Any

from strongroom.context import RequestContext
from strongroom.services.base import ResourceResolver, Service
from strongroom.services.kms.authorization import authorize_kms_request
from strongroom.services.kms.store import resolve_key_arn

service = Service("kms", authorizer=authorize_kms_request)

# The cryptographic operations on symmetric and signing keys: their keys come from the key cache and
# their last-use record is written with the audit batch, so they never write the store themselves.
# (Data key pairs are left out: generating an RSA pair can take a long time.)
service.inline_operations = frozenset({
    "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Sign", "Verify",
    "GenerateMac", "VerifyMac", "GenerateRandom",
})


def key_resource(member: str = "KeyId", *, aliases: bool = False) -> ResourceResolver:
    """The ARN of the key named by `member`; "*" when the member is absent (optional KeyIds)."""

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        reference = params.get(member)
        if reference is None:
            return ["*"]
        return [resolve_key_arn(ctx, reference, aliases=aliases)]

    return resolve
