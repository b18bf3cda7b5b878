"""What requests read about a key (the key row, tags, aliases, material), cached per process.

Every Encrypt, Decrypt or GenerateDataKey needs the key, its tags and aliases (for the policy's
condition keys) and its sealed material. Reading them costs four queries; instead each worker keeps
them in a bounded cache, valid for as long as the store's "kms" cache revision has not moved.
Database triggers bump that revision in the same transaction as any insert, update or delete on
KMS keys, material, aliases or tags (migration 0011), whichever worker, node or tool made it, so a
request never acts on a key state, policy, tag, alias or material older than the last committed
change: the revision is read (one primary-key read) before anything cached is used, and before
anything is loaded, so what is loaded is never older than the revision it is filed under.

Within one request, what the authorizer read is what the handler uses (`ctx.extra`), so a call
is decided and carried out on the same view of the key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.policy import PolicyDocument, PolicyKind
from strongroom.auth.policy.binding import loaded_bindings
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.lru import remember, touch
from strongroom.services.kms.store import (
    CURRENT,
    alias_arn,
    forget_material,
    key_arn,
    parse_reference,
    transaction,
)
from strongroom.services.kms.tables import KmsAlias, KmsKey, KmsKeyMaterial, KmsTag
from strongroom.services.request_store import request_revision

MAX_POLICY_CHARACTERS = 32768
REVISION = "kms"
# Per-request memo of what was read, so the handler sees what the authorizer decided on.
_REQUEST_MEMO = "kms.key_facts"


def key_policy_document(text: str, stored_principals: str | None) -> PolicyDocument:
    """A saved key policy as evaluation weighs it, its principals bound as they were saved."""
    return PolicyDocument.parse(
        text, kind=PolicyKind.RESOURCE, max_size=MAX_POLICY_CHARACTERS, bindings=loaded_bindings(stored_principals)
    )


@dataclass(frozen=True, slots=True)
class MaterialRef:
    material_id: str
    state: str
    sealed: bytes


@dataclass(frozen=True)
class KeyFacts:
    """What authorizing and carrying out a request on a key reads about it, in one transaction."""

    key: KmsKey
    tags: dict[str, str]
    aliases: list[str]
    materials: Mapping[str, MaterialRef] = field(default_factory=dict)
    # Values derived from the fields above (which are never changed once read), computed on first use:
    # cached facts are replaced, not updated, when the key cache revision moves.
    derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def arn(self) -> str:
        return self.key.arn

    def policy(self) -> PolicyDocument:
        # Compiled documents are cached by text and bindings; the stored text was validated when it was set.
        document: PolicyDocument | None = self.derived.get("policy")
        if document is None:
            document = self.derived["policy"] = key_policy_document(self.key.policy, self.key.policy_principals)
        return document

    def current_material(self) -> MaterialRef | None:
        for material in self.materials.values():
            if material.state == CURRENT:
                return material
        return None


def facts_of(session: Session, key: KmsKey) -> KeyFacts:
    scope = (KmsTag.account_id == key.account_id, KmsTag.region == key.region, KmsTag.key_id == key.key_id)
    tags = {row.tag_key: row.tag_value for row in session.scalars(select(KmsTag).where(*scope))}
    aliases = list(session.scalars(select(KmsAlias.alias_name).where(
        KmsAlias.account_id == key.account_id, KmsAlias.region == key.region, KmsAlias.key_id == key.key_id
    )))
    materials = {
        row.material_id: MaterialRef(row.material_id, row.state, row.sealed_material)
        for row in session.execute(select(
            KmsKeyMaterial.material_id, KmsKeyMaterial.state, KmsKeyMaterial.sealed_material
        ).where(
            KmsKeyMaterial.account_id == key.account_id, KmsKeyMaterial.region == key.region,
            KmsKeyMaterial.key_id == key.key_id,
        ))
    }
    return KeyFacts(key, tags, sorted(aliases), materials)


class _Generation:
    """The cache's entries for one revision. A moved revision starts a new generation rather than
    emptying this one, so a reader holding it sees only what was loaded under its own revision."""

    __slots__ = ("aliases", "keys", "revision")

    def __init__(self, revision: int | None) -> None:
        self.revision = revision
        self.keys: OrderedDict[tuple[str, str, str], KeyFacts] = OrderedDict()
        self.aliases: OrderedDict[tuple[str, str, str], str] = OrderedDict()


class KeyCache:
    """Key facts and alias targets of one revision, bounded, least recently used first out.

    Reads take no lock (each dict operation is atomic under the GIL, and a generation only ever holds
    what was loaded under its revision); starting a generation and writing take the lock.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._generation = _Generation(None)
        self._lock = threading.Lock()

    def _at(self, revision: int) -> _Generation:
        generation = self._generation
        if generation.revision != revision:
            # A moved revision makes everything held stale.
            with self._lock:
                generation = self._generation
                if generation.revision != revision:
                    generation = self._generation = _Generation(revision)
        return generation

    def key(self, revision: int, name: tuple[str, str, str]) -> KeyFacts | None:
        keys = self._at(revision).keys
        facts = keys.get(name)
        if facts is not None:
            touch(keys, name)
        return facts

    def alias(self, revision: int, name: tuple[str, str, str]) -> str | None:
        aliases = self._at(revision).aliases
        key_id = aliases.get(name)
        if key_id is not None:
            touch(aliases, name)
        return key_id

    def put(self, revision: int, facts: KeyFacts, alias: tuple[str, str, str] | None = None) -> None:
        key = facts.key
        with self._lock:
            generation = self._generation
            if revision != generation.revision:
                # Loaded under a revision that has moved on (or not yet been seen): not kept.
                return
            name = (key.account_id, key.region, key.key_id)
            remember(generation.keys, name, facts, self._capacity)
            if alias is not None:
                remember(generation.aliases, alias, key.key_id, self._capacity)

    def clear(self) -> None:
        with self._lock:
            self._generation = _Generation(None)


