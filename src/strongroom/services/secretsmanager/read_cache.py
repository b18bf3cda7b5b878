"""What GetSecretValue reads of a secret and its version, cached per process under the store's
"secretsmanager" cache revision.

Every call on a secret is authorized on what the store says of it (its ARN and resource policy), and
GetSecretValue then finds the version it answers for: a few reads of the store (`read_secret`,
`read_versions`). Each worker instead keeps what it found, as plain immutable values, for as long as
the "secretsmanager" revision has not moved. Database triggers bump that revision in the same
transaction as any change to a secret or a version (migration 0013): a value put, a label moved, a
policy set, a deletion scheduled, cancelled or carried out, a replica synced, whichever worker, node
or tool made it. A request reads the revision before reading anything else, so what it acts on is
never older than the last change committed before it began. Recording the day of an access does not
move it (migration 0015): entries carry the day as last read or written by this worker, which only
decides whether a read records it again (see access).

Only what the store holds is kept: values stay sealed (the barrier opens them and KMS decrypts their
data key, authorizing the caller, on every request). Lookups that fail are not cached: they read the
store each time and answer as they always did. Within one request the handler sees the secret the
authorizer decided on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Row, bindparam, select

from strongroom.auth.policy.binding import loaded_bindings
from strongroom.auth.policy.principals import Bindings
from strongroom.context import RequestContext
from strongroom.services.request_store import reading, request_revision
from strongroom.services.secretsmanager.store import day_of, secret_lookups
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion
from strongroom.store.revision_cache import RevisionCache

REVISION = "secretsmanager"
# Bounds the memory a worker holds: at most VERSION_CAPACITY versions, none sealed larger than this
# (larger values are read from the store each time).
MAX_CACHED_VALUE_BYTES = 16 * 1024
SECRET_CAPACITY = 4096
VERSION_CAPACITY = 2048
# Per-request memo of the secrets found, so the handler uses what the authorizer decided on.
_REQUEST_MEMO = "secretsmanager.secrets"


@dataclass(frozen=True, slots=True)
class StoredSecret:
    account_id: str
    region: str
    name: str
    arn: str
    policy: str | None
    principals: Bindings  # the policy's principals bound to unique ids
    deleted: bool
    last_accessed_on: date | None  # the (UTC) day of the last recorded access

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> StoredSecret:
        return cls(row.account_id, row.region, row.name, row.arn, row.policy, loaded_bindings(row.policy_principals),
                   row.deleted_at is not None, _day(row.last_accessed_at))


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version_id: str
    stages: tuple[str, ...]
    value_kind: str
    sealed_value: bytes
    created_at: datetime
    last_accessed_on: date | None  # the (UTC) day of the last recorded access

    @classmethod
    def of(cls, row: Row[*tuple[Any, ...]]) -> StoredVersion:
        return cls(row.version_id, tuple(json.loads(row.stages)), row.value_kind, row.sealed_value, row.created_at,
                   _day(row.last_accessed_at))


def _day(moment: datetime | None) -> date | None:
    return day_of(moment).date() if moment is not None else None


# The store's reads on a miss: plain rows of the columns kept, by statements built (and compiled) once.
_SECRET_COLUMNS = (SmSecret.account_id, SmSecret.region, SmSecret.name, SmSecret.arn, SmSecret.policy,
                   SmSecret.policy_principals, SmSecret.deleted_at, SmSecret.last_accessed_at)
_SECRET_BY_ARN = select(*_SECRET_COLUMNS).where(SmSecret.arn == bindparam("arn"))
_SECRET_BY_KEY = select(*_SECRET_COLUMNS).where(
    SmSecret.account_id == bindparam("account_id"), SmSecret.region == bindparam("region"),
    SmSecret.name == bindparam("name"),
)
_VERSION_COLUMNS = (SmSecretVersion.version_id, SmSecretVersion.stages, SmSecretVersion.value_kind,
                    SmSecretVersion.sealed_value, SmSecretVersion.created_at, SmSecretVersion.last_accessed_at)
_VERSION_BY_ID = select(*_VERSION_COLUMNS).where(
    SmSecretVersion.secret_arn == bindparam("arn"), SmSecretVersion.version_id == bindparam("version_id"),
)
# Newest first, as `store.versions_of` lists them.
_VERSIONS_OF = select(*_VERSION_COLUMNS).where(SmSecretVersion.secret_arn == bindparam("arn")).order_by(
    SmSecretVersion.created_at.desc(), SmSecretVersion.version_id
)


def read_secret(ctx: RequestContext, secret_id: str) -> StoredSecret | None:
    """The secret `secret_id` names, read from the store (as `store.find_secret` finds it, deleted or not)."""
    with reading(ctx) as connection:
        for lookup in secret_lookups(ctx, secret_id):
            if isinstance(lookup, str):
                row = connection.execute(_SECRET_BY_ARN, {"arn": lookup}).first()
            else:
                account_id, region, name = lookup
                row = connection.execute(_SECRET_BY_KEY, {"account_id": account_id, "region": region,
                                                          "name": name}).first()
            if row is not None:
                return StoredSecret.of(row)
    return None


def read_version(ctx: RequestContext, secret_arn: str, version_id: str) -> StoredVersion | None:
    with reading(ctx) as connection:
        row = connection.execute(_VERSION_BY_ID, {"arn": secret_arn, "version_id": version_id}).first()
    return StoredVersion.of(row) if row is not None else None


def read_versions(ctx: RequestContext, secret_arn: str) -> list[StoredVersion]:
    """The secret's versions, newest first."""
    with reading(ctx) as connection:
        rows = connection.execute(_VERSIONS_OF, {"arn": secret_arn}).all()
    return [StoredVersion.of(row) for row in rows]


