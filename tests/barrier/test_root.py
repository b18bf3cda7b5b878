"""Root key holders: the 0600 key file, the environment variable, and what they refuse."""

from __future__ import annotations

import base64
import os
import secrets
import stat
import threading
from pathlib import Path

import pytest

from strongroom.barrier import open_barrier, root_key_holder
from strongroom.barrier.errors import BarrierError, RootKeyError
from strongroom.barrier.root import EnvRootKey, FileRootKey
from strongroom.store.db import Database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_file_is_generated_0600_with_256_bits(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    old_umask = os.umask(0)  # even a permissive umask must not widen the mode
    try:
        holder = FileRootKey(path)
    finally:
        os.umask(old_umask)
    assert _mode(path) == 0o600
    assert len(path.read_bytes()) == 32
    assert [p.name for p in tmp_path.iterdir()] == ["root.key"]
    assert FileRootKey(path).unwrap(holder.wrap(b"keyring")) == b"keyring"


def test_key_file_is_kept_across_starts(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    wrapped = FileRootKey(path).wrap(b"keyring")
    before = path.read_bytes()
    assert FileRootKey(path).unwrap(wrapped) == b"keyring"
    assert path.read_bytes() == before


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644, 0o606])
def test_key_file_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "root.key"
    FileRootKey(path)
    path.chmod(mode)
    with pytest.raises(RootKeyError, match=r"group or others .*chmod 600"):
        FileRootKey(path)


@pytest.mark.parametrize("size", [0, 31, 33, 64])
def test_key_file_of_the_wrong_size_is_refused(tmp_path: Path, size: int) -> None:
    path = tmp_path / "root.key"
    path.write_bytes(secrets.token_bytes(size))
    path.chmod(0o600)
    with pytest.raises(RootKeyError, match="256-bit"):
        FileRootKey(path)


def test_key_file_in_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RootKeyError, match="cannot create the root key file"):
        FileRootKey(tmp_path / "missing" / "root.key")


def test_processes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    start = threading.Barrier(8)
    holders: list[FileRootKey] = []

    def make() -> None:
        start.wait()
        holders.append(FileRootKey(path))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wrapped = holders[0].wrap(b"keyring")
    assert all(holder.unwrap(wrapped) == b"keyring" for holder in holders)
    assert [p.name for p in tmp_path.iterdir()] == ["root.key"]


def test_env_key_round_trips_and_matches_the_file(tmp_path: Path) -> None:
    path = tmp_path / "root.key"
    from_file = FileRootKey(path)
    from_env = EnvRootKey({"STRONGROOM_ROOT_KEY": base64.b64encode(path.read_bytes()).decode()})
    assert from_env.unwrap(from_file.wrap(b"keyring")) == b"keyring"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "not set"),
        ({"STRONGROOM_ROOT_KEY": "not*base64"}, "not valid base64"),
        ({"STRONGROOM_ROOT_KEY": base64.b64encode(b"x" * 16).decode()}, "256-bit"),
    ],
)
def test_bad_env_keys_are_refused(environ: dict[str, str], message: str) -> None:
    with pytest.raises(RootKeyError, match=message):
        EnvRootKey(environ)


def test_errors_and_reprs_never_show_the_key(tmp_path: Path) -> None:
    encoded = base64.b64encode(secrets.token_bytes(32)).decode()
    holder = EnvRootKey({"STRONGROOM_ROOT_KEY": encoded})
    assert encoded not in repr(holder)
    with pytest.raises(RootKeyError) as caught:
        EnvRootKey({"STRONGROOM_ROOT_KEY": encoded[:-8]})
    assert encoded[:-8] not in str(caught.value)


def test_wrapped_keyring_does_not_open_with_another_root_key(tmp_path: Path) -> None:
    wrapped = FileRootKey(tmp_path / "a.key").wrap(b"keyring")
    with pytest.raises(BarrierError):
        FileRootKey(tmp_path / "b.key").unwrap(wrapped)


def test_holder_choice_prefers_explicit_file_then_env_then_data_dir(tmp_path: Path) -> None:
    env = {"STRONGROOM_ROOT_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}
    explicit = root_key_holder(tmp_path, tmp_path / "explicit.key", env)
    assert isinstance(explicit, FileRootKey) and explicit.path == tmp_path / "explicit.key"
    assert isinstance(root_key_holder(tmp_path, None, env), EnvRootKey)
    default = root_key_holder(tmp_path, None, {})
    assert isinstance(default, FileRootKey) and default.path == tmp_path / "root.key"


def test_opening_a_store_with_the_wrong_root_key_is_a_clear_error(tmp_path: Path, database: Database) -> None:
    open_barrier(database, tmp_path, environ={})
    (tmp_path / "root.key").unlink()
    with pytest.raises(RootKeyError, match="not the root key this database was first used with"):
        open_barrier(database, tmp_path, environ={})
