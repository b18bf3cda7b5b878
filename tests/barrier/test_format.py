"""The sealed-value format: round trips, locator binding, tampering, versions and terms."""

from __future__ import annotations

import secrets

import pytest

from strongroom.barrier.errors import BarrierError
from strongroom.barrier.format import FORMAT_VERSION, HEADER_BYTES, NONCE_BYTES, TAG_BYTES, open_sealed, read_term, seal

KEY = secrets.token_bytes(32)


def test_layout_is_version_term_nonce_ciphertext_tag() -> None:
    sealed = seal(KEY, 7, b"hello", "access_key/AKIA1")
    assert sealed[0] == FORMAT_VERSION
    assert int.from_bytes(sealed[1:5], "big") == 7 == read_term(sealed)
    assert len(sealed) == HEADER_BYTES + NONCE_BYTES + len(b"hello") + TAG_BYTES
    assert b"hello" not in sealed
    assert open_sealed(KEY, sealed, "access_key/AKIA1") == b"hello"


def test_each_seal_uses_a_fresh_nonce() -> None:
    first, second = seal(KEY, 1, b"same", "x"), seal(KEY, 1, b"same", "x")
    assert first[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES] != second[HEADER_BYTES : HEADER_BYTES + NONCE_BYTES]


def test_empty_plaintext_round_trips() -> None:
    assert open_sealed(KEY, seal(KEY, 1, b"", "x"), "x") == b""


def test_every_single_byte_tamper_fails() -> None:
    sealed = seal(KEY, 3, b"a secret worth keeping", "access_key/AKIA1")
    for index in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[index] ^= 0x01
        with pytest.raises(BarrierError) as caught:
            open_sealed(KEY, bytes(tampered), "access_key/AKIA1")
        assert str(caught.value) == "the sealed value cannot be opened"


def test_truncated_and_extended_values_fail() -> None:
    sealed = seal(KEY, 1, b"value", "x")
    for length in range(len(sealed)):
        with pytest.raises(BarrierError):
            open_sealed(KEY, sealed[:length], "x")
    with pytest.raises(BarrierError):
        open_sealed(KEY, sealed + b"\x00", "x")


@pytest.mark.parametrize("other", ["access_key/AKIA2", "access_key/AKIA1 ", "", "ACCESS_KEY/AKIA1"])
def test_another_locator_does_not_open(other: str) -> None:
    sealed = seal(KEY, 1, b"value", "access_key/AKIA1")
    with pytest.raises(BarrierError):
        open_sealed(KEY, sealed, other)


def test_another_key_does_not_open() -> None:
    with pytest.raises(BarrierError):
        open_sealed(secrets.token_bytes(32), seal(KEY, 1, b"value", "x"), "x")


def test_rewriting_the_term_breaks_authentication() -> None:
    sealed = bytearray(seal(KEY, 1, b"value", "x"))
    sealed[1:5] = (2).to_bytes(4, "big")
    assert read_term(bytes(sealed)) == 2
    with pytest.raises(BarrierError):
        open_sealed(KEY, bytes(sealed), "x")


def test_unknown_version_is_refused() -> None:
    sealed = bytearray(seal(KEY, 1, b"value", "x"))
    sealed[0] = FORMAT_VERSION + 1
    with pytest.raises(BarrierError):
        read_term(bytes(sealed))


@pytest.mark.parametrize(
    ("key", "term"),
    [(b"short", 1), (KEY, -1), (KEY, 2**32)],
    # KEY is random: ids must not show it, or parallel workers would collect different tests.
    ids=["short-key", "negative-term", "term-too-large"],
)
def test_bad_keys_and_terms_are_refused_when_sealing(key: bytes, term: int) -> None:
    with pytest.raises(BarrierError):
        seal(key, term, b"value", "x")
