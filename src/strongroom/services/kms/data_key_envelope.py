"""One recipe for the values other services keep encrypted for their caller under a KMS data key
(Parameter Store's SecureStrings too large for Encrypt, Secrets Manager's secret values).

KMS generates a 256-bit data key as the caller (their permissions, `kms:ViaService` the calling
service) under `context`; the value is sealed with AES-256-GCM under it, with a random 96-bit nonce and
the associated data `aad`. The stored form is the service's own `prefix`, the wrapped key's length
(u16, big-endian), the wrapped key (its KMS ciphertext blob), the nonce, then the GCM ciphertext and
tag. KMS's refusals are raised as KMS raised them, for the calling service to word as it relays them;
an envelope that does not open (cut short, or any byte altered) is KMS's InvalidCiphertextException.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.context import RequestContext
from strongroom.services.kms import internal
from strongroom.services.kms.crypto.errors import invalid_ciphertext

_LENGTH_BYTES = 2
_NONCE_BYTES = 12
_TAG_BYTES = 16


@dataclass(frozen=True)
class Envelope:
    blob: bytes
    key_arn: str  # the key that wraps the data key


def seal(
    ctx: RequestContext, plaintext: bytes, *, prefix: bytes, key_reference: str, context: Mapping[str, str],
    via_service: str, aad: bytes,
) -> Envelope:
    """`plaintext` sealed under a new data key of the key `key_reference` names, as the caller."""
    data_key, wrapped_key, key_arn = internal.generate_data_key_as_caller(
        ctx, key_reference=key_reference, context=context, via_service=via_service
    )
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    header = prefix + len(wrapped_key).to_bytes(_LENGTH_BYTES, "big")
    return Envelope(header + wrapped_key + nonce + sealed, key_arn)


def open_envelope(
    ctx: RequestContext, blob: bytes, *, prefix: bytes, context: Mapping[str, str], via_service: str, aad: bytes
) -> bytes:
    """The plaintext `seal` sealed in `blob`, its data key unwrapped by KMS Decrypt as the caller."""
    wrapped_key, nonce, sealed = _parts(blob, prefix)
    data_key, _key_arn = internal.decrypt_as_caller(ctx, blob=wrapped_key, context=context, via_service=via_service)
    try:
        return AESGCM(data_key).decrypt(nonce, sealed, aad)
    except (InvalidTag, ValueError):
        raise invalid_ciphertext() from None


def is_envelope(blob: bytes, prefix: bytes) -> bool:
    return blob.startswith(prefix)


def _parts(blob: bytes, prefix: bytes) -> tuple[bytes, bytes, bytes]:
    """(wrapped key, nonce, GCM ciphertext and tag) of an envelope."""
    key_start = len(prefix) + _LENGTH_BYTES
    if not blob.startswith(prefix) or len(blob) < key_start:
        raise invalid_ciphertext()
    nonce_start = key_start + int.from_bytes(blob[len(prefix):key_start], "big")
    sealed_start = nonce_start + _NONCE_BYTES
    if len(blob) < sealed_start + _TAG_BYTES:
        raise invalid_ciphertext()
    return blob[key_start:nonce_start], blob[nonce_start:sealed_start], blob[sealed_start:]