key_cache = KeyCache()


def _memo(ctx: RequestContext) -> dict[tuple[str, ...], KeyFacts]:
    # Only this function stores under _REQUEST_MEMO, and always this type.
    memo: dict[tuple[str, ...], KeyFacts] | None = ctx.extra.get(_REQUEST_MEMO)
    if memo is None:
        memo = ctx.extra[_REQUEST_MEMO] = {}
    return memo


def _loaded(facts: KeyFacts) -> KeyFacts:
    if not facts.key.enabled:
        # Another worker may have disabled or scheduled the key: drop any unsealed material here too.
        forget_material(facts.key)
    return facts


def _not_found(account_id: str, region: str, key_id: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Key '{key_arn(region, account_id, key_id)}' does not exist")


def _detach(session: Session, key: KmsKey) -> None:
    """Take a key that is about to be cached out of the request's session, loaded as it is: what the
    request then changes (or rolls back) in its own copy never reaches other requests."""
    session.expunge(key)


def key_facts(ctx: RequestContext, reference: str, *, aliases: bool) -> KeyFacts:
    """The key `reference` names (as `store.resolve_key` finds it), with its tags, aliases and material."""
    memo = _memo(ctx)
    lookup = ("ref", reference, "alias" if aliases else "")
    found = memo.get(lookup)
    if found is not None:
        return found
    kind, account_id, region, name = parse_reference(ctx, reference, aliases=aliases)
    revision = request_revision(ctx, REVISION)
    facts: KeyFacts | None = None
    alias_name = (account_id, region, name) if kind == "alias" else None
    if revision is not None:
        key_id = key_cache.alias(revision, alias_name) if alias_name is not None else name
        if key_id is not None:
            facts = key_cache.key(revision, (account_id, region, key_id))
    if facts is None:
        with transaction(ctx) as session:
            if alias_name is not None:
                alias = session.get(KmsAlias, alias_name)
                if alias is None:
                    text = f"Alias {alias_arn(region, account_id, name)} is not found."
                    raise ServiceError("NotFoundException", text)
                key_id = alias.key_id
            else:
                key_id = name
            key = session.get(KmsKey, (account_id, region, key_id))
            if key is None:
                raise _not_found(account_id, region, key_id)
            facts = _loaded(facts_of(session, key))
            if revision is not None:
                _detach(session, key)
        if revision is not None:
            key_cache.put(revision, facts, alias_name)
    memo[lookup] = facts
    return facts


def ciphertext_key_facts(ctx: RequestContext, key_id: str) -> KeyFacts | None:
    """The key a symmetric ciphertext names, in the caller's region: its own account's first, else
    another's (None when there is none)."""
    memo = _memo(ctx)
    lookup = ("ciphertext", key_id)
    found = memo.get(lookup)
    if found is not None:
        return found
    revision = request_revision(ctx, REVISION)
    facts = None if revision is None else key_cache.key(revision, (ctx.account_id, ctx.region, key_id))
    if facts is None:
        with transaction(ctx) as session:
            key = session.get(KmsKey, (ctx.account_id, ctx.region, key_id))
            if key is None:
                key = session.scalars(
                    select(KmsKey).where(KmsKey.region == ctx.region, KmsKey.key_id == key_id)
                    .order_by(KmsKey.account_id)
                ).first()
            if key is None:
                return None
            facts = _loaded(facts_of(session, key))
            cached = revision is not None and facts.key.account_id == ctx.account_id
            if cached:
                _detach(session, key)
        if cached and revision is not None:
            key_cache.put(revision, facts)
    memo[lookup] = facts
    return facts
