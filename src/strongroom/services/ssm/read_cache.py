"""The parameter versions GetParameter answers, cached per process under the store's "ssm" cache revision.

Finding a parameter and its version costs two or three primary-key reads (`find_version`, by
statements built once, outside any ORM session); each worker keeps what it found, as plain immutable
values, for as long as the "ssm" revision has not moved. Database triggers bump that revision in the
same transaction as any change to a parameter, version, label, tag or policy (migration 0013),
whichever worker, node or tool made it, and a request reads it before reading anything else, so what
is answered is never older than the last change committed before the request began. Expiration
policies delete through the store too, and so are seen at once.

Only what the store holds is kept: a SecureString's value stays sealed (the barrier opens it and KMS
decrypts it, authorizing the caller, on every request). Lookups that fail are not cached: they read
the store each time and answer as they always did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, bindparam, select

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.request_store import request_revision
from strongroom.services.ssm import secure
from strongroom.services.ssm.names import Reference, parameter_arn_in
from strongroom.services.ssm.store import aware, not_found, version_not_found
from strongroom.services.ssm.tables import SsmParameter, SsmParameterLabel, SsmParameterVersion
from strongroom.store.revision_cache import RevisionCache

REVISION = "ssm"
# Bounds the memory a worker holds: at most CAPACITY versions, none with a stored value over this size
# (Parameter Store's values are at most 8 KB, so in practice all are kept).
MAX_CACHED_VALUE_BYTES = 16 * 1024
CAPACITY = 4096


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """A parameter version as reads render it: the parameter's ARN and the version's stored fields."""

    arn: str
    locator: str  # where the barrier sealed a SecureString's ciphertext
    type: str
    version: int
    data_type: str
    modified_at: datetime
    value: str | None
    sealed_value: bytes | None

    @classmethod
    def of(cls, parameter: SsmParameter, row: SsmParameterVersion | Row[*tuple[Any, ...]]) -> StoredVersion:
        return cls.at(parameter.account_id, parameter.region, parameter.name, row)

    @classmethod
    def at(cls, account_id: str, region: str, key: str,
           row: SsmParameterVersion | Row[*tuple[Any, ...]]) -> StoredVersion:
        """Version `row` of the parameter `key` of `account_id` in `region`."""
        return cls(
            arn=parameter_arn_in(region, account_id, key), locator=secure.locator(account_id, region, key, row.version),
            type=row.type, version=row.version, data_type=row.data_type, modified_at=aware(row.modified_at),
            value=row.value, sealed_value=row.sealed_value,
        )


# A read's lookups, by statements built (and compiled) once: the parameter's latest version number,
# the version a label names, and the version's columns that StoredVersion keeps.
def _of_parameter(
    table: type[SsmParameter] | type[SsmParameterLabel] | type[SsmParameterVersion],
) -> tuple[ColumnElement[bool], ...]:
    return (table.account_id == bindparam("account_id"), table.region == bindparam("region"),
            table.name == bindparam("key"))


_LATEST = select(SsmParameter.version).where(*_of_parameter(SsmParameter))
_LABELLED = select(SsmParameterLabel.version).where(*_of_parameter(SsmParameterLabel),
                                                    SsmParameterLabel.label == bindparam("label"))
_VERSION = select(
    SsmParameterVersion.type, SsmParameterVersion.version, SsmParameterVersion.data_type,
    SsmParameterVersion.modified_at, SsmParameterVersion.value, SsmParameterVersion.sealed_value,
).where(*_of_parameter(SsmParameterVersion), SsmParameterVersion.version == bindparam("version"))


def find_version(connection: Connection, ctx: RequestContext, reference: Reference) -> StoredVersion:
    """The version `reference` selects (its parameter's latest without a selector), or AWS's error."""
    scope = {"account_id": reference.account_id, "region": ctx.region, "key": reference.key}
    latest = connection.execute(_LATEST, scope).scalar()
    if latest is None:
        raise not_found()
    number = latest
    if reference.version is not None:
        number = reference.version
    elif reference.label is not None:
        labelled = connection.execute(_LABELLED, {**scope, "label": reference.label}).scalar()
        if labelled is None:
            raise ServiceError(
                "ParameterVersionNotFound",
                f"Systems Manager could not find label {reference.label} of {reference.asked}. Verify the label "
                "and try again.",
            )
        number = labelled
    # Versions are 1 up to the latest: any other names none (and a 64-bit one would not fit PostgreSQL's column).
    row = connection.execute(_VERSION, {**scope, "version": number}).first() if 0 < number <= latest else None
    if row is None:
        raise version_not_found(str(number), reference.asked)
    return StoredVersion.at(reference.account_id, ctx.region, reference.key, row)


# (account, region, key, version selector, label selector) -> the version a read of it answers.
VersionLookup = tuple[str, str, str, int | None, str | None]
versions: RevisionCache[VersionLookup, StoredVersion] = RevisionCache(CAPACITY)


def lookup_of(ctx: RequestContext, reference: Reference) -> VersionLookup:
    return reference.account_id, ctx.region, reference.key, reference.version, reference.label


def cached_version(ctx: RequestContext, lookup: VersionLookup) -> StoredVersion | None:
    return versions.get(request_revision(ctx, REVISION), lookup)


def keep_version(ctx: RequestContext, lookup: VersionLookup, version: StoredVersion) -> None:
    """File what was read under the revision this request read before reading it."""
    if version.sealed_value is not None and len(version.sealed_value) > MAX_CACHED_VALUE_BYTES:
        return
    if version.value is not None and len(version.value) > MAX_CACHED_VALUE_BYTES:
        return
    versions.put(request_revision(ctx, REVISION), lookup, version)
