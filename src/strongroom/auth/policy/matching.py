"""Wildcard matching for actions, resources and ARNs, compiled once into `WildcardSet`s.

AWS wildcards are `*` (any run of characters, possibly empty) and `?` (exactly one character).
Actions match case-insensitively; resources and ARNs case-sensitively. Matching never backtracks:
see `strongroom.wildcard` for how and for the bound on its cost.

ARN patterns (Resource/NotResource elements and the Arn* condition operators) are matched the way
AWS documents for ArnLike: each of the six colon-delimited parts is matched on its own, so a `*` in
the region part cannot swallow the account part. The sixth part (the resource) may itself contain
colons, and a `*` there matches across them. A pattern that is not a six-part ARN is matched as a
plain wildcard string.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from strongroom.wildcard import QMARK, STAR, Piece, Wildcard, WildcardSet, split_wildcards

PatternPiece = Piece
ARN_PARTS = 6
# The wildcards of the first five ARN parts, which never cross into the next part.
_IN_PART = {STAR: Wildcard(True, ":"), QMARK: Wildcard(False, ":")}


def _split_arn_pieces(pieces: Sequence[PatternPiece]) -> list[list[PatternPiece]] | None:
    """Split pattern pieces at the first five literal colons; None if there are not five."""
    parts: list[list[PatternPiece]] = [[]]
    for piece in pieces:
        if isinstance(piece, str) and len(parts) < ARN_PARTS and ":" in piece:
            chunks = piece.split(":", ARN_PARTS - len(parts))
            for index, chunk in enumerate(chunks):
                if index:
                    parts.append([])
                if chunk:
                    parts[-1].append(chunk)
        else:
            parts[-1].append(piece)
    return parts if len(parts) == ARN_PARTS else None


def arn_pieces(pieces: Sequence[PatternPiece]) -> tuple[PatternPiece, ...]:
    """An ARN pattern as plain pieces: the wildcards of its first five parts stop at a colon."""
    parts = _split_arn_pieces(pieces)
    if parts is None:
        return tuple(pieces)
    out: list[PatternPiece] = []
    for index, part in enumerate(parts):
        if index:
            out.append(":")
        last = index == ARN_PARTS - 1
        out.extend(piece if last or isinstance(piece, str) else _IN_PART[piece] for piece in part)
    return tuple(out)


@lru_cache(maxsize=4096)
def wildcard_set(patterns: tuple[tuple[PatternPiece, ...], ...]) -> WildcardSet:
    """The compiled matcher of `patterns` (shared: policies and resolved variables repeat)."""
    return WildcardSet(patterns)


def compile_actions(patterns: Iterable[str]) -> WildcardSet:
    """A matcher for Action/NotAction patterns; match it against the lower-cased action."""
    return wildcard_set(tuple(tuple(split_wildcards(pattern.lower())) for pattern in patterns))


def is_arn(text: str) -> bool:
    return text.startswith("arn:") and text.count(":") >= ARN_PARTS - 1
