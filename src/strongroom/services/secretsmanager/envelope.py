"""Secret values at rest: KMS envelope encryption with the caller's permissions, then the barrier's seal.

A value is encrypted under a fresh 256-bit data key (AES-GCM) that KMS generates under the secret's
key, with the encryption context AWS uses (`SecretARN`, `SecretVersionId`); the data key's KMS
ciphertext travels with the value (the recipe Parameter Store uses too:
`strongroom.services.kms.data_key_envelope`). The whole envelope is sealed by the barrier with the
locator `secretsmanager/<account>/<region>/<arn>/<version-id>`, so neither plaintext nor a usable data
key is ever stored. KMS's errors become Secrets Manager's.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.barrier import TamperedRecord
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import data_key_envelope
from strongroom.services.kms import internal as kms
from strongroom.services.secretsmanager.store import runtime_of

VIA = "secretsmanager"
MANAGED_ALIAS = "alias/aws/secretsmanager"
# The stored envelope's first byte: its format's version.
_PREFIX = b"\x01"

ACCESS_DENIED_TEXT = "Access to KMS is not allowed"
ENCRYPTION_FAILURE_TEXT = (
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. "
    "Check that the KMS key is available, enabled, and not in an invalid state."
)
DECRYPTION_FAILURE_TEXT = "Secrets Manager can't decrypt the protected secret text using the provided KMS key."


@dataclass(frozen=True)
class SealedValue:
    sealed: bytes
    key_arn: str


def locator(account_id: str, region: str, secret_arn: str, version_id: str) -> str:
    return f"secretsmanager/{account_id}/{region}/{secret_arn}/{version_id}"


def _context(secret_arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": secret_arn, "SecretVersionId": version_id}


def _mapped(error: ServiceError, *, encrypting: bool) -> ServiceError:
    if isinstance(error, TamperedRecord):
        return error  # the key's material failed its integrity check: say so, not "can't decrypt"
    if error.code == "AccessDeniedException":
        return ServiceError("AccessDeniedException", ACCESS_DENIED_TEXT)
    if encrypting:
        return ServiceError("EncryptionFailure", ENCRYPTION_FAILURE_TEXT)
    return ServiceError("DecryptionFailure", DECRYPTION_FAILURE_TEXT)


def key_reference(ctx: RequestContext, kms_key_id: str | None) -> str:
    """The key a secret's values are encrypted under: the one given, else the AWS managed key."""
    if kms_key_id:
        return kms_key_id
    try:
        return kms.managed_key_arn(ctx, MANAGED_ALIAS)
    except ServiceError as error:
        raise _mapped(error, encrypting=True) from None


def check_key(ctx: RequestContext, kms_key_id: str) -> str:
    """The ARN of the key a caller names, or AWS's error when there is no such key."""
    try:
        return kms.resolve_key_arn_as_caller(ctx, kms_key_id)
    except ServiceError:
        raise ServiceError("ResourceNotFoundException", "Secrets Manager can't find the specified KMS key.") from None


def seal_value(
    ctx: RequestContext, *, account_id: str, secret_arn: str, version_id: str, kms_key_id: str | None, plaintext: bytes
) -> SealedValue:
    reference = key_reference(ctx, kms_key_id)
    try:
        envelope = data_key_envelope.seal(ctx, plaintext, prefix=_PREFIX, key_reference=reference,
                                          context=_context(secret_arn, version_id), via_service=VIA,
                                          aad=_aad(secret_arn, version_id))
    except ServiceError as error:
        raise _mapped(error, encrypting=True) from None
    sealed = runtime_of(ctx).barrier.seal(envelope.blob, locator(account_id, ctx.region, secret_arn, version_id))
    return SealedValue(sealed, envelope.key_arn)


def open_value(ctx: RequestContext, *, account_id: str, region: str, secret_arn: str, version_id: str,
               sealed: bytes) -> bytes:
    envelope = runtime_of(ctx).barrier.open(sealed, locator(account_id, region, secret_arn, version_id))
    try:
        return data_key_envelope.open_envelope(ctx, envelope, prefix=_PREFIX, via_service=VIA,
                                               context=_context(secret_arn, version_id),
                                               aad=_aad(secret_arn, version_id))
    except ServiceError as error:
        raise _mapped(error, encrypting=False) from None


def _aad(secret_arn: str, version_id: str) -> bytes:
    return f"{secret_arn}\n{version_id}".encode()
