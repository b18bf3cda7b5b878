"""Every pattern of every served model stays linear in the value it checks, whatever the value.

A request's values are matched against the models' patterns before anything else looks at them
(and before their length is checked), so one pattern that backtracks badly lets one request hold a
worker. Each pattern is attacked here: values that stay a possible match for as long as possible
are grown from the pattern itself (random walks through its prefixes, `regex`'s partial matching
telling which characters keep a match possible), then one or two characters are repeated and a
character that breaks the match is put at the end: the shape that makes backtracking engines
retry. The most expensive of these is timed at 5,000 and 20,000 characters: a linear pattern takes
about 4 times as long on 4 times the value; a pattern whose cost grows quadratically or worse
takes 16 times and more. `python -m bench.matching` prints the worst figures.
"""

from __future__ import annotations

import random

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.wire.validation.java_regex import java_pattern, linear_form, translate
from tests.wire.adversarial import served_patterns, value, walk_prefixes, worst_growth


@pytest.mark.parametrize("java_source", served_patterns())
def test_every_served_pattern_stays_linear(java_source: str) -> None:
    short, long, attack = worst_growth(java_source)
    # Linear: about 4x. The floor keeps a machine's noise on sub-millisecond runs from counting.
    assert long < 0.02 or long < 8 * short, (attack, short, long)


@pytest.mark.parametrize(
    ("java_source", "attack", "expected"),
    [
        # EventBridge header values: 33 s on 20,000 characters before their linear form.
        (r"^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$", ("a", " a", "\x00"), False),
        (r"^[ \t]*[\x20-\x7E]+([ \t]+[\x20-\x7E]+)*[ \t]*$", ("\t", " a", "\t"), True),
        (r"^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$", ("a", " a", ":"), False),
        (r"^[ \t]*[^\x00-\x1F:\x7F]+([ \t]+[^\x00-\x1F:\x7F]+)*[ \t]*$", ("a", "\ta", ""), True),
        # Repeated groups, quadratic in `regex` (3.7 s on 160,000 characters).
        (r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", ("a", "a-", "!"), False),
        (r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*$", ("a", "-a", ""), True),
    ],
)
def test_patterns_that_backtracked_answer_on_long_values(
    java_source: str, attack: tuple[str, str, str], expected: bool
) -> None:
    pattern = java_pattern(java_source)
    assert pattern is not None
    assert (pattern.fullmatch(value(attack, 200_000)) is not None) is expected


@pytest.mark.parametrize("java_source", [source for source in served_patterns() if linear_form(source) != source])
def test_linear_forms_mean_what_the_model_says(java_source: str) -> None:
    """Each replacement accepts exactly what the model's own pattern accepts: on every prefix the
    random walks passed through followed by every one or two characters, then on longer tails."""
    original = regex.compile(*translate(java_source))
    replacement = java_pattern(java_source)
    assert replacement is not None
    starts = walk_prefixes(java_source, random.Random(java_source))
    alphabet = sorted(set(java_source) | set(" \t\n\r\x00\x08\x1f\x7f/a:é"))

    def agree(text: str) -> None:
        assert (replacement.fullmatch(text) is None) == (original.fullmatch(text) is None), text

    for start in starts:
        for first in ["", *alphabet]:
            for second in ["", *alphabet] if first else [""]:
                agree(start + first + second)

    @settings(max_examples=1000, deadline=None)
    @given(st.sampled_from(starts), st.lists(st.sampled_from(alphabet), max_size=12).map("".join))
    def agrees(start: str, tail: str) -> None:
        agree(start + tail)

    agrees()
