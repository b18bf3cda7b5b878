"""Adversarial values for regular expressions, grown from the pattern itself.

Values that stay a possible match for as long as possible are grown by random walks through the
pattern's prefixes (`regex`'s partial matching tells which characters keep a match possible); then
one or two characters are repeated and a character that breaks the match is put at the end: the
shape that makes backtracking engines retry. Used by tests/wire/test_validate_patterns_bounded.py
and `python -m bench.matching`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from functools import cache

import regex

from strongroom.services.registry import load_services
from strongroom.wire.validation.java_regex import FullMatcher, java_pattern, linear_form, translate

# Characters tried besides those the pattern itself names, and the ones put at the end.
_EXTRA = " \t\n\r\x00\x7faA0_-./:@=+,{}[]()$*?\\'\"#%&!~|^`<>;é€\u2028😀"
_BREAKERS = ("", "\x00", "\n", "\r", "\u2028", "!", " ")
SHORT, LONG = 5_000, 20_000  # characters


@cache
def served_patterns() -> tuple[str, ...]:
    sources = set()
    for plugin in load_services().values():
        model = plugin.model
        for name in model.shape_names:
            pattern = model.shape_for(name).metadata.get("pattern")
            if pattern:
                sources.add(pattern)
    return tuple(sorted(sources))


def prefix_matcher(java_source: str) -> regex.Pattern[str]:
    """The pattern as `regex` compiles it, for its partial matching (what can still become a match)."""
    python_source, flags = translate(linear_form(java_source))
    return regex.compile(python_source, flags)


def walk_prefixes(java_source: str, rng: random.Random) -> list[str]:
    """Values that can still become a match, grown by random walks through the pattern; deepest first.

    Walks come in three temperaments: some linger in loops, some mostly take a character that
    cannot follow itself (it leads out of a loop, on to the pattern's next part).
    """
    partial = prefix_matcher(java_source)
    alphabet = sorted(set(java_source) | set(_EXTRA))
    prefixes = {""}
    for walk in range(12):
        onward = (0.2, 0.6, 0.9)[walk % 3]
        text = ""
        for _ in range(60):
            options = [char for char in alphabet if partial.fullmatch(text + char, partial=True)]
            if not options:
                break
            leaving = [char for char in options if not partial.fullmatch(text + char + char, partial=True)]
            text += rng.choice(leaving if leaving and rng.random() < onward else options)
            prefixes.add(text)
    return sorted(prefixes, key=lambda text: (-len(text), text))


def attacks(java_source: str, seed: int = 0) -> Iterator[tuple[str, str, str]]:
    """(prefix, repeated part, breaker) triples, grown from the pattern."""
    partial = prefix_matcher(java_source)
    rng = random.Random(f"{seed}:{java_source}")
    alphabet = sorted(set(java_source) | set(_EXTRA))

    def viable(text: str) -> bool:
        return partial.fullmatch(text, partial=True) is not None

    by_depth = walk_prefixes(java_source, rng)
    chosen = by_depth[:5] + rng.sample(by_depth[5:], min(5, len(by_depth[5:])))
    for prefix in chosen:
        singles = [char for char in alphabet if viable(prefix + char)]
        pumps = list(singles)
        for first in rng.sample(singles, min(3, len(singles))):
            seconds = [char for char in alphabet if viable(prefix + first + char)]
            pumps.extend(first + second for second in rng.sample(seconds, min(3, len(seconds))))
        for pump in pumps:
            if viable(prefix + pump * 4):
                for breaker in _BREAKERS:
                    yield prefix, pump, breaker


def value(attack: tuple[str, str, str], size: int) -> str:
    prefix, pump, breaker = attack
    return prefix + pump * max(1, (size - len(prefix)) // len(pump)) + breaker


def seconds(pattern: FullMatcher, text: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        pattern.fullmatch(text)
        best = min(best, time.perf_counter() - start)
    return best


def worst_growth(java_source: str) -> tuple[float, float, tuple[str, str, str]]:
    """The costliest attack found: its seconds at SHORT and at LONG characters."""
    pattern = java_pattern(java_source)
    assert pattern is not None, java_source
    scored = sorted(((seconds(pattern, value(a, 2_000), 2), a) for a in attacks(java_source)), reverse=True)
    worst = (0.0, 0.0, ("", "", ""))
    for _, attack in scored[:3]:
        short, long = seconds(pattern, value(attack, SHORT)), seconds(pattern, value(attack, LONG))
        if long > worst[1]:
            worst = (short, long, attack)
    return worst
