"""Decisions remembered, and reused for requests that would be decided the same way.

The engine's decision is a pure function of the request's principal, action, resource and owner,
the policies weighed, and — only through Condition elements and policy variables — the condition
keys, which evaluation reads one at a time through `ContextReads`, recording each key it looked up
and what it found (a value, or nothing). Each read decides which key is read next, so an evaluation
is a path through the keys it read: a later request with the same principal, action, resource and
policies whose context holds the same thing for every one of those keys follows the same path to
the same decision, and may reuse it. An evaluation that read no key applies to every context.

"The same thing" is exact: same type and same value (a float by its repr, a datetime by its ISO
text, a list element by element), never Python's looser equality (1 == True == 1.0, -0.0 == 0.0),
and values of any other type are not compared at all (the decision is not kept). Decisions that
read keys which change on every request (aws:CurrentTime, aws:EpochTime) are not kept either
(aws:TokenIssueTime is one value per session, and is), and each decision key keeps only its few
most recent variants, so varying values (aws:SourceIp, kms:EncryptionContext:<per-object>) cannot
grow the cache or slow lookups.

Policies are compared by identity: compiled documents are immutable and shared (a changed policy is
a new document), and each entry keeps the documents it was decided on alive, so their ids cannot be
taken by other objects while the entry exists.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Mapping, Sequence
from datetime import datetime, timezone
from typing import NamedTuple

from strongroom.auth.policy import Decision, PolicyDocument
from strongroom.auth.policy.request import ABSENT
from strongroom.lru import LRUCache

# Enough for every principal x action x key of a busy server; past it the cache starts over.
CAPACITY = 8192
# Variants (distinct values of the keys read) kept per decision key, newest first.
VARIANTS = 4
# Keys that hold something new on every request: a decision that read one is never reused.
VOLATILE_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})
# Values read beyond this many characters in all are not kept (a decision on them is not reused): with
# the variants and the capacity, this bounds what the cache holds.
MAX_RECORDED_CHARACTERS = 1024

DecisionKey = tuple[Hashable, ...]
# (lower-cased key, fingerprint of what it held), in the order evaluation read them.
Reads = tuple[tuple[str, Hashable], ...]


class Variant(NamedTuple):
    reads: Reads
    decision: Decision


def documents_key(documents: Sequence[PolicyDocument] | PolicyDocument | None) -> Hashable:
    if documents is None:
        return None
    if isinstance(documents, PolicyDocument):
        return id(documents)
    return tuple(id(document) for document in documents)


_SCALARS = (str, int, bool, bytes)
_SEQUENCES = (list, tuple)


def fingerprint(value: object) -> Hashable | None:
    """What identifies `value` to the engine, so equal fingerprints are read identically by every
    operator and policy variable; None for values that cannot be compared so (never equal)."""
    kind = type(value)
    if kind in _SCALARS:
        return (kind, value)
    if value is ABSENT:
        return ABSENT
    if kind is float:
        return (float, repr(value))
    if kind is datetime:
        assert isinstance(value, datetime)
        # Its ISO text is what string operators see and fixes the instant date operators compare;
        # a zone other than a fixed offset could move the offset from the text, so it is not compared.
        if value.tzinfo is not None and type(value.tzinfo) is not timezone:
            return None
        return (datetime, value.isoformat())
    if kind in _SEQUENCES:
        assert isinstance(value, list | tuple)
        items = tuple(fingerprint(item) for item in value)
        return None if None in items or ABSENT in items else (kind, items)
    return None


def _size(value: object) -> int:
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple):
        return sum(_size(item) for item in value) + len(value)
    return 1


def recorded(reads: Mapping[str, object] | None) -> Reads | None:
    """`reads` as a variant's reads; None when the decision made on them must not be reused."""
    if reads is None:
        return None
    out = []
    size = 0
    for key, value in reads.items():
        if key in VOLATILE_KEYS:
            return None
        found = fingerprint(value)
        if found is None:
            return None
        size += len(key) + _size(value)
        if size > MAX_RECORDED_CHARACTERS:
            return None
        out.append((key, found))
    return tuple(out)


def matches(reads: Reads, keys: Mapping[str, object]) -> bool:
    """Whether the lowered condition keys `keys` hold the same thing for every key in `reads`."""
    return all(fingerprint(keys.get(key, ABSENT)) == found for key, found in reads)


class DecisionCache:
    def __init__(self, capacity: int = CAPACITY, variants: int = VARIANTS) -> None:
        self._variants = variants
        self._entries: LRUCache[DecisionKey, tuple[tuple[Variant, ...], object]] = LRUCache(capacity)
        self._lock = threading.Lock()  # a key's variants are read, then written

    def variants(self, key: DecisionKey) -> tuple[Variant, ...]:
        """The decisions remembered under `key`, newest first (one with no reads holds for any context)."""
        entry = self._entries.get(key)
        return () if entry is None else entry[0]

    def get(self, key: DecisionKey) -> Decision | None:
        """The decision under `key` that holds whatever the context, if one is remembered."""
        return for_any_context(self.variants(key))

    def put(self, key: DecisionKey, decision: Decision, documents: object, reads: Reads = ()) -> None:
        """Remember `decision`, made on `reads`; `documents` holds every policy document whose id is in `key`."""
        variant = Variant(reads, decision)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                kept: tuple[Variant, ...] = (variant,)
            elif not reads:
                kept = (variant,)
            else:
                others = [old for old in entry[0] if old.reads != reads]
                kept = (variant, *others[: self._variants - 1])
            self._entries.put(key, (kept, documents))

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def for_any_context(variants: Sequence[Variant]) -> Decision | None:
    """The decision among `variants` that read no condition key, and so holds for every context (a
    decision key keeps only that one when there is one)."""
    return variants[0].decision if variants and not variants[0].reads else None


def recall(variants: Sequence[Variant], keys: Mapping[str, object]) -> Decision | None:
    """The decision of the first variant whose reads the request's lowered condition keys `keys`
    (`strongroom.auth.policy.request.lowered_keys`) match."""
    for variant in variants:
        if matches(variant.reads, keys):
            return variant.decision
    return None


decisions = DecisionCache()
