"""Options of the fuzz runs: `--fuzz-size` (mutants per operation) and `--fuzz-seed`; `make fuzz` passes
them through FUZZ_ARGS."""

from __future__ import annotations

import pytest

# The run of `make test`: modest enough to stay within about 90 s per database on two cores.
DEFAULT_SIZE = 12
DEFAULT_SEED = 20250520


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("fuzz")
    group.addoption("--fuzz-size", type=int, default=None, help="mutants per served operation")
    group.addoption("--fuzz-seed", type=int, default=None, help="seed of the fuzz inputs")


@pytest.fixture(scope="session")
def fuzz_size(request: pytest.FixtureRequest) -> int:
    size: int | None = request.config.getoption("--fuzz-size", default=None)
    return DEFAULT_SIZE if size is None else size


@pytest.fixture(scope="session")
def fuzz_seed(request: pytest.FixtureRequest) -> int:
    seed: int | None = request.config.getoption("--fuzz-seed", default=None)
    return DEFAULT_SEED if seed is None else seed
