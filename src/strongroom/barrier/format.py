"""The barrier's sealed-value format, and the only place that uses AES-256-GCM directly.

    version (1 byte) ‖ key term (u32, big-endian) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)

The additional authenticated data is version ‖ term ‖ locator, so a value opens only with the key of
its term and only under the locator it was sealed for: copied into another record, it does not open.
Nonces are random; each term's key is rotated long before 2^32 seals make a nonce collision likely.
"""

from __future__ import annotations

import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom.barrier.errors import BarrierError

FORMAT_VERSION = 1
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_TERM = 2**32 - 1

_HEADER = struct.Struct(">BI")
HEADER_BYTES = _HEADER.size
MIN_SEALED_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES


def _aad(header: bytes, locator: str) -> bytes:
    # The header has a fixed length, so header ‖ locator is unambiguous.
    return header + locator.encode("utf-8")


def seal(key: bytes, term: int, plaintext: bytes, locator: str) -> bytes:
    """Encrypt and authenticate `plaintext` for `locator` with the data key of `term`."""
    if len(key) != KEY_BYTES or not 0 <= term <= MAX_TERM:
        raise BarrierError()
    header = _HEADER.pack(FORMAT_VERSION, term)
    nonce = os.urandom(NONCE_BYTES)
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, _aad(header, locator))


def read_term(sealed: bytes) -> int:
    """The key term a sealed value names; raises BarrierError when it is not a value of this format."""
    if len(sealed) < MIN_SEALED_BYTES:
        raise BarrierError()
    version, term = _HEADER.unpack_from(sealed)
    if version != FORMAT_VERSION:
        raise BarrierError()
    return int(term)


def open_sealed(key: bytes, sealed: bytes, locator: str) -> bytes:
    """Authenticate and decrypt a value sealed for `locator` with `key` (the key of its term)."""
    read_term(sealed)
    if len(key) != KEY_BYTES:
        raise BarrierError()
    header = sealed[:HEADER_BYTES]
    nonce = sealed[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]
    try:
        return AESGCM(key).decrypt(nonce, sealed[HEADER_BYTES + NONCE_BYTES :], _aad(header, locator))
    except InvalidTag:
        raise BarrierError() from None
