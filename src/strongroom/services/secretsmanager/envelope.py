"""Secret values at rest: KMS envelope encryption with the caller's permissions, then the barrier's seal.

A value is encrypted under a fresh 256-bit data key (AES-GCM) that KMS generates under the secret's
key, with the encryption context AWS uses (`SecretARN`, `SecretVersionId`); the data key's KMS
ciphertext travels with the value. The whole envelope is sealed by the barrier with the locator
`secretsmanager/<account>/<region>/<arn>/<version-id>`, so neither plaintext nor a usable data key is
ever stored. KMS's errors become Secrets Manager's.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.barrier import TamperedRecord
from strongroom.context import RequestContext
from strongroom.errors import InternalFailure, ServiceError
from strongroom.services.kms import internal as kms
from strongroom.services.secretsmanager.store import runtime_of

VIA = "secretsmanager"
MANAGED_ALIAS = "alias/aws/secretsmanager"
_FORMAT = 1
_NONCE_BYTES = 12

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
        data_key, wrapped_key, key_arn = kms.generate_data_key_as_caller(
            ctx, key_reference=reference, context=_context(secret_arn, version_id), via_service=VIA
        )
    except ServiceError as error:
        raise _mapped(error, encrypting=True) from None
    nonce = os.urandom(_NONCE_BYTES)
    aad = f"{secret_arn}\n{version_id}".encode()
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    envelope = struct.pack(">BH", _FORMAT, len(wrapped_key)) + wrapped_key + nonce + ciphertext
    sealed = runtime_of(ctx).barrier.seal(envelope, locator(account_id, ctx.region, secret_arn, version_id))
    return SealedValue(sealed, key_arn)


def open_value(ctx: RequestContext, *, account_id: str, region: str, secret_arn: str, version_id: str,
               sealed: bytes) -> bytes:
    envelope = runtime_of(ctx).barrier.open(sealed, locator(account_id, region, secret_arn, version_id))
    form, length = struct.unpack_from(">BH", envelope)
    if form != _FORMAT:
        raise InternalFailure()
    wrapped_key = envelope[3:3 + length]
    nonce = envelope[3 + length:3 + length + _NONCE_BYTES]
    ciphertext = envelope[3 + length + _NONCE_BYTES:]
    try:
        data_key, _key_arn = kms.decrypt_as_caller(
            ctx, blob=wrapped_key, context=_context(secret_arn, version_id), via_service=VIA
        )
    except ServiceError as error:
        raise _mapped(error, encrypting=False) from None
    try:
        return AESGCM(data_key).decrypt(nonce, ciphertext, f"{secret_arn}\n{version_id}".encode())
    except InvalidTag:
        raise ServiceError("DecryptionFailure", DECRYPTION_FAILURE_TEXT) from None
