"""Every command of an installed server runs with the runtime dependencies alone (`make serve` installs no
dev extras): each is run here with every other installed package made unimportable, on both stores.

The packages a plain `pip install .` brings are worked out from the installed metadata (the project's
requirements without extras, and theirs, transitively); a `sitecustomize` on PYTHONPATH then refuses
to import any other installed package in the commands' processes."""

from __future__ import annotations

import importlib.metadata as metadata
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .conftest import Server
from .helpers import BOTH_DATABASES


def _runtime_distributions() -> set[str]:
    """The project and what `pip install .` installs with it, by canonical name."""
    wanted: list[tuple[str, frozenset[str]]] = [("strongroom", frozenset())]
    found: set[str] = set()
    while wanted:
        name, extras = wanted.pop()
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement of another platform or Python version
        found.add(canonicalize_name(name))
        for text in distribution.requires or []:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is not None and not any(marker.evaluate({"extra": extra}) for extra in extras or {""}):
                continue
            key = canonicalize_name(requirement.name)
            if key not in found:
                wanted.append((key, frozenset(requirement.extras)))
    return found


def _not_runtime_imports() -> set[str]:
    """Top-level import names that only installed packages outside the runtime set provide."""
    runtime = _runtime_distributions()
    return {name for name, owners in metadata.packages_distributions().items()
            if not any(canonicalize_name(owner) in runtime for owner in owners)}


@pytest.fixture(scope="module")
def runtime_only(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment variables under which a Python process can import runtime dependencies only."""
    blocked = _not_runtime_imports()
    assert {"boto3", "pytest", "awscli", "hypothesis"} <= blocked  # the dev extras are there to block
    assert not {"botocore", "sqlalchemy", "uvicorn", "cryptography", "psycopg"} & blocked
    folder = tmp_path_factory.mktemp("runtime-only")
    (folder / "sitecustomize.py").write_text(textwrap.dedent(f"""\
        import sys

        BLOCKED = frozenset({sorted(blocked)!r})


        class NotARuntimeDependency:
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name.partition(".")[0] in BLOCKED:
                    raise ModuleNotFoundError(f"No module named {{name!r}} (not a runtime dependency)", name=name)
                return None


        sys.meta_path.insert(0, NotARuntimeDependency())
        """))
    return {"PYTHONPATH": str(folder)}


def _strongroom(env: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "strongroom", *arguments], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def test_the_blocker_blocks(runtime_only: dict[str, str]) -> None:
    env = dict(os.environ, **runtime_only)
    result = subprocess.run([sys.executable, "-c", "import boto3"], env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 1 and "not a runtime dependency" in result.stderr


@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_every_command_runs_with_runtime_dependencies_only(
    runtime_only: dict[str, str], monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest,
    tmp_path: Path, database: str,
) -> None:
    for name, value in runtime_only.items():
        monkeypatch.setenv(name, value)  # the server below, and every command, run under it
    databases = request.getfixturevalue("postgres_databases") if database == "postgres" else None
    database_url = databases.create() if databases is not None else None
    server = Server(tmp_path / "data", database_url)
    try:
        cloudtrail = server.client("cloudtrail")
        name = f"trail-{uuid.uuid4().hex[:8]}"
        arn = cloudtrail.create_trail(Name=name, S3BucketName=f"bucket-{name}",
                                      EnableLogFileValidation=True)["TrailARN"]
        started = server.admin("clock")[1]["now"]
        cloudtrail.start_logging(Name=name)
        server.client("kms").create_key()
        server.admin("clock", {"advance_seconds": 2 * 3600})
        env = server.cli_env()
        store = ["--data-dir", str(server.data_dir)] + (["--database-url", database_url] if database_url else [])
        validated = _strongroom(env, "cloudtrail", "validate-logs", "--trail-arn", arn, "--start-time", started,
                                "--data-dir", str(server.data_dir))
        assert validated.returncode == 0, validated.stdout + validated.stderr
        assert "2/2 digest files valid" in validated.stdout
        created = _strongroom(env, "admin", "create-account", *store)
        assert created.returncode == 0, created.stderr
        for arguments in (["--version"], ["--help"], ["serve", "--help"], ["admin", "create-account", "--help"],
                          ["cloudtrail", "validate-logs", "--help"]):
            result = _strongroom(env, *arguments)
            assert result.returncode == 0, (arguments, result.stderr)
        assert "not a runtime dependency" not in server.output()
    finally:
        server.stop()
        if databases is not None and database_url is not None:
            databases.drop(database_url)
