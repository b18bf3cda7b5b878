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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from strongroom.auth.policy.matching import QMARK, STAR, PatternPiece

_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_VARIABLE = re.compile(r"\$\{\s*([^,}'\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")


@dataclass(frozen=True, slots=True)
class Variable:
    """A `${name}` or `${name, 'default'}` reference; `name` is lower-cased."""

    name: str
    default: str | None


TemplatePiece = PatternPiece | Variable
Template = tuple[TemplatePiece, ...]
# Looks up a context key (lower-cased) as a single string, or None if it has no single value.
VariableLookup = Callable[[str], str | None]


def _literal_with_wildcards(text: str, out: list[TemplatePiece]) -> None:
    run: list[str] = []
    for char in text:
        if char in "*?":
            if run:
                out.append("".join(run))
                run = []
            out.append(STAR if char == "*" else QMARK)
        else:
            run.append(char)
    if run:
        out.append("".join(run))


def parse_template(text: str, *, variables: bool) -> Template:
    """Parse `text` into pieces; with `variables` False only the wildcards are special."""
    out: list[TemplatePiece] = []
    position = 0
    if variables:
        for found in _VARIABLE.finditer(text):
            _literal_with_wildcards(text[position : found.start()], out)
            name, default = found.group(1), found.group(2)
            if name in _ESCAPES and default is None:
                out.append(_ESCAPES[name])
            else:
                out.append(Variable(name.lower(), None if default is None else default.replace("''", "'")))
            position = found.end()
    _literal_with_wildcards(text[position:], out)
    return tuple(out)


def has_variables(template: Template) -> bool:
    return any(isinstance(piece, Variable) for piece in template)


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


def pieces_to_text(pieces: Sequence[PatternPiece]) -> str:
    """The text a pattern spells, wildcards written back as `*` and `?` (for exact comparisons)."""
    return "".join("*" if piece is STAR else "?" if piece is QMARK else str(piece) for piece in pieces)
