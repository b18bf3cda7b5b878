"""The barrier: everything secret at rest is sealed here before it reaches the store.

Values are sealed with the newest data key of the keyring; the keyring itself is sealed by the root
key holder and kept in the store (table barrier_keyring), shared by every node on one database.
"""

from __future__ import annotations

import logging
import threading

import orjson
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from strongroom.barrier import format as sealed_format
from strongroom.barrier.errors import BarrierError, RootKeyError, TamperedRecord
from strongroom.barrier.keyring import Keyring
from strongroom.barrier.root import RootKeyHolder
from strongroom.store.db import Database
from strongroom.store.tables import BarrierKeyring

KEYRING_ROW = "keyring"

log = logging.getLogger("strongroom.barrier")

# Concurrent rotations by other nodes are retried this often before giving up.
MAX_ROTATE_ATTEMPTS = 10


def bound_locator(record: str, **binding: str | None) -> str:
    """The locator of a value that belongs to `record` and opens only while the record's other fields
    still say what `binding` says (e.g. whom an access key authenticates as). JSON, so that no two
    bindings differ only in where one field ends."""
    return orjson.dumps([record, binding], option=orjson.OPT_SORT_KEYS).decode()


class Barrier:
    """Seals and opens values bound to a locator (the record they belong to, e.g. `access_key/<id>`)."""

    def __init__(self, database: Database, root: RootKeyHolder) -> None:
        self._database = database
        self._root = root
        self._reload_lock = threading.Lock()
        self._keyring = self._load_or_create()

    @property
    def term(self) -> int:
        """The term whose key seals new values."""
        return self._keyring.active_term

    def seal(self, plaintext: bytes, locator: str) -> bytes:
        keyring = self._keyring
        key = keyring.key(keyring.active_term)
        if key is None:
            raise BarrierError()
        return sealed_format.seal(key, keyring.active_term, plaintext, locator)

    def open(self, sealed: bytes, locator: str) -> bytes:
        """The plaintext of a value the store holds for `locator`.

        A value that does not open was changed or moved outside Strongroom: that is logged as tampering,
        naming the record, and raised as TamperedRecord (a BarrierError that the client sees as a
        failure saying so)."""
        try:
            return self.open_token(sealed, locator)
        except BarrierError:
            log.error("tampering: the sealed value of %s does not open for its record; the row was changed "
                      "or moved outside Strongroom, and is refused", locator)
            raise TamperedRecord(locator) from None

    def open_token(self, sealed: bytes, locator: str) -> bytes:
        """The plaintext of a value a client presented back (a pagination or import token) for
        `locator`; BarrierError, saying nothing more, when it does not open (the client's mistake)."""
        term = sealed_format.read_term(sealed)
        key = self._keyring.key(term)
        if key is None and term > self._keyring.active_term:
            # Another node may have rotated since this one loaded the keyring.
            key = self._reload().key(term)
        if key is None:
            raise BarrierError()
        return sealed_format.open_sealed(key, sealed, locator)

    def rotate(self) -> int:
        """Add a new data key term that seals from now on (older terms still open); returns it."""
        for _ in range(MAX_ROTATE_ATTEMPTS):
            with self._database.session() as session:
                row = session.get(BarrierKeyring, KEYRING_ROW)
                if row is None:
                    raise BarrierError()
                rotated = self._unwrap(row.sealed).rotated()
                # Applies only if no other node changed the keyring since we read it.
                changed = session.connection().execute(
                    update(BarrierKeyring)
                    .where(BarrierKeyring.name == KEYRING_ROW, BarrierKeyring.generation == row.generation)
                    .values(generation=row.generation + 1, sealed=self._root.wrap(rotated.encode()))
                ).rowcount
            if changed == 1:
                self._keyring = rotated
                return rotated.active_term
        raise BarrierError()

    def _reload(self) -> Keyring:
        with self._reload_lock:
            with self._database.session() as session:
                sealed = session.scalar(select(BarrierKeyring.sealed).where(BarrierKeyring.name == KEYRING_ROW))
            if sealed is not None:
                self._keyring = self._unwrap(sealed)
            return self._keyring

    def _load_or_create(self) -> Keyring:
        with self._database.session() as session:
            sealed = session.scalar(select(BarrierKeyring.sealed).where(BarrierKeyring.name == KEYRING_ROW))
        if sealed is not None:
            return self._unwrap(sealed)
        keyring = Keyring.new()
        try:
            with self._database.session() as session:
                session.add(BarrierKeyring(name=KEYRING_ROW, generation=1, sealed=self._root.wrap(keyring.encode())))
        except IntegrityError:
            # Another node created the keyring first: use theirs.
            with self._database.session() as session:
                sealed = session.scalar(select(BarrierKeyring.sealed).where(BarrierKeyring.name == KEYRING_ROW))
            if sealed is None:
                raise
            return self._unwrap(sealed)
        return keyring

    def _unwrap(self, sealed: bytes) -> Keyring:
        try:
            return Keyring.decode(self._root.unwrap(sealed))
        except BarrierError:
            raise RootKeyError(
                f"{self._root!r} does not open this store's barrier keyring: "
                "it is not the root key this database was first used with"
            ) from None
