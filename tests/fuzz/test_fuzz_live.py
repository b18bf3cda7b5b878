"""Live: every operation of every served service's model, fuzzed against a real server on each store.

No answer may be a 5xx, the server may log no traceback or error, and nothing may change in the store
without an audit record (see `tests.fuzz.harness` for how each is judged).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.harness import cases, run
from tests.live.conftest import Server
from tests.live.helpers import BOTH_DATABASES, own_server


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def fuzzed_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of this module's own (its store is read behind its back), on SQLite or PostgreSQL."""
    yield from own_server(request, tmp_path_factory.mktemp("fuzz"))


def test_cases_are_the_same_for_the_same_seed(fuzz_seed: int) -> None:
    first = [(case.operation, case.request) for case in cases(fuzz_seed, 2)]
    assert first == [(case.operation, case.request) for case in cases(fuzz_seed, 2)]
    assert {case.service for case in cases(fuzz_seed, 1)} >= {"kms", "iam", "sts", "events"}


def test_fuzzed_requests_answer_no_5xx_log_no_error_and_change_nothing_unaudited(
    fuzzed_server: Server, fuzz_seed: int, fuzz_size: int
) -> None:
    report = run(fuzzed_server, fuzz_seed, fuzz_size)
    print(report.summary())
    assert sum(report.sent.values()) > 0
    assert report.findings == [], "\n".join(report.findings[:50])
