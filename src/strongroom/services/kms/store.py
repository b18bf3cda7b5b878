"""Access to KMS's tables: transactions, key resolution as AWS does it, sealed material, paging.

Key references take four forms: a key id, a key ARN, an alias name and an alias ARN (the last two
only where the operation's model allows them). A malformed reference, an absent key, an absent
alias and an ARN from another region each have their own NotFoundException text.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.lru import LRUCache
from strongroom.regions import arn
from strongroom.services.kms.tables import KmsAlias, KmsKey, KmsKeyMaterial
from strongroom.services.request_store import runtime_of as runtime_of
from strongroom.services.request_store import transaction as transaction

_KEY_ID = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})")
_KMS_ARN = re.compile(r"arn:(aws[a-z-]*):kms:([a-z0-9-]*):(\d{12}):(key|alias)/(.+)")

# Operations whose KeyId the model documents as accepting an alias name or alias ARN.
ALIAS_OPERATIONS = frozenset({
    "Decapsulate", "Decrypt", "DeriveSharedSecret", "DescribeKey", "Encapsulate", "Encrypt", "GenerateDataKey",
    "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateDataKeyWithoutPlaintext",
    "GetKeyLastUsage", "GetPublicKey", "ReEncrypt", "Sign", "Verify",
})

CURRENT = "CURRENT"
NON_CURRENT = "NON_CURRENT"


def key_arn(region: str, account_id: str, key_id: str) -> str:
    return arn("kms", region, account_id, f"key/{key_id}")


def alias_arn(region: str, account_id: str, alias_name: str) -> str:
    return arn("kms", region, account_id, alias_name)


def is_key_id(text: str) -> bool:
    return _KEY_ID.fullmatch(text) is not None


def note_key(ctx: RequestContext, key: KmsKey) -> None:
    """Record the key in the request's audit resources (once)."""
    note_key_arn(ctx, key.account_id, key.arn)


def note_key_arn(ctx: RequestContext, account_id: str, arn: str) -> None:
    """`note_key` for a key known by its account and ARN."""
    entry = {"accountId": account_id, "type": "AWS::KMS::Key", "ARN": arn}
    if entry not in ctx.resources:
        ctx.resources.append(entry)


