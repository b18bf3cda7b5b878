"""Server settings: one typed value, passed from the CLI to every worker process through the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

DEFAULT_DATA_DIR = Path(".strongroom")


@dataclass(frozen=True)
class HttpLimits:
    """How long and how much a client may take (`strongroom serve` options); see strongroom.connections
    and strongroom.request_limits."""

    # Seconds to send a whole request head, from connecting or from its first byte.
    header_timeout: float = 10.0
    # Seconds to send a whole request body, from the moment the server starts reading it.
    body_timeout: float = 30.0
    # Seconds an idle keep-alive connection stays open.
    keep_alive_timeout: int = 5
    # Request line and headers together.
    max_head_bytes: int = 64 * 1024
    # Client connections per worker (lowered to fit the process's file-descriptor limit).
    max_connections: int = 1024


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
    http: HttpLimits = HttpLimits()
    # Proxies whose X-Forwarded-For names the client (`--forwarded-allow-ips`); none by default.
    forwarded_allow_ips: str = ""

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
        http: HttpLimits = HttpLimits(),
        forwarded_allow_ips: str = "",
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
            http=http,
            forwarded_allow_ips=forwarded_allow_ips,
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
            http=_http_limits(environ),
            forwarded_allow_ips=environ.get("STRONGROOM_FORWARDED_ALLOW_IPS", ""),
        )

    def to_environ(self) -> dict[str, str]:
        env = {
            "STRONGROOM_DATA_DIR": str(self.data_dir),
            "STRONGROOM_DATABASE_URL": self.database_url,
            "STRONGROOM_CLOCK_CONTROL": "1" if self.clock_control else "0",
            "STRONGROOM_DEVELOPER_MODE": "1" if self.developer_mode else "0",
            "STRONGROOM_ENABLE_RESET": "1" if self.reset_enabled else "0",
            "STRONGROOM_WORKERS": str(self.workers),
            "STRONGROOM_FORWARDED_ALLOW_IPS": self.forwarded_allow_ips,
            **{f"STRONGROOM_HTTP_{limit.name.upper()}": str(getattr(self.http, limit.name))
               for limit in fields(HttpLimits)},
        }
        if self.root_key_file is not None:
            env["STRONGROOM_ROOT_KEY_FILE"] = str(self.root_key_file)
        if self.seed_file is not None:
            env["STRONGROOM_SEED_FILE"] = str(self.seed_file)
        if self.account_id is not None:
            env["STRONGROOM_ACCOUNT_ID"] = self.account_id
        return env


def _http_limits(environ: Mapping[str, str]) -> HttpLimits:
    defaults = HttpLimits()
    values = {}
    for limit in fields(HttpLimits):
        default = getattr(defaults, limit.name)
        given = environ.get(f"STRONGROOM_HTTP_{limit.name.upper()}")
        values[limit.name] = type(default)(given) if given else default
    return HttpLimits(**values)
