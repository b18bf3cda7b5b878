"""What GetSecretValue reads of a secret and its version, cached per process under the store's
"secretsmanager" cache revision.

Every call on a secret is authorized on what the store says of it (its ARN and resource policy), and
GetSecretValue then finds the version it answers for: two ORM transactions, several milliseconds of
CPU. Each worker instead keeps what it found, as plain immutable values detached from any session,
for as long as the "secretsmanager" revision has not moved. Database triggers bump that revision in
the same transaction as any change to a secret or a version (migration 0013): a value put, a label
moved, a policy set, a deletion scheduled, cancelled or carried out, a replica synced, whichever
worker, node or tool made it. A request reads the revision before reading anything else, so what it
acts on is never older than the last change committed before it began. Recording the day of an
access does not move it (migration 0015): entries carry the day as last read or written by this
worker, which only decides whether a read records it again (see access).

Only what the store holds is kept: values stay sealed (the barrier opens them and KMS decrypts their
data key, authorizing the caller, on every request). Lookups that fail are not cached: they read the
store each time and answer as they always did. Within one request the handler sees the secret the
authorizer decided on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from strongroom.context import RequestContext
from strongroom.services.request_store import request_revision
from strongroom.services.secretsmanager.store import day_of, find_secret, stages_of, transaction
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
    deleted: bool
    last_accessed_day: datetime | None

    @classmethod
    def of(cls, secret: SmSecret) -> StoredSecret:
        return cls(secret.account_id, secret.region, secret.name, secret.arn, secret.policy,
                   secret.deleted_at is not None, day_of(secret.last_accessed_at))


@dataclass(frozen=True, slots=True)
class StoredVersion:
    version_id: str
    stages: tuple[str, ...]
    value_kind: str
    sealed_value: bytes
    created_at: datetime
    last_accessed_day: datetime | None

    @classmethod
    def of(cls, version: SmSecretVersion) -> StoredVersion:
        return cls(version.version_id, tuple(stages_of(version)), version.value_kind, version.sealed_value,
                   version.created_at, day_of(version.last_accessed_at))


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


def cached_secret(ctx: RequestContext, secret_id: str) -> StoredSecret | None:
    """The secret `secret_id` names as this request first found it, else as cached; None when neither has it."""
    revision = _revision(ctx)  # read first, also when the memo answers: a caller may read the store next
    memo = _memo(ctx)
    if secret_id in memo:
        return memo[secret_id]
    return secrets.get(revision, (ctx.account_id, ctx.region, secret_id))


def secret_of(ctx: RequestContext, secret_id: str) -> StoredSecret | None:
    """The secret `secret_id` names (as `store.find_secret` finds it, deleted or not); None when there is none."""
    memo = _memo(ctx)
    if secret_id in memo:
        return memo[secret_id]
    revision = _revision(ctx)
    key = (ctx.account_id, ctx.region, secret_id)
    found = secrets.get(revision, key)
    if found is None:
        with transaction(ctx) as session:
            row = find_secret(session, ctx, secret_id)
            found = StoredSecret.of(row) if row is not None else None
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
