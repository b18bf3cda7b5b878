"""Worst-case time of every matcher a user-written pattern or a request value meets, in-process.

`python -m bench.matching` (`--quick` for smaller inputs). Each case is the largest input a request
can carry against the most expensive pattern a user can write for that matcher (a KMS key policy
holds 32 KB, a request head 64 KB, an event pattern 4 KB, an event 256 KB); each is run several
times and its slowest and median runs printed, in milliseconds. The model patterns of the
validation layer are attacked as tests/wire/test_validate_patterns_bounded.py does, and the
slowest of them at 100,000 characters are printed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from strongroom.auth.policy import AuthorizationRequest, PolicyDocument, PolicyKind, evaluate
from strongroom.auth.policy.variables import parse_template
from strongroom.services.events.patterns import parse_event_pattern
from strongroom.services.ssm.values import check_pattern
from strongroom.wildcard import WildcardSet, split_wildcards
from strongroom.wire.validation.java_regex import java_pattern

ACCOUNT = "111122223333"
KEY_POLICY_BYTES = 32_768
HEAD_BYTES = 64 * 1024


def _timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1e3)
    return max(times), statistics.median(times)


def _decide(condition: dict[str, Any], context: dict[str, Any], resource: str = "*", action: str = "kms:*") -> Callable[
        [], Any]:
    document = PolicyDocument.parse(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": action, "Resource": resource,
        "Condition": condition,
    }]}), kind=PolicyKind.RESOURCE, max_size=KEY_POLICY_BYTES)
    request = AuthorizationRequest(f"arn:aws:iam::{ACCOUNT}:user/u", ACCOUNT, "kms:Encrypt",
                                   f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k", context)
    return lambda: evaluate(request, resource_policy=document)


def policy_cases(scale: float) -> list[tuple[str, Callable[[], Any]]]:
    head = int(HEAD_BYTES * scale)
    value = int((KEY_POLICY_BYTES - 400) * scale)  # one condition value filling the key policy
    stars = "*a" * (value // 2) + "*b"
    questions = "*" + "a?" * (value // 2 - 1) + "b*"
    # Distinct values, each with its quotes, comma and space.
    several = [f"*a*{index}*b*" for index in range(value // 14)]
    several_questions = [f"*a?{index}?b*" for index in range(value // 14)]
    actions = [f"kms:*a?{index}b*" for index in range(value // 17)]
    arn = "arn:aws:kms:*:*:*:" + "a?" * (value // 2 - 10) + "*b"
    agent = "a" * head
    return [
        ("StringLike *a*a*a*a*a*b, 110-character User-Agent (the issue's case)",
         _decide({"StringLike": {"aws:UserAgent": "*a*a*a*a*a*b"}}, {"aws:UserAgent": "a" * 110})),
        (f"StringLike {len(stars):,}-character value of stars, {head:,}-character User-Agent",
         _decide({"StringLike": {"aws:UserAgent": stars}}, {"aws:UserAgent": agent[:-1] + "b"})),
        (f"StringLike {len(questions):,}-character value of ?, {head:,}-character User-Agent",
         _decide({"StringLike": {"aws:UserAgent": questions}}, {"aws:UserAgent": agent})),
        (f"StringLike {len(several):,} values *a*<n>*b*, {head:,}-character User-Agent",
         _decide({"StringLike": {"aws:UserAgent": several}}, {"aws:UserAgent": agent})),
        (f"StringLike {len(several_questions):,} values *a?<n>?b*, {head:,}-character User-Agent",
         _decide({"StringLike": {"aws:UserAgent": several_questions}}, {"aws:UserAgent": agent})),
        (f"ArnLike {len(arn):,}-character ARN pattern, {head:,}-character ARN",
         _decide({"ArnLike": {"aws:SourceArn": arn}}, {"aws:SourceArn": "arn:aws:kms:a:b:" + agent})),
        (f"Action: {len(actions):,} patterns kms:*a?<n>b*", _decide({}, {}, action=actions)),
        (f"Policy variables: parse {value:,} characters of ${{",
         lambda: parse_template("${" * (value // 2), variables=True)),
    ]


def event_cases(scale: float) -> list[tuple[str, Callable[[], Any]]]:
    stars = "*a" * int(2000 * scale) + "*b"  # an event pattern holds 4,096 characters
    note = "a" * int(250_000 * scale)  # an event holds 256 KB
    wildcard = parse_event_pattern(json.dumps({"detail": {"note": [{"wildcard": stars}]}}))
    anything_but = parse_event_pattern(json.dumps({"detail": {"note": [
        {"anything-but": {"wildcard": ["*a*b"] * int(400 * scale)}}]}}))
    event = {"detail": {"note": note}}
    many = {"detail": {"note": [note[: len(note) // 100]] * 100}}
    return [
        (f"EventBridge wildcard of {len(stars):,} characters, {len(note):,}-character value",
         lambda: wildcard.matches(event)),
        (f"EventBridge wildcard of {len(stars):,} characters, 100 values in one event",
         lambda: wildcard.matches(many)),
        (f"EventBridge anything-but {int(400 * scale):,} wildcards, {len(note):,}-character value",
         lambda: anything_but.matches(event)),
    ]


def filter_cases(scale: float) -> list[tuple[str, Callable[[], Any]]]:
    from strongroom.services.secretsmanager.listing import _matches
    from strongroom.services.ssm.filters import _compare

    description = "a-" * 1024  # the longest a secret's description may be
    name = "/a" * 1024  # the longest a parameter's name may be
    return [
        (f"Secrets Manager filter, {len(description):,}-character description, 10 values of 512",
         lambda: [_matches("a" * 511 + "b", description, fold=True) for _ in range(10)]),
        (f"Parameter Store Contains filter, {len(name):,}-character name",
         lambda: _compare("Contains", name, "/a" * 100 + "b")),
        ("Parameter Store AllowedPattern ^(a|a)*$ against 4,001 characters (deadline 0.5 s)",
         lambda: _mismatch(lambda: check_pattern("^(a|a)*$", "a" * 4000 + "!"))),
    ]


def _mismatch(run: Callable[[], Any]) -> None:
    try:
        run()
    except Exception as error:  # the ServiceError it answers
        assert "PatternMismatch" in getattr(error, "code", "")


def model_pattern_rows(size: int, top: int) -> list[tuple[str, float, float]]:
    from tests.wire.adversarial import served_patterns, value, worst_growth

    rows = []
    for source in served_patterns():
        _, _, attack = worst_growth(source)
        if not attack[1]:  # nothing repeatable: the pattern bounds its own length
            continue
        pattern = java_pattern(source)
        assert pattern is not None
        text = value(attack, size)
        slowest, median = _timed(lambda p=pattern, t=text: p.fullmatch(t), 3)
        rows.append((source, slowest, median))
    rows.sort(key=lambda row: -row[1])
    return rows[:top]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the input sizes")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--top", type=int, default=5, help="model patterns to print")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    random.seed(0)
    print(f"{'case':<92} {'worst ms':>9} {'median ms':>9}")
    for name, run in [*policy_cases(scale), *event_cases(scale), *filter_cases(scale)]:
        slowest, median = _timed(run, args.repeat)
        print(f"{name:<92} {slowest:9.2f} {median:9.2f}", flush=True)
    size = int(100_000 * scale)
    print(f"\nModel patterns, slowest attack found at {size:,} characters (of every served model's patterns):")
    for source, slowest, median in model_pattern_rows(size, args.top):
        print(f"  {source[:88]:<90} {slowest:9.2f} {median:9.2f}", flush=True)
    sanity = WildcardSet([split_wildcards("*a*b")])
    assert sanity.matches("ab") and not sanity.matches("ba")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
