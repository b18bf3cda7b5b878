"""Finding `${...}` references in policy text: the one-pass scanner reads what the regular expression read."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.auth.policy.variables import Variable, parse_template

# The expression the scanner replaces: right, but seconds of backtracking on `${${${...`.
REFERENCE = re.compile(r"\$\{\s*([^,}'\s]+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?\}")


def references_by_regex(text: str) -> list[tuple[str, str | None]]:
    return [(found.group(1).lower(), found.group(2)) for found in REFERENCE.finditer(text)]


def references_by_parser(text: str) -> list[tuple[str, str | None]]:
    found = []
    for piece in parse_template(text, variables=True):
        if isinstance(piece, Variable):
            found.append((piece.name, None if piece.default is None else piece.default.replace("'", "''")))
    return found


def escapes_by_regex(text: str) -> int:
    return sum(1 for found in REFERENCE.finditer(text) if found.group(1) in "*?$" and found.group(2) is None)


@settings(max_examples=2000, deadline=None)
@given(st.text("${}', a*?\t", max_size=24))
def test_the_scanner_finds_what_the_expression_found(text: str) -> None:
    expected = [(name, default) for name, default in references_by_regex(text)
                if not (name in ("*", "?", "$") and default is None)]
    assert references_by_parser(text) == expected


def test_documented_forms() -> None:
    assert parse_template("home/${aws:username}/*", variables=True)[1] == Variable("aws:username", None)
    assert Variable("aws:username", "anonymous") in parse_template("${aws:username, 'anonymous'}", variables=True)
    assert Variable("k", "it's") in parse_template("${ k , 'it''s' }", variables=True)
    assert parse_template("${*}${?}${$}", variables=True) == ("*", "?", "$")


def test_adversarial_texts_parse() -> None:
    """Each of these took seconds with the expression (a policy holds up to 32 KB)."""
    assert parse_template("${" * 16_000, variables=True) == ("${" * 16_000,)
    opened = "${a, '" + "${" * 16_000
    assert parse_template(opened, variables=True) == (opened,)
    closed = "${" * 16_000 + "a}"
    assert parse_template(closed, variables=True) == (Variable(("${" * 15_999 + "a").lower(), None),)
    quotes = "${a, '" + "''" * 16_000 + "'}"
    assert parse_template(quotes, variables=True) == (Variable("a", "'" * 16_000),)
