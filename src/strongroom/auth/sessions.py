"""Temporary credentials: issuing them for STS, and finding them again when a request presents them.

A session is an access key id (ASIA...), a secret sealed by the barrier (for the row and everything it
says: whom the session acts as, its policies, tags and expiry; see `session_locator`) and a random
opaque token kept only as its SHA-256 digest. Rows are
written once and never changed, so the non-secret part of a looked-up row is cached in memory;
the secret is opened from its sealed form on every use and the token compared in constant time.
Sessions expire on the server's business clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Protocol

import orjson
from sqlalchemy import delete
from sqlalchemy.orm import Session

from strongroom.auth.failures import EXPIRED_SESSION_TEXT, INVALID_CREDENTIALS_TEXT, AuthFailure, AuthFailureKind
from strongroom.auth.principal import Principal
from strongroom.auth.session_tables import StsSession
from strongroom.barrier import TamperedRecord, bound_locator
from strongroom.store.db import Database

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

ACCESS_KEY_PREFIX = "ASIA"
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
# Bytes of randomness in a token, before MinimumSessionTokenSize asks for a longer one.
TOKEN_BYTES = 96
# Expired rows are kept this long, so late callers still hear ExpiredToken rather than "invalid".
EXPIRED_RETENTION = timedelta(days=7)


class Sealer(Protocol):
    """The barrier's part that sessions use."""

    def seal(self, plaintext: bytes, locator: str) -> bytes: ...

    def open(self, sealed: bytes, locator: str) -> bytes: ...


@dataclass(frozen=True)
class SessionGrant:
    """What a new session acts as, and for how long."""

    account_id: str
    principal_type: str  # Root | IAMUser | AssumedRole
    principal_arn: str
    principal_id: str
    duration: timedelta
    user_name: str | None = None
    role_arn: str | None = None
    session_name: str | None = None
    session_policies: tuple[str, ...] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    transitive_tag_keys: tuple[str, ...] = ()
    source_identity: str | None = None
    minimum_token_size: int = 0


@dataclass(frozen=True)
class IssuedSession:
    access_key_id: str
    secret_access_key: str
    session_token: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class _Stored:
    """A session row's content as lookups need it (immutable, so cacheable)."""

    principal: Principal
    token_sha256: bytes
    sealed_secret: bytes
    expires_at: datetime
    locator: str


def session_locator(row: StsSession) -> str:
    """The barrier locator of a session's secret: the row's every field, so that a row edited in the
    database (another principal, fewer policies, a later expiry) no longer opens."""
    return bound_locator(
        f"session/{row.access_key_id}", account=row.account_id, type=row.principal_type, id=row.principal_id,
        arn=row.principal_arn, user=row.user_name, role=row.role_arn, name=row.session_name,
        token=bytes(row.token_sha256).hex(), created=_utc_text(row.created_at), expires=_utc_text(row.expires_at),
        policies=row.session_policies, tags=row.tags, source=row.source_identity,
    )


def _utc_text(when: datetime) -> str:
    return _aware(when).astimezone(UTC).isoformat()


def _aware(when: datetime) -> datetime:
    # SQLite hands back naive datetimes; every time stored here is UTC.
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def new_access_key_id() -> str:
    return ACCESS_KEY_PREFIX + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))


