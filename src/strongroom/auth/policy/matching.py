"""Wildcard matching for actions, resources and ARNs, compiled once into regular expressions.

AWS wildcards are `*` (any run of characters, possibly empty) and `?` (exactly one character).
Actions match case-insensitively; resources and ARNs case-sensitively.

ARN patterns (Resource/NotResource elements and the Arn* condition operators) are matched the way
AWS documents for ArnLike: each of the six colon-delimited parts is matched on its own, so a `*` in
the region part cannot swallow the account part. The sixth part (the resource) may itself contain
colons, and a `*` there matches across them. A pattern that is not a six-part ARN is matched as a
plain wildcard string.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

# A piece of a pattern: literal text, or one of the two wildcards.
STAR = object()
QMARK = object()
PatternPiece = str | object

ARN_PARTS = 6


def split_wildcards(text: str) -> list[PatternPiece]:
    """Split `text` into literal runs and STAR/QMARK markers."""
    pieces: list[PatternPiece] = []
    literal: list[str] = []
    for char in text:
        if char in "*?":
            if literal:
                pieces.append("".join(literal))
                literal = []
            pieces.append(STAR if char == "*" else QMARK)
        else:
            literal.append(char)
    if literal:
        pieces.append("".join(literal))
    return pieces


def _pieces_to_regex(pieces: Iterable[PatternPiece], *, star: str, qmark: str) -> str:
    out: list[str] = []
    for piece in pieces:
        if piece is STAR:
            out.append(star)
        elif piece is QMARK:
            out.append(qmark)
        else:
            assert isinstance(piece, str)
            out.append(re.escape(piece))
    return "".join(out)


def _split_arn_pieces(pieces: list[PatternPiece]) -> list[list[PatternPiece]] | None:
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


def wildcard_regex(pieces: list[PatternPiece]) -> str:
    """Regex source for a plain wildcard string (`*` crosses every character)."""
    return _pieces_to_regex(pieces, star=".*", qmark=".")


def arn_regex(pieces: list[PatternPiece]) -> str:
    """Regex source for an ARN pattern, matched part by part (see the module docstring)."""
    parts = _split_arn_pieces(pieces)
    if parts is None:
        return wildcard_regex(pieces)
    head = [_pieces_to_regex(part, star="[^:]*", qmark="[^:]") for part in parts[:-1]]
    tail = _pieces_to_regex(parts[-1], star=".*", qmark=".")
    return ":".join([*head, tail])


@lru_cache(maxsize=4096)
def compile_alternatives(sources: tuple[str, ...], ignore_case: bool) -> re.Pattern[str]:
    """One compiled regex that full-matches any of the given regex sources."""
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.compile("|".join(f"(?:{source})" for source in sources), flags)


def compile_actions(patterns: Iterable[str]) -> re.Pattern[str]:
    """A matcher for Action/NotAction patterns; match it against the lower-cased action."""
    sources = tuple(wildcard_regex(split_wildcards(pattern.lower())) for pattern in patterns)
    return compile_alternatives(sources, False)


def is_arn(text: str) -> bool:
    return text.startswith("arn:") and text.count(":") >= ARN_PARTS - 1
