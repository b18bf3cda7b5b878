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

    @classmethod
    def create(
        cls,
        data_dir: Path | None = None,
        database_url: str | None = None,
        root_key_file: Path | None = None,
        clock_control: bool = False,
    ) -> Settings:
        data_dir = (data_dir or DEFAULT_DATA_DIR).resolve()
        url = database_url or f"sqlite:///{data_dir / 'strongroom.db'}"
        return cls(data_dir=data_dir, database_url=url, root_key_file=root_key_file, clock_control=clock_control)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] = os.environ) -> Settings:
        root_key = environ.get("STRONGROOM_ROOT_KEY_FILE")
        return cls.create(
            data_dir=Path(environ.get("STRONGROOM_DATA_DIR", str(DEFAULT_DATA_DIR))),
            database_url=environ.get("STRONGROOM_DATABASE_URL") or None,
            root_key_file=Path(root_key) if root_key else None,
            clock_control=environ.get("STRONGROOM_CLOCK_CONTROL") == "1",
        )

    def to_environ(self) -> dict[str, str]:
        env = {
            "STRONGROOM_DATA_DIR": str(self.data_dir),
            "STRONGROOM_DATABASE_URL": self.database_url,
            "STRONGROOM_CLOCK_CONTROL": "1" if self.clock_control else "0",
        }
        if self.root_key_file is not None:
            env["STRONGROOM_ROOT_KEY_FILE"] = str(self.root_key_file)
        return env
