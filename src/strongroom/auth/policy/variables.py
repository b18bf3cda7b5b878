"""Policy variables: `${key}` placeholders in Resource elements and condition values.

Only policies with Version 2012-10-17 have variables; in older policies `${...}` is literal text.
A template is parsed once into pieces: literal text, the two wildcards, and variable references.
At evaluation a variable takes the value of the request context key it names (keys are
case-insensitive). `${*}`, `${?}` and `${$}` stand for the literal characters, so `${*}` is never a
wildcard. `${key, 'default'}` falls back to the default text when the key is missing or has no
single value (a doubled quote `''` inside the default is one quote). A multivalued key cannot be a
variable. A variable that cannot be resolved makes the template unresolvable, and the statement
holding it then does not apply to the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from strongroom.auth.policy.matching import PatternPiece
from strongroom.wildcard import Wildcard, split_wildcards

_ESCAPES = {"*": "*", "?": "?", "$": "$"}
# A reference is `${`, spaces, a name, spaces, optionally `,` spaces `'default'` spaces, then `}`;
# a quote inside the default is written twice. `_references` finds them as the regular expression
# \$\{\s*([^,}'\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\} would, in one pass: that expression,
# tried at every `${` of a condition value, took seconds on a few kilobytes of `${${${...`.
_NAME_END = re.compile(r"[,}'\s]")
_SPACES = re.compile(r"\s*")
_QUOTES = re.compile(r"'+")


@dataclass(frozen=True, slots=True)
class Variable:
    """A `${name}` or `${name, 'default'}` reference; `name` is lower-cased."""

    name: str
    default: str | None


TemplatePiece = PatternPiece | Variable
Template = tuple[TemplatePiece, ...]
# Looks up a context key (lower-cased) as a single string, or None if it has no single value.
VariableLookup = Callable[[str], str | None]


def _skip_spaces(text: str, index: int) -> int:
    found = _SPACES.match(text, index)
    return found.end() if found else index


def _after_name(text: str, index: int) -> tuple[int, str | None] | None:
    """Where the reference whose name ends at `index` ends, and its default as written; None if
    what follows the name does not close a reference."""
    index = _skip_spaces(text, index)
    if text.startswith("}", index):
        return index + 1, None
    if not text.startswith(",", index):
        return None
    index = _skip_spaces(text, index + 1)
    if not text.startswith("'", index):
        return None
    body = scan = index + 1
    while (quote := text.find("'", scan)) >= 0:
        run = _QUOTES.match(text, quote)
        run_end = run.end() if run else quote + 1
        if (run_end - quote) % 2:  # the run's last quote closes the default, the others are pairs
            after = _skip_spaces(text, run_end)
            return (after + 1, text[body : run_end - 1]) if text.startswith("}", after) else None
        scan = run_end  # an even run is all doubled quotes
    return None


def _references(text: str) -> Iterator[tuple[int, int, str, str | None]]:
    """(start, end, name, default as written) of each reference, left to right, not overlapping.

    Linear: the searches for `${` move only forward; a name runs to the next `,`, `}`, quote or space,
    so every `${` before that character shares the name's end and what follows it, worked out once.
    """
    after_names: dict[int, tuple[int, str | None] | None] = {}
    name_end = -1
    position = 0
    while (start := text.find("${", position)) >= 0:
        first = _skip_spaces(text, start + 2)
        if first >= name_end:
            found = _NAME_END.search(text, first)
            name_end = found.start() if found else len(text)
        if first == name_end:
            position = start + 1
            continue
        if name_end not in after_names:
            after_names[name_end] = _after_name(text, name_end)
        closing = after_names[name_end]
        if closing is None:
            position = start + 1
            continue
        end, default = closing
        yield start, end, text[first:name_end], default
        position = end


def parse_template(text: str, *, variables: bool) -> Template:
    """Parse `text` into pieces; with `variables` False only the wildcards are special."""
    out: list[TemplatePiece] = []
    position = 0
    if variables:
        for start, end, name, default in _references(text):
            out.extend(split_wildcards(text[position:start]))
            if name in _ESCAPES and default is None:
                out.append(_ESCAPES[name])
            else:
                out.append(Variable(name.lower(), None if default is None else default.replace("''", "'")))
            position = end
    out.extend(split_wildcards(text[position:]))
    return tuple(out)


def has_variables(template: Template) -> bool:
    return any(isinstance(piece, Variable) for piece in template)


def static_pieces(template: Template) -> tuple[PatternPiece, ...]:
    """The pieces of a template that holds no variable."""
    pieces = tuple(piece for piece in template if not isinstance(piece, Variable))
    assert len(pieces) == len(template), "a template with variables is resolved, not read as it is"
    return pieces


def resolve(template: Template, lookup: VariableLookup) -> list[PatternPiece] | None:
    """Substitute every variable (its value is literal text); None if one cannot be resolved."""
    out: list[PatternPiece] = []
    for piece in template:
        if isinstance(piece, Variable):
            value = lookup(piece.name)
            if value is None:
                value = piece.default
            if value is None:
                return None
            out.append(value)
        else:
            out.append(piece)
    return out


def pieces_to_text(pieces: Sequence[TemplatePiece]) -> str:
    """The text a pattern spells, wildcards written back as `*` and `?` (for exact comparisons)."""
    return "".join(
        piece if isinstance(piece, str) else ("*" if piece.many else "?") if isinstance(piece, Wildcard) else str(piece)
        for piece in pieces
    )
