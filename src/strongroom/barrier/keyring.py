"""The barrier's keyring: term-numbered 256-bit data keys. The newest term seals; every term opens.

Encoded as: version (1 byte) ‖ count (u32) ‖ count times (term (u32) ‖ key (32 bytes)), then sealed as a
whole by the root key holder, so moving the root key (into an HSM, say) reseals only this value.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Mapping
from types import MappingProxyType

from strongroom.barrier.errors import BarrierError
from strongroom.barrier.format import KEY_BYTES, MAX_TERM

KEYRING_VERSION = 1

_COUNT = struct.Struct(">BI")
_ENTRY = struct.Struct(f">I{KEY_BYTES}s")


class Keyring:
    """An immutable set of data keys by term; `rotated()` returns a new keyring with one more term."""

    def __init__(self, keys: Mapping[int, bytes]) -> None:
        if not keys or any(len(key) != KEY_BYTES or not 1 <= term <= MAX_TERM for term, key in keys.items()):
            raise BarrierError()
        self._keys: Mapping[int, bytes] = MappingProxyType(dict(keys))
        self._active = max(self._keys)

    @classmethod
    def new(cls) -> Keyring:
        return cls({1: secrets.token_bytes(KEY_BYTES)})

    @property
    def active_term(self) -> int:
        return self._active

    @property
    def terms(self) -> list[int]:
        return sorted(self._keys)

    def key(self, term: int) -> bytes | None:
        return self._keys.get(term)

    def rotated(self) -> Keyring:
        if self._active >= MAX_TERM:
            raise BarrierError()
        return Keyring({**self._keys, self._active + 1: secrets.token_bytes(KEY_BYTES)})

    def encode(self) -> bytes:
        entries = b"".join(_ENTRY.pack(term, self._keys[term]) for term in self.terms)
        return _COUNT.pack(KEYRING_VERSION, len(self._keys)) + entries

    @classmethod
    def decode(cls, data: bytes) -> Keyring:
        if len(data) < _COUNT.size:
            raise BarrierError()
        version, count = _COUNT.unpack_from(data)
        if version != KEYRING_VERSION or len(data) != _COUNT.size + count * _ENTRY.size:
            raise BarrierError()
        keys: dict[int, bytes] = {}
        for index in range(count):
            term, key = _ENTRY.unpack_from(data, _COUNT.size + index * _ENTRY.size)
            if term in keys:
                raise BarrierError()
            keys[term] = key
        return cls(keys)

    def __repr__(self) -> str:
        return f"Keyring(terms={self.terms})"
