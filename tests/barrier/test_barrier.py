"""The barrier over a real store: sealing, the shared keyring, rotation."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from sqlalchemy import select

from strongroom.barrier import Barrier, BarrierError, FileRootKey
from strongroom.barrier.keyring import Keyring
from strongroom.store.db import Database
from strongroom.store.tables import BarrierKeyring


@pytest.fixture
def barrier(tmp_path: Path, database: Database) -> Barrier:
    return Barrier(database, FileRootKey(tmp_path / "root.key"))


def test_round_trip(barrier: Barrier) -> None:
    plaintext = secrets.token_bytes(100)
    sealed = barrier.seal(plaintext, "access_key/AKIA1")
    assert plaintext not in sealed
    assert barrier.open(sealed, "access_key/AKIA1") == plaintext


def test_value_copied_into_another_record_does_not_open(barrier: Barrier) -> None:
    sealed = barrier.seal(b"secret", "access_key/AKIA1")
    with pytest.raises(BarrierError):
        barrier.open(sealed, "access_key/AKIA2")


def test_every_single_byte_tamper_fails(barrier: Barrier) -> None:
    sealed = barrier.seal(b"secret", "access_key/AKIA1")
    for index in range(len(sealed)):
        for flip in (0x01, 0x80):
            tampered = bytearray(sealed)
            tampered[index] ^= flip
            with pytest.raises(BarrierError):
                barrier.open(bytes(tampered), "access_key/AKIA1")


def test_keyring_is_stored_sealed_and_shared_by_every_barrier_on_the_store(tmp_path: Path, database: Database) -> None:
    first = Barrier(database, FileRootKey(tmp_path / "root.key"))
    second = Barrier(database, FileRootKey(tmp_path / "root.key"))
    assert second.open(first.seal(b"shared", "x"), "x") == b"shared"
    with database.session() as session:
        rows = session.scalars(select(BarrierKeyring)).all()
    assert len(rows) == 1 and rows[0].generation == 1
    # The data key is not in the stored row: only the root key opens it.
    key = Keyring.decode(FileRootKey(tmp_path / "root.key").unwrap(rows[0].sealed)).key(1)
    assert key is not None and key not in rows[0].sealed


def test_rotation_adds_a_term_and_old_terms_still_open(barrier: Barrier) -> None:
    assert barrier.term == 1
    old = barrier.seal(b"old", "x")
    assert barrier.rotate() == 2
    assert barrier.rotate() == 3
    new = barrier.seal(b"new", "x")
    assert new[1:5] == (3).to_bytes(4, "big")
    assert barrier.open(old, "x") == b"old"
    assert barrier.open(new, "x") == b"new"


def test_a_node_opens_values_sealed_after_another_node_rotated(tmp_path: Path, database: Database) -> None:
    first = Barrier(database, FileRootKey(tmp_path / "root.key"))
    second = Barrier(database, FileRootKey(tmp_path / "root.key"))
    first.rotate()
    assert second.term == 1
    assert second.open(first.seal(b"after rotation", "x"), "x") == b"after rotation"
    assert second.term == 2
    # A rotation from a node that had not seen the first one still adds a term, never loses one.
    third = Barrier(database, FileRootKey(tmp_path / "root.key"))
    assert first.rotate() == 3
    assert third.rotate() == 4
    with database.session() as session:
        stored = session.scalar(select(BarrierKeyring.sealed))
    assert Keyring.decode(FileRootKey(tmp_path / "root.key").unwrap(stored)).terms == [1, 2, 3, 4]


def test_unknown_terms_do_not_open(barrier: Barrier) -> None:
    sealed = bytearray(barrier.seal(b"value", "x"))
    sealed[1:5] = (99).to_bytes(4, "big")
    with pytest.raises(BarrierError):
        barrier.open(bytes(sealed), "x")


def test_wrong_root_key_opens_nothing(tmp_path: Path, database: Database) -> None:
    sealed = Barrier(database, FileRootKey(tmp_path / "root.key")).seal(b"value", "x")
    other = tmp_path / "other"
    other.mkdir()
    # A store of its own, with another root key: its barrier cannot open the first store's value.
    other_db = Database(f"sqlite:///{other / 'strongroom.db'}")
    try:
        other_db.migrate()
        stranger = Barrier(other_db, FileRootKey(other / "root.key"))
        with pytest.raises(BarrierError):
            stranger.open(sealed, "x")
    finally:
        other_db.dispose()


def test_keyring_encoding_round_trips_and_refuses_garbage() -> None:
    keyring = Keyring.new().rotated().rotated()
    assert Keyring.decode(keyring.encode()).terms == [1, 2, 3]
    assert repr(keyring) == "Keyring(terms=[1, 2, 3])"
    for garbage in (b"", b"\x01", keyring.encode()[:-1], keyring.encode() + b"\x00", b"\x02" + keyring.encode()[1:]):
        with pytest.raises(BarrierError):
            Keyring.decode(garbage)