def new_token(minimum_size: int = 0) -> str:
    """A random opaque token of at least `minimum_size` characters (base64 text, as AWS's are)."""
    size = max(TOKEN_BYTES, -(-minimum_size * 3 // 4))
    return base64.b64encode(secrets.token_bytes(size)).decode()


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class SessionStore:
    """Issues temporary credentials and resolves them to a Principal and secret."""

    def __init__(self, database: Database, barrier: Sealer, cache_size: int = 4096) -> None:
        self._database = database
        self._barrier = barrier
        self._cache: OrderedDict[str, _Stored] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def issue(self, grant: SessionGrant, now: datetime, session: Session | None = None) -> IssuedSession:
        """New temporary credentials for `grant`, stored in `session`'s transaction (a request's own,
        committed with its audit record), or in a transaction of their own without one."""
        access_key_id = new_access_key_id()
        secret = base64.b64encode(secrets.token_bytes(30)).decode()
        token = new_token(grant.minimum_token_size)
        expires_at = now + grant.duration
        row = StsSession(
            access_key_id=access_key_id,
            account_id=grant.account_id,
            principal_type=grant.principal_type,
            principal_arn=grant.principal_arn,
            principal_id=grant.principal_id,
            user_name=grant.user_name,
            role_arn=grant.role_arn,
            session_name=grant.session_name,
            token_sha256=token_digest(token),
            created_at=now,
            expires_at=expires_at,
            session_policies=(
                None if grant.session_policies is None else orjson.dumps(list(grant.session_policies)).decode()
            ),
            tags=orjson.dumps({"tags": dict(grant.tags), "transitive": list(grant.transitive_tag_keys)}).decode(),
            source_identity=grant.source_identity,
        )
        row.sealed_secret = self._barrier.seal(secret.encode(), session_locator(row))
        if session is not None:
            session.add(row)
        else:
            with self._database.session() as own:
                own.add(row)
        return IssuedSession(access_key_id, secret, token, now, expires_at)

    def lookup(self, access_key_id: str, token: str | None, now: datetime) -> tuple[Principal, str] | None:
        """The session's principal and secret; None if no session has this key id.

        Raises AuthFailure when the token is missing or wrong (InvalidClientTokenId) or the session
        has expired on the business clock (ExpiredToken).
        """
        stored = self._stored(access_key_id)
        if stored is None:
            return None
        if token is None or not hmac.compare_digest(token_digest(token), stored.token_sha256):
            raise AuthFailure(AuthFailureKind.INVALID_TOKEN, INVALID_CREDENTIALS_TEXT)
        if now >= stored.expires_at:
            raise AuthFailure(AuthFailureKind.TOKEN_EXPIRED, EXPIRED_SESSION_TEXT)
        try:
            secret = self._barrier.open(stored.sealed_secret, stored.locator).decode()
        except TamperedRecord:
            # Logged by the barrier, naming the session; refused as a token AWS does not know.
            raise AuthFailure(AuthFailureKind.INVALID_TOKEN, INVALID_CREDENTIALS_TEXT) from None
        return stored.principal, secret

    def purge_expired(self, now: datetime) -> int:
        """Delete sessions that expired more than EXPIRED_RETENTION ago; returns how many."""
        cutoff = now - EXPIRED_RETENTION
        with self._database.session() as session:
            result = session.execute(delete(StsSession).where(StsSession.expires_at < cutoff))
        with self._lock:
            for key in [key for key, stored in self._cache.items() if stored.expires_at < cutoff]:
                del self._cache[key]
        return int(getattr(result, "rowcount", 0) or 0)

    def _stored(self, access_key_id: str) -> _Stored | None:
        with self._lock:
            stored = self._cache.get(access_key_id)
            if stored is not None:
                self._cache.move_to_end(access_key_id)
                return stored
        with self._database.session() as session:
            row = session.get(StsSession, access_key_id)
            if row is None:
                return None
            stored = _from_row(row)
        with self._lock:
            self._cache[access_key_id] = stored
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return stored


def _from_row(row: StsSession) -> _Stored:
    tags = orjson.loads(row.tags)
    policies: Sequence[str] | None = orjson.loads(row.session_policies) if row.session_policies else None
    principal = Principal(
        account_id=row.account_id,
        arn=row.principal_arn,
        user_id=row.principal_id,
        type=row.principal_type,
        access_key_id=row.access_key_id,
        user_name=row.user_name,
        tags=dict(tags.get("tags") or {}),
        role_arn=row.role_arn,
        session_name=row.session_name,
        session_created_at=_aware(row.created_at),
        session_expires_at=_aware(row.expires_at),
        session_policies=None if policies is None else tuple(policies),
        source_identity=row.source_identity,
        transitive_tag_keys=tuple(tags.get("transitive") or ()),
    )
    return _Stored(principal, bytes(row.token_sha256), bytes(row.sealed_secret), _aware(row.expires_at),
                   session_locator(row))


_stores: dict[int, SessionStore] = {}
_stores_lock = threading.Lock()


def session_store(runtime: Runtime) -> SessionStore:
    """The runtime's session store: its `sessions` attribute if it has one, else one built once per runtime."""
    given = getattr(runtime, "sessions", None)
    if isinstance(given, SessionStore):
        return given
    with _stores_lock:
        store = _stores.get(id(runtime))
        if store is None:
            store = SessionStore(runtime.database, runtime.barrier)
            _stores[id(runtime)] = store
        return store