def _invalid(reference: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Invalid keyId '{reference}'")


def _key_in(session: Session, account_id: str, region: str, key_id: str) -> KmsKey:
    key = session.get(KmsKey, (account_id, region, key_id))
    if key is None:
        raise ServiceError("NotFoundException", f"Key '{key_arn(region, account_id, key_id)}' does not exist")
    return key


def _alias_target(session: Session, account_id: str, region: str, alias_name: str) -> KmsKey:
    alias = session.get(KmsAlias, (account_id, region, alias_name))
    if alias is None:
        raise ServiceError("NotFoundException", f"Alias {alias_arn(region, account_id, alias_name)} is not found.")
    return _key_in(session, account_id, region, alias.key_id)


def parse_reference(ctx: RequestContext, reference: str, *, aliases: bool = False) -> tuple[str, str, str, str]:
    """What `reference` names, without reading the store: ("key", account, region, key id) or
    ("alias", account, region, alias name); NotFoundException for a malformed or foreign-region one."""
    return _parse_reference(reference, aliases, ctx.account_id, ctx.region)


# A pure function of its arguments (refusals are raised, never kept): a key is named the same way on
# request after request, and matching the patterns costs more than the lookup.
@functools.lru_cache(maxsize=4096)
def _parse_reference(reference: str, aliases: bool, own_account: str, own_region: str) -> tuple[str, str, str, str]:
    if _KEY_ID.fullmatch(reference):
        return "key", own_account, own_region, reference
    if aliases and reference.startswith("alias/"):
        return "alias", own_account, own_region, reference
    match = _KMS_ARN.fullmatch(reference)
    if match is None:
        raise _invalid(reference)
    _partition, region, account_id, kind, name = match.groups()
    if region != own_region:
        raise ServiceError("NotFoundException", f"Invalid arn {region}")
    if kind == "key":
        if not _KEY_ID.fullmatch(name):
            raise _invalid(reference)
        return "key", account_id, region, name
    if not aliases:
        raise _invalid(reference)
    return "alias", account_id, region, f"alias/{name}"


def resolve_key(ctx: RequestContext, session: Session, reference: str, *, aliases: bool = False) -> KmsKey:
    """The key `reference` names, in the caller's region (the account may differ when given by ARN)."""
    kind, account_id, region, name = parse_reference(ctx, reference, aliases=aliases)
    if kind == "alias":
        return _alias_target(session, account_id, region, name)
    return _key_in(session, account_id, region, name)


def resolve_key_arn(ctx: RequestContext, reference: str, *, aliases: bool = False) -> str:
    with transaction(ctx) as session:
        return resolve_key(ctx, session, reference, aliases=aliases).arn


# --- key material -----------------------------------------------------------------------------


def material_locator(key: KmsKey, material_id: str) -> str:
    return _locator((key.account_id, key.region, key.key_id, material_id))


def _locator(name: tuple[str, str, str, str]) -> str:
    # What sealed material is bound to: kms/<account>/<region>/<key id>/<material id>.
    return "kms/" + "/".join(name)


class MaterialCache:
    """Unsealed key material, bounded, least recently used first out.

    Material never changes once written, so a cached entry is never stale; entries of a key are
    dropped whenever the key changes state, and every use checks the key's state in the store first.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._entries: LRUCache[tuple[str, str, str, str], bytes] = LRUCache(capacity)

    def get(self, name: tuple[str, str, str, str]) -> bytes | None:
        return self._entries.get(name)

    def put(self, name: tuple[str, str, str, str], material: bytes) -> None:
        self._entries.put(name, material)

    def forget_key(self, account_id: str, region: str, key_id: str) -> None:
        key = (account_id, region, key_id)
        self._entries.discard_where(lambda name, _material: name[:3] == key)


material_cache = MaterialCache()


def forget_material(key: KmsKey) -> None:
    material_cache.forget_key(key.account_id, key.region, key.key_id)


def seal_material(ctx: RequestContext, key: KmsKey, material_id: str, material: bytes) -> bytes:
    return runtime_of(ctx).barrier.seal(material, material_locator(key, material_id))


def unseal_material(ctx: RequestContext, key: KmsKey, row: KmsKeyMaterial) -> bytes:
    return unseal_named(ctx, (key.account_id, key.region, key.key_id, row.material_id), row.sealed_material)


def unseal_named(ctx: RequestContext, name: tuple[str, str, str, str], sealed: bytes) -> bytes:
    """The material named (account, region, key id, material id), from the cache or unsealed from `sealed`."""
    cached = material_cache.get(name)
    if cached is not None:
        return cached
    material = runtime_of(ctx).barrier.open(sealed, _locator(name))
    material_cache.put(name, material)
    return material


def current_material(session: Session, key: KmsKey) -> KmsKeyMaterial | None:
    return session.scalar(
        select(KmsKeyMaterial).where(
            KmsKeyMaterial.account_id == key.account_id,
            KmsKeyMaterial.region == key.region,
            KmsKeyMaterial.key_id == key.key_id,
            KmsKeyMaterial.state == CURRENT,
        )
    )


def material_of(session: Session, key: KmsKey, material_id: str) -> KmsKeyMaterial | None:
    return session.get(KmsKeyMaterial, (key.account_id, key.region, key.key_id, material_id))


# --- paging -----------------------------------------------------------------------------------


def encode_marker(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode()


def decode_marker(marker: str | None) -> str | None:
    if marker is None:
        return None
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ServiceError("InvalidMarkerException", "Invalid marker") from None


def page(
    session: Session, query: Select[Any], order: Any, limit: int, marker: str | None
) -> tuple[list[Any], dict[str, Any]]:
    """Rows of `query` ordered by the unique column `order`, after the marker; and the paging members."""
    position = decode_marker(marker)
    if position is not None:
        query = query.where(order > position)
    rows = list(session.scalars(query.order_by(order).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, {"Truncated": False}
    rows = rows[:limit]
    last = getattr(rows[-1], order.key)
    return rows, {"Truncated": True, "NextMarker": encode_marker(str(last))}
