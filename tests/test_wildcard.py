"""The linear wildcard matcher against a plain reference, and on inputs that made backtracking explode."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.wildcard import QMARK, STAR, Piece, Wildcard, WildcardSet, split_wildcards

IN_PART_STAR, IN_PART_QMARK = Wildcard(True, ":"), Wildcard(False, ":")


def reference(pieces: list[Piece], text: str) -> bool:
    """The definition, matched token by token (exponential in general; fine on small inputs)."""
    tokens: list[str | Wildcard] = []
    for piece in pieces:
        tokens.extend(piece if isinstance(piece, str) else [piece])

    @cache
    def rest(i: int, j: int) -> bool:
        if i == len(tokens):
            return j == len(text)
        token = tokens[i]
        if isinstance(token, str):
            return j < len(text) and text[j] == token and rest(i + 1, j + 1)
        takes = j < len(text) and text[j] != token.stop
        if token.many:
            return rest(i + 1, j) or (takes and rest(i, j + 1))
        return takes and rest(i + 1, j + 1)

    return rest(0, 0)


ALPHABET = "ab:*?"
pieces_strategy = st.lists(
    st.one_of(st.text(ALPHABET, max_size=3), st.sampled_from([STAR, QMARK, IN_PART_STAR, IN_PART_QMARK])),
    max_size=7,
)


@settings(max_examples=1000, deadline=None)
@given(st.lists(pieces_strategy, max_size=4), st.text(ALPHABET, max_size=10))
def test_a_set_matches_when_the_reference_matches_one_of_its_patterns(patterns: list[list[Piece]], text: str) -> None:
    expected = any(reference(pieces, text) for pieces in patterns)
    assert WildcardSet(patterns).matches(text) == expected


@settings(max_examples=1000, deadline=None)
@given(st.text("ab*?", max_size=8), st.text("ab*?", max_size=10))
def test_plain_patterns_as_written(pattern: str, text: str) -> None:
    pieces = split_wildcards(pattern)
    assert WildcardSet([pieces]).matches(text) == reference(pieces, text)


def test_the_common_shapes() -> None:
    matcher = WildcardSet([split_wildcards(p) for p in ("kms:Encrypt", "s3:Get*", "*Key", "*Access*", "iam:?et*User")])
    for text, expected in [
        ("kms:Encrypt", True), ("kms:encrypt", False), ("s3:GetObject", True), ("s3:Get", True),
        ("kms:GenerateDataKey", True), ("iam:ListAccessKeys", True), ("iam:GetUser", True),
        ("iam:SetLoginUser", True), ("iam:GetUsers", False), ("sts:AssumeRole", False), ("", False),
    ]:
        assert matcher.matches(text) is expected, text
    assert WildcardSet([[STAR]]).matches("")
    assert WildcardSet([[]]).matches("")
    assert not WildcardSet([]).matches("")


def test_pieces_stay_literal() -> None:
    """A star or question mark inside a literal piece (a variable's value, an escape) is text."""
    matcher = WildcardSet([["a*b", STAR], ["?"]])
    assert matcher.matches("a*bcd")
    assert not matcher.matches("axbcd")
    assert matcher.matches("?")
    assert not matcher.matches("x")


def test_wildcards_that_stop_at_a_colon() -> None:
    matcher = WildcardSet([["arn:", IN_PART_STAR, ":x:", STAR]])
    assert matcher.matches("arn:aws:x:y:z")
    assert not matcher.matches("arn:aws:more:x:y")
    assert WildcardSet([["a", IN_PART_QMARK, "b"]]).matches("a-b")
    assert not WildcardSet([["a", IN_PART_QMARK, "b"]]).matches("a:b")


# Inputs a backtracking matcher takes exponential (or high polynomial) time on; the answers are
# checked, and the benchmark (`python -m bench.matching`) measures how long each takes.
def test_many_stars_on_a_long_text() -> None:
    stars = split_wildcards("*a" * 40 + "*b")
    assert not WildcardSet([stars]).matches("a" * 200_000)
    assert WildcardSet([stars]).matches("a" * 200_000 + "b")
    assert not WildcardSet([stars]).matches("a" * 39 + "b")


def test_many_question_marks_on_a_long_text() -> None:
    questions = split_wildcards("*" + "a?" * 200 + "b*")
    assert not WildcardSet([questions]).matches("a" * 100_000)
    assert WildcardSet([questions]).matches("a" * 100_000 + "xb" + "a" * 10)


def test_many_patterns_on_a_long_text() -> None:
    patterns = [split_wildcards(f"*a{'?' * (i % 3)}a*{i}*b") for i in range(500)]
    assert not WildcardSet(patterns).matches("a" * 50_000)
    assert WildcardSet(patterns).matches("a" * 50_000 + "499b")


def test_colon_bounded_stars_on_a_long_text() -> None:
    matcher = WildcardSet([["arn:", IN_PART_STAR, ":", IN_PART_STAR, ":", IN_PART_QMARK, ":x:", STAR, "b"]])
    assert not matcher.matches("arn:" + "a:" * 100_000)
    assert matcher.matches("arn:a:b:c:x:" + "a" * 100_000 + "b")
