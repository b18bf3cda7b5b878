"""Wildcard patterns (`*` any run of characters, `?` exactly one) matched without backtracking.

Every place a user-written pattern meets request data matches through here: policy Action,
Resource and `StringLike`/`ArnLike` values, EventBridge `wildcard` patterns. A pattern is a
sequence of pieces: literal text or a `Wildcard`. Callers parse their own syntax into pieces, so
text that came from a policy variable or an escape stays literal whatever characters it holds.
Matching is case-sensitive; a caller that needs case-insensitive matching folds both sides.

`WildcardSet(patterns).matches(text)` says whether `text` (all of it) matches any of the patterns.
With n = len(text) and m = the patterns' total length, the cost is bounded so:

* An exact text, `*`, `prefix*`, `*suffix` and `*infix*` cost one set lookup or one `str` method
  (O(n) at most).
* Any other pattern without `?` is split at its stars into literal segments. The first segment must
  start the text and the last must end it; each segment between is placed at its leftmost place
  after the previous one, found with `str.find`. Leftmost is always right: a later place for a
  segment leaves only less room for the ones after it. The searches cover disjoint stretches of the
  text and `str.find` compares at most len(segment) characters per position (CPython switches to
  the linear two-way search for long segments in long texts), so one pattern costs O(n · m)
  character comparisons at worst and O(n + m) typically. Each star that may not cross a separator
  (an ARN component's) adds one `find` of the separator; leftmost stays right as long as the star
  before a segment may not cross the separators the star after it may not (then every place the
  segment can take lies before the same separator), which ARN patterns keep. Other patterns with
  such stars run in the automaton.
* Patterns with `?` run together as one nondeterministic automaton simulated with bit sets
  (shift-and): one step per character of the text, each step a few operations on integers with one
  bit per pattern piece character, i.e. O(n · m / 64) machine-word operations for the whole set.

So a set costs O(n · m) at the very worst and never anything exponential: there is no
backtracking to blow up, whatever the number of wildcards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Wildcard:
    """`*` (`many`) or `?`; `stop` is a character it never matches (None: it matches any)."""

    many: bool
    stop: str | None = None


STAR = Wildcard(True)
QMARK = Wildcard(False)
Piece = str | Wildcard


def split_wildcards(text: str) -> list[Piece]:
    """`text` as pieces: literal runs, with every `*` and `?` a wildcard."""
    pieces: list[Piece] = []
    start = 0
    for index, char in enumerate(text):
        if char in "*?":
            if index > start:
                pieces.append(text[start:index])
            pieces.append(STAR if char == "*" else QMARK)
            start = index + 1
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def _leftmost_is_right(pieces: list[Piece]) -> bool:
    """Whether a star pattern whose stars may have stops can be placed segment by segment leftmost."""
    stars = [piece for piece in pieces if isinstance(piece, Wildcard)]
    return all(after.stop is None or before.stop == after.stop for before, after in pairwise(stars))


def _normalized(pieces: Iterable[Piece]) -> list[Piece]:
    """Adjacent literals joined and adjacent stars merged (`**` is `*`; a star that may cross the
    separator swallows one that may not). Empty literals are dropped."""
    out: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, str):
            if not piece:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += piece
                continue
        elif piece.many and out and isinstance(out[-1], Wildcard) and out[-1].many:
            if out[-1].stop != piece.stop:
                out[-1] = STAR
            continue
        out.append(piece)
    return out


class _Segments:
    """One pattern without `?`: literal segments between stars, placed leftmost (see the module)."""

    __slots__ = ("first", "gaps", "last", "middle", "shortest")

    def __init__(self, pieces: list[Piece]) -> None:
        literals: list[str] = [""]
        gaps: list[str | None] = []  # the stop character of each star, in order
        for piece in pieces:
            if isinstance(piece, str):
                literals[-1] += piece
            else:
                gaps.append(piece.stop)
                literals.append("")
        self.first, self.last = literals[0], literals[-1]
        self.middle = tuple(zip(gaps[:-1], literals[1:-1], strict=True))
        self.gaps = gaps
        self.shortest = sum(len(literal) for literal in literals)

    def matches(self, text: str) -> bool:
        if len(text) < self.shortest or not text.startswith(self.first) or not text.endswith(self.last):
            return False
        position, end = len(self.first), len(text) - len(self.last)
        for stop, segment in self.middle:
            latest = end - len(segment)  # the last place the segment may start
            if stop is not None:
                blocked = text.find(stop, position, latest)
                if blocked >= 0:
                    latest = blocked
            found = text.find(segment, position, latest + len(segment))
            if found < 0:
                return False
            position = found + len(segment)
        stop = self.gaps[-1]
        return stop is None or text.find(stop, position, end) < 0


class _Automaton:
    """Patterns with `?`, run together as one NFA over bit sets (shift-and, see the module).

    Bit j of a pattern's block is "the first j pieces matched"; its last bit accepts. A character
    moves each set bit whose piece takes that character one place on; a set bit on a star stays (the
    star takes the character) and also lights the next bit (the star matches nothing more).
    """

    __slots__ = ("accept", "initial", "moves", "other", "stars")

    def __init__(self, patterns: Sequence[list[Piece]]) -> None:
        literal: dict[str, int] = {}  # character -> bits of pieces that are that character
        any_one = many = 0  # bits of `?` / `*` pieces that take any character
        stopped: list[tuple[str, int, bool]] = []  # (stop, bit, many) of wildcards with a stop
        stars = initial = accept = 0
        bit = 0
        for pieces in patterns:
            initial |= 1 << bit
            for piece in pieces:
                for char in piece if isinstance(piece, str) else (piece,):
                    mask = 1 << bit
                    if isinstance(char, str):
                        literal[char] = literal.get(char, 0) | mask
                    else:
                        if char.many:
                            stars |= mask
                        if char.stop is not None:
                            stopped.append((char.stop, mask, char.many))
                        elif char.many:
                            many |= mask
                        else:
                            any_one |= mask
                    bit += 1
            accept |= 1 << bit
            bit += 1
        stopped_one = sum(mask for _, mask, is_many in stopped if not is_many)
        stopped_many = sum(mask for _, mask, is_many in stopped if is_many)
        self.other = (any_one | stopped_one, many | stopped_many)
        self.moves: dict[str, tuple[int, int]] = {}
        for char in {*literal, *(stop for stop, _, _ in stopped)}:
            blocked_one = sum(mask for stop, mask, is_many in stopped if stop == char and not is_many)
            blocked_many = sum(mask for stop, mask, is_many in stopped if stop == char and is_many)
            self.moves[char] = (
                literal.get(char, 0) | any_one | (stopped_one & ~blocked_one),
                many | (stopped_many & ~blocked_many),
            )
        self.stars, self.initial, self.accept = stars, initial, accept

    def matches(self, text: str) -> bool:
        moves, other, stars = self.moves, self.other, self.stars
        state = self.initial
        state |= (state & stars) << 1
        for char in text:
            advance, stay = moves.get(char, other)
            state = ((state & advance) << 1) | (state & stay)
            if not state:
                return False
            state |= (state & stars) << 1
        return bool(state & self.accept)


class WildcardSet:
    """Patterns compiled once; `matches(text)` is whether the whole text matches any of them."""

    __slots__ = ("automaton", "everything", "exact", "infixes", "prefixes", "segmented", "suffixes")

    def __init__(self, patterns: Iterable[Sequence[Piece]]) -> None:
        exact: set[str] = set()
        prefixes: list[str] = []
        suffixes: list[str] = []
        infixes: list[str] = []
        segmented: list[_Segments] = []
        questions: list[list[Piece]] = []
        self.everything = False
        seen: set[tuple[Piece, ...]] = set()
        for raw in patterns:
            pieces = _normalized(raw)
            if tuple(pieces) in seen:
                continue
            seen.add(tuple(pieces))
            shape = tuple(piece if isinstance(piece, Wildcard) else str for piece in pieces)
            if any(isinstance(piece, Wildcard) and not piece.many for piece in pieces) or not _leftmost_is_right(
                pieces
            ):
                questions.append(pieces)
            elif shape in ((), (str,)):
                exact.add(pieces[0] if pieces else "")  # type: ignore[arg-type]
            elif shape == (STAR,):
                self.everything = True
            elif shape == (str, STAR):
                prefixes.append(pieces[0])  # type: ignore[arg-type]
            elif shape == (STAR, str):
                suffixes.append(pieces[1])  # type: ignore[arg-type]
            elif shape == (STAR, str, STAR):
                infixes.append(pieces[1])  # type: ignore[arg-type]
            else:
                segmented.append(_Segments(pieces))
        self.exact = frozenset(exact)
        self.prefixes, self.suffixes, self.infixes = tuple(prefixes), tuple(suffixes), tuple(infixes)
        self.segmented = tuple(segmented)
        self.automaton = _Automaton(questions) if questions else None

    def matches(self, text: str) -> bool:
        if self.everything or text in self.exact:
            return True
        if self.prefixes and text.startswith(self.prefixes):
            return True
        if self.suffixes and text.endswith(self.suffixes):
            return True
        if self.infixes and any(infix in text for infix in self.infixes):
            return True
        if self.segmented and any(pattern.matches(text) for pattern in self.segmented):
            return True
        return self.automaton is not None and self.automaton.matches(text)
