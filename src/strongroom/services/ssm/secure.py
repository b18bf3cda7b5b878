"""SecureString values: encrypted by KMS with the caller's own permissions, then sealed by the barrier.

The plaintext is never stored: a version row holds the KMS ciphertext blob, sealed with locator
`ssm/<account>/<region>/<name>/<version>`. The encryption context binds the blob to the parameter's
ARN, as Parameter Store's does. Values too large for KMS Encrypt (over 4 KB, advanced tier) are
enveloped as AWS envelopes advanced parameters: under a KMS data key, by the recipe Secrets Manager
uses too (`strongroom.services.kms.data_key_envelope`), the parameter's ARN as associated data. KMS's
refusals become SSM's errors, worded as SSM relays them: KMS's message followed by
"(Service: AWSKMS; ...)".
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import data_key_envelope, internal
from strongroom.services.ssm.store import runtime_of

MANAGED_KEY_ALIAS = "alias/aws/ssm"
CONTEXT_KEY = "PARAMETER_ARN"
KMS_PLAINTEXT_LIMIT = 4096
_ENVELOPE = b"SSMENV1"

# KMS errors SSM answers as InvalidKeyId (the key can't be used); the rest pass through as KMS named them.
_KEY_ERRORS = frozenset({"NotFoundException", "DisabledException", "KMSInvalidStateException",
                         "InvalidCiphertextException", "IncorrectKeyException", "InvalidKeyUsageException"})


def _relayed(error: ServiceError) -> ServiceError:
    message = f"{error.message or ''} (Service: AWSKMS; Status Code: 400; Error Code: {error.code}; " \
              f"Request ID: {uuid.uuid4()}; Proxy: null)".lstrip()
    if error.code in _KEY_ERRORS:
        return ServiceError("InvalidKeyId", message)
    if error.code == "AccessDeniedException":
        return ServiceError("AccessDeniedException", message, status=400)
    return ServiceError(error.code, message, status=error.status)


def locator(account_id: str, region: str, key: str, version: int) -> str:
    return f"ssm/{account_id}/{region}/{key.lstrip('/')}/{version}"


def resolve_key(ctx: RequestContext, key_id: str | None) -> str:
    """The ARN of the key a SecureString is encrypted under: `key_id`, or the AWS managed key."""
    try:
        if key_id is None or key_id == MANAGED_KEY_ALIAS:
            return internal.managed_key_arn(ctx, MANAGED_KEY_ALIAS)
        return internal.resolve_key_arn_as_caller(ctx, key_id)
    except ServiceError as error:
        raise _relayed(error) from None


def encrypt(ctx: RequestContext, key_arn: str, parameter_arn: str, plaintext: str) -> bytes:
    data = plaintext.encode()
    context = {CONTEXT_KEY: parameter_arn}
    try:
        if len(data) <= KMS_PLAINTEXT_LIMIT:
            blob, _ = internal.encrypt_as_caller(ctx, key_reference=key_arn, plaintext=data, context=context,
                                                 via_service="ssm")
            return blob
        return data_key_envelope.seal(ctx, data, prefix=_ENVELOPE, key_reference=key_arn, context=context,
                                      via_service="ssm", aad=parameter_arn.encode()).blob
    except ServiceError as error:
        raise _relayed(error) from None


def decrypt(ctx: RequestContext, blob: bytes, parameter_arn: str) -> str:
    context = {CONTEXT_KEY: parameter_arn}
    try:
        if data_key_envelope.is_envelope(blob, _ENVELOPE):
            plaintext = data_key_envelope.open_envelope(ctx, blob, prefix=_ENVELOPE, context=context,
                                                        via_service="ssm", aad=parameter_arn.encode())
        else:
            plaintext, _ = internal.decrypt_as_caller(ctx, blob=blob, context=context, via_service="ssm")
    except ServiceError as error:
        raise _relayed(error) from None
    return plaintext.decode()


def seal(ctx: RequestContext, blob: bytes, sealed_at: str) -> bytes:
    barrier: Any = runtime_of(ctx).barrier
    sealed: bytes = barrier.seal(blob, sealed_at)
    return sealed


def unseal(ctx: RequestContext, sealed: bytes, sealed_at: str) -> bytes:
    barrier: Any = runtime_of(ctx).barrier
    blob: bytes = barrier.open(sealed, sealed_at)
    return blob


def ciphertext_text(blob: bytes) -> str:
    """What a read without decryption shows for a SecureString: the ciphertext, base64."""
    return base64.b64encode(blob).decode()
