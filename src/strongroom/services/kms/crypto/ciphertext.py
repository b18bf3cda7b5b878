"""The symmetric ciphertext blob of SYMMETRIC_DEFAULT keys: AES-256-GCM under a per-message key.

Layout (all fixed-size, so parsing has no length fields to abuse):

    offset  size
    0       4    marker b"SRK" + format version 0x01
    4       1    key-id kind: 0 = UUID, 1 = multi-Region (`mrk-` + 32 hex)
    5       16   key id, as the 16 bytes its hex digits spell
    21      32   key-material id (the 64 hex chars of CurrentKeyMaterialId, as bytes)
    53      16   random salt for the per-message key
    69      12   random GCM nonce
    81      n+16 GCM ciphertext and tag

The header (bytes 0..80) is readable without key material so Decrypt can find the key and the backing
material, and it holds the key id rather than the ARN so the replicas of a multi-Region key share
ciphertexts. The per-message key is HKDF-SHA256(material, salt, info = label + key id + material id),
and the GCM associated data is the whole header followed by the canonical encryption context, so a
change to any header byte, any context entry or the body fails authentication.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag

from strongroom.services.kms.crypto import errors, hazmat

MARKER = b"SRK\x01"
_UUID_KIND = 0
_MRK_KIND = 1
_SALT_SIZE = 16
_NONCE_SIZE = 12
# Offsets of the header's parts (see the layout above): the ids are the key-id kind, key id and material id.
_IDS_START = len(MARKER)
_SALT_START = _IDS_START + 1 + 16 + 32
_NONCE_START = _SALT_START + _SALT_SIZE
HEADER_SIZE = _NONCE_START + _NONCE_SIZE
TAG_SIZE = 16
OVERHEAD = HEADER_SIZE + TAG_SIZE
_KEY_BYTES = 32
_DERIVATION_LABEL = b"strongroom kms symmetric blob v1\x00"

_UUID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MRK_PATTERN = re.compile(r"mrk-[0-9a-f]{32}")
_MATERIAL_ID_PATTERN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class CiphertextHeader:
    """What a blob tells in clear: the key id (not an ARN) and the key-material id (64 hex chars)."""

    key_id: str
    material_id: str


_EMPTY_CONTEXT = bytes(4)


def encode_context(context: Mapping[str, str]) -> bytes:
    """Canonical encryption context: entry count, then per entry sorted by key, u32-length-prefixed UTF-8
    key and value. Length prefixes make {"ab": "c"} and {"a": "bc"} differ, unlike plain concatenation."""
    if not context:
        return _EMPTY_CONTEXT
    parts = [len(context).to_bytes(4, "big")]
    try:
        # Sorting the strings sorts their UTF-8 encodings too: UTF-8 keeps code point order.
        for key in sorted(context):
            key_bytes, value_bytes = key.encode("utf-8"), context[key].encode("utf-8")
            parts += (len(key_bytes).to_bytes(4, "big"), key_bytes, len(value_bytes).to_bytes(4, "big"), value_bytes)
    except (AttributeError, TypeError, UnicodeEncodeError):
        raise errors.validation("Encryption context keys and values must be UTF-8 strings.") from None
    return b"".join(parts)


def encrypt_symmetric(
    material: bytes, *, key_id: str, material_id: str, plaintext: bytes, context: Mapping[str, str]
) -> bytes:
    """Seal plaintext under a SYMMETRIC_DEFAULT key's material, bound to its encryption context."""
    if len(material) != _KEY_BYTES:
        raise errors.internal("Symmetric key material must be 32 bytes.")
    ids = _packed_ids(key_id, material_id)
    salt_and_nonce = hazmat.random_bytes(_SALT_SIZE + _NONCE_SIZE)
    header = MARKER + ids + salt_and_nonce
    data_key = _message_key(material, ids, salt_and_nonce[:_SALT_SIZE])
    sealed = hazmat.aes_gcm_seal(data_key, salt_and_nonce[_SALT_SIZE:], plaintext, header + encode_context(context))
    return header + sealed


def read_header(blob: bytes) -> CiphertextHeader:
    """The key id and material id of a blob, without material; InvalidCiphertextException if it is not ours."""
    if len(blob) < OVERHEAD or not blob.startswith(MARKER):
        raise errors.invalid_ciphertext()
    return _unpacked_ids(blob[_IDS_START:_SALT_START])


def decrypt_symmetric(material: bytes, blob: bytes, context: Mapping[str, str]) -> bytes:
    """Open a blob; every failure (wrong key, context, any altered byte) is the same InvalidCiphertextException."""
    read_header(blob)
    if len(material) != _KEY_BYTES:
        raise errors.invalid_ciphertext()
    header = blob[:HEADER_SIZE]
    try:
        aad = header + encode_context(context)
    except errors.ServiceError:
        raise errors.invalid_ciphertext() from None
    data_key = _opening_key(material, header[_IDS_START:_SALT_START], header[_SALT_START:_NONCE_START])
    try:
        return hazmat.aes_gcm_open(data_key, header[_NONCE_START:], blob[HEADER_SIZE:], aad)
    except InvalidTag:
        raise errors.invalid_ciphertext() from None


def _message_key(material: bytes, ids: bytes, salt: bytes) -> bytes:
    # info binds the derived key to the key id and material id (header bytes 4..52) as well.
    return hazmat.hkdf_sha256(material, salt=salt, info=_DERIVATION_LABEL + ids, length=_KEY_BYTES)


# The same blob is opened again and again (a data key unwrapped per use, a SecureString read per request),
# and the key HKDF derives for it depends on nothing else: kept, it is derived once. Like the memos below,
# a pure function of its arguments, so no entry can go stale.
@functools.lru_cache(maxsize=1024)
def _opening_key(material: bytes, ids: bytes, salt: bytes) -> bytes:
    return _message_key(material, ids, salt)


# Both memos below are pure functions of their arguments (a blob's id bytes never mean anything else), so
# no entry can go stale; they spare the regular expressions, UUID parsing and formatting per message.
@functools.lru_cache(maxsize=1024)
def _packed_ids(key_id: str, material_id: str) -> bytes:
    """Header bytes 4..52 for a key and material: key-id kind, key id, material id."""
    kind, key_id_bytes = _pack_key_id(key_id)
    return bytes((kind,)) + key_id_bytes + _pack_material_id(material_id)


@functools.lru_cache(maxsize=1024)
def _unpacked_ids(ids: bytes) -> CiphertextHeader:
    kind, key_id_bytes, material_id_bytes = ids[0], ids[1:17], ids[17:]
    if kind == _UUID_KIND:
        key_id = str(uuid.UUID(bytes=key_id_bytes))
    elif kind == _MRK_KIND:
        key_id = "mrk-" + key_id_bytes.hex()
    else:
        raise errors.invalid_ciphertext()
    return CiphertextHeader(key_id, material_id_bytes.hex())


def _pack_key_id(key_id: str) -> tuple[int, bytes]:
    if _UUID_PATTERN.fullmatch(key_id):
        return _UUID_KIND, uuid.UUID(key_id).bytes
    if _MRK_PATTERN.fullmatch(key_id):
        return _MRK_KIND, bytes.fromhex(key_id[4:])
    raise errors.internal(f"Key id {key_id!r} is neither a lowercase UUID nor a multi-Region key id.")


def _pack_material_id(material_id: str) -> bytes:
    if not _MATERIAL_ID_PATTERN.fullmatch(material_id):
        raise errors.internal("Key-material id must be 64 lowercase hex characters.")
    return bytes.fromhex(material_id)
