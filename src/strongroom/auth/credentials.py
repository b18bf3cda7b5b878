"""Access keys: AWS-shaped ids, secrets sealed by the barrier, and the per-request lookup.

A key's secret is sealed for its record and for whom the key authenticates (account, principal type,
id, ARN and user name): a row edited in the database to name another principal no longer opens, and
is refused as an invalid key and logged as tampering.

Every signed request looks its access key up, so `lookup` keeps a small bounded in-process cache.
Entries live only a few seconds, so that a key deactivated by another worker or node stops working
soon without any cross-process signal; `forget` drops an entry at once in this process.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
import time
from collections import OrderedDict
from datetime import datetime

from sqlalchemy.orm import Session

from strongroom.auth.principal import Principal
from strongroom.barrier import Barrier, TamperedRecord, bound_locator
from strongroom.lru import remember
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey

ACCESS_KEY_ID_PREFIX = "AKIA"
# AWS key ids use the base32 alphabet after their four-letter prefix.
ACCESS_KEY_ID_ALPHABET = string.ascii_uppercase + "234567"
SECRET_ACCESS_KEY_ALPHABET = string.ascii_letters + string.digits + "+/"
SECRET_ACCESS_KEY_LENGTH = 40

ACCESS_KEY_ID_PATTERN = re.compile(r"[A-Z0-9]{16,128}")
# Printable ASCII without the space: a secret must survive an INI file, which trims whitespace.
SECRET_ACCESS_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,128}")

ACTIVE = "Active"
INACTIVE = "Inactive"

DEFAULT_CACHE_SIZE = 1024
DEFAULT_CACHE_TTL_SECONDS = 5.0


class CredentialError(ValueError):
    """An access key id or secret that cannot be used (malformed, or the id is taken)."""


def generate_access_key_id() -> str:
    return ACCESS_KEY_ID_PREFIX + "".join(secrets.choice(ACCESS_KEY_ID_ALPHABET) for _ in range(16))


def generate_secret_access_key() -> str:
    return "".join(secrets.choice(SECRET_ACCESS_KEY_ALPHABET) for _ in range(SECRET_ACCESS_KEY_LENGTH))


def validate_access_key_id(value: str) -> str:
    if not ACCESS_KEY_ID_PATTERN.fullmatch(value):
        raise CredentialError("an access key id must be 16 to 128 characters of A-Z and 0-9")
    return value


def validate_secret_access_key(value: str) -> str:
    if not SECRET_ACCESS_KEY_PATTERN.fullmatch(value):
        # The message never repeats the value: it is a secret.
        raise CredentialError("a secret access key must be 1 to 128 printable ASCII characters, without spaces")
    return value


def secret_locator(key: AccessKey) -> str:
    """The barrier locator of an access key's secret: it opens only in that key's record, and only while
    the record names the principal the key was made for."""
    return bound_locator(
        f"access_key/{key.access_key_id}", account=key.account_id, type=key.principal_type,
        id=key.principal_id, arn=key.principal_arn, user=key.user_name,
    )


def seal_secret(barrier: Barrier, key: AccessKey, secret_access_key: str) -> None:
    """Seal `secret_access_key` into `key`, bound to what the row says now (seal again after changing it)."""
    key.sealed_secret = barrier.seal(secret_access_key.encode(), secret_locator(key))


class CredentialStore:
    """Creates access keys and finds the principal and secret behind an access key id."""

    def __init__(
        self,
        db: Database,
        barrier: Barrier,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        cache_ttl: float = DEFAULT_CACHE_TTL_SECONDS,
    ) -> None:
        self._db = db
        self._barrier = barrier
        self._cache_size = cache_size
        self._cache_ttl = cache_ttl
        self._cache: OrderedDict[str, tuple[float, Principal, str]] = OrderedDict()
        self._lock = threading.Lock()

    def create_access_key(
        self,
        session: Session,
        *,
        account_id: str,
        principal_type: str,
        principal_arn: str,
        principal_id: str,
        user_name: str | None = None,
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        now: datetime,
    ) -> tuple[str, str]:
        """Add an Active key in `session`'s transaction; returns (access key id, secret access key)."""
        if access_key_id is None:
            access_key_id = generate_access_key_id()
        else:
            validate_access_key_id(access_key_id)
        if secret_access_key is None:
            secret_access_key = generate_secret_access_key()
        else:
            validate_secret_access_key(secret_access_key)
        if session.get(AccessKey, access_key_id) is not None:
            raise CredentialError(f"the access key id {access_key_id} is already in use")
        key = AccessKey(
            access_key_id=access_key_id,
            account_id=account_id,
            principal_type=principal_type,
            principal_arn=principal_arn,
            principal_id=principal_id,
            user_name=user_name,
            status=ACTIVE,
            created_at=now,
        )
        seal_secret(self._barrier, key, secret_access_key)
        session.add(key)
        return access_key_id, secret_access_key

    def lookup(self, access_key_id: str) -> tuple[Principal, str] | None:
        """The principal and secret of an Active key; None for an unknown or inactive one, and for one
        whose row was tampered with (the barrier logs that, naming the key)."""
        if len(access_key_id) > 128:
            return None
        cached = self._cached(access_key_id)
        if cached is not None:
            return cached
        with self._db.session() as session:
            row = session.get(AccessKey, access_key_id)
            if row is None or row.status != ACTIVE:
                return None
            principal = Principal(
                account_id=row.account_id,
                arn=row.principal_arn,
                user_id=row.principal_id,
                type=row.principal_type,
                access_key_id=row.access_key_id,
                user_name=row.user_name,
            )
            sealed, locator = row.sealed_secret, secret_locator(row)
        try:
            secret = self._barrier.open(sealed, locator).decode()
        except TamperedRecord:
            # The barrier has logged it, naming the key; the request is refused as AWS refuses a key it
            # does not know.
            return None
        self._remember(access_key_id, principal, secret)
        return principal, secret

    def forget(self, access_key_id: str) -> None:
        """Drop a key from this process's cache (after its status changes or it is deleted)."""
        with self._lock:
            self._cache.pop(access_key_id, None)

    def _cached(self, access_key_id: str) -> tuple[Principal, str] | None:
        with self._lock:
            entry = self._cache.get(access_key_id)
            if entry is None:
                return None
            expires, principal, secret = entry
            if time.monotonic() >= expires:
                del self._cache[access_key_id]
                return None
            self._cache.move_to_end(access_key_id)
            return principal, secret

    def _remember(self, access_key_id: str, principal: Principal, secret: str) -> None:
        if self._cache_size <= 0:
            return
        with self._lock:
            remember(self._cache, access_key_id, (time.monotonic() + self._cache_ttl, principal, secret),
                     self._cache_size)
