"""Server settings: one typed value, passed from the CLI to every worker process through the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATA_DIR = Path(".strongroom")


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    root_key_file: Path | None = None
    # Lets tests move the server clock through /_strongroom/clock. Never on by default.
    clock_control: bool = False
    # `serve --dev`: admits test/test for the default account. Never on by default.
    developer_mode: bool = False
    # POST /_strongroom/reset wipes the store back to its bootstrap and seed state. Never on by default.
    reset_enabled: bool = False
    # A seed file (YAML or JSON) applied after bootstrap, and again after each reset.
    seed_file: Path | None = None
    # The default account's id asked for on the command line (developer mode); None keeps the usual one.
    account_id: str | None = None
    # Worker processes serving this data dir (`serve --workers`): with one, its audit writer never
    # takes turns at SQLite's write lock with another's.
    workers: int = 1

    @classmethod
    def create(
        cls,
        data_dir: Path | None = None,
        database_url: str | None = None,
        root_key_file: Path | None = None,
        clock_control: bool = False,
        *,
        developer_mode: bool = False,
        reset_enabled: bool = False,
        seed_file: Path | None = None,
        account_id: str | None = None,
        workers: int = 1,
    ) -> Settings:
        data_dir = (data_dir or DEFAULT_DATA_DIR).resolve()
        url = database_url or f"sqlite:///{data_dir / 'strongroom.db'}"
        return cls(
            data_dir=data_dir,
            database_url=url,
            root_key_file=root_key_file,
            clock_control=clock_control,
            developer_mode=developer_mode,
            reset_enabled=reset_enabled,
            seed_file=seed_file.resolve() if seed_file is not None else None,
            account_id=account_id,
            workers=workers,
        )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        root_key = environ.get("STRONGROOM_ROOT_KEY_FILE")
        seed_file = environ.get("STRONGROOM_SEED_FILE")
        return cls.create(
            data_dir=Path(environ.get("STRONGROOM_DATA_DIR", str(DEFAULT_DATA_DIR))),
            database_url=environ.get("STRONGROOM_DATABASE_URL") or None,
            root_key_file=Path(root_key) if root_key else None,
            clock_control=environ.get("STRONGROOM_CLOCK_CONTROL") == "1",
            developer_mode=environ.get("STRONGROOM_DEVELOPER_MODE") == "1",
            reset_enabled=environ.get("STRONGROOM_ENABLE_RESET") == "1",
            seed_file=Path(seed_file) if seed_file else None,
            account_id=environ.get("STRONGROOM_ACCOUNT_ID") or None,
            workers=int(environ.get("STRONGROOM_WORKERS") or 1),
        )

    def to_environ(self) -> dict[str, str]:
        env = {
            "STRONGROOM_DATA_DIR": str(self.data_dir),
            "STRONGROOM_DATABASE_URL": self.database_url,
            "STRONGROOM_CLOCK_CONTROL": "1" if self.clock_control else "0",
            "STRONGROOM_DEVELOPER_MODE": "1" if self.developer_mode else "0",
            "STRONGROOM_ENABLE_RESET": "1" if self.reset_enabled else "0",
            "STRONGROOM_WORKERS": str(self.workers),
        }
        if self.root_key_file is not None:
            env["STRONGROOM_ROOT_KEY_FILE"] = str(self.root_key_file)
        if self.seed_file is not None:
            env["STRONGROOM_SEED_FILE"] = str(self.seed_file)
        if self.account_id is not None:
            env["STRONGROOM_ACCOUNT_ID"] = self.account_id
        return env