# (caller's account, caller's region, SecretId as given) -> the secret it names.
secrets: RevisionCache[tuple[str, str, str], StoredSecret] = RevisionCache(SECRET_CAPACITY)
# (secret ARN, VersionId, VersionStage) -> the version GetSecretValue answers for.
VersionLookup = tuple[str, str | None, str | None]
versions: RevisionCache[VersionLookup, StoredVersion] = RevisionCache(VERSION_CAPACITY)


def _memo(ctx: RequestContext) -> dict[str, StoredSecret | None]:
    # Only this module stores under _REQUEST_MEMO, and always this type.
    memo: dict[str, StoredSecret | None] | None = ctx.extra.get(_REQUEST_MEMO)
    if memo is None:
        memo = ctx.extra[_REQUEST_MEMO] = {}
    return memo


def _revision(ctx: RequestContext) -> int | None:
    return request_revision(ctx, REVISION)


def secret_of(ctx: RequestContext, secret_id: str) -> StoredSecret | None:
    """The secret `secret_id` names (as `store.find_secret` finds it, deleted or not); None when there is none."""
    memo = _memo(ctx)
    if secret_id in memo:
        return memo[secret_id]
    revision = _revision(ctx)
    key = (ctx.account_id, ctx.region, secret_id)
    found = secrets.get(revision, key)
    if found is None:
        found = read_secret(ctx, secret_id)
        if found is not None:
            secrets.put(revision, key, found)
    memo[secret_id] = found
    return found


def cached_version(ctx: RequestContext, lookup: VersionLookup) -> StoredVersion | None:
    return versions.get(_revision(ctx), lookup)


def keep(ctx: RequestContext, secret_id: str, secret: StoredSecret, lookup: VersionLookup,
         version: StoredVersion) -> None:
    """File what GetSecretValue read under the revision this request read before reading it."""
    revision = _revision(ctx)
    secrets.put(revision, (ctx.account_id, ctx.region, secret_id), secret)
    if len(version.sealed_value) <= MAX_CACHED_VALUE_BYTES:
        versions.put(revision, lookup, version)
