"""The `strongroom` command: serve, and administer accounts."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from strongroom import __version__
from strongroom.settings import DEFAULT_DATA_DIR, HttpLimits, Settings


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None,
                        help=f"where data, the root key and credentials live (default ./{DEFAULT_DATA_DIR})")
    parser.add_argument("--database-url", default=None,
                        help="SQLAlchemy URL; default SQLite in the data dir, "
                             "or postgresql+psycopg://user@host/db")
    parser.add_argument("--root-key-file", type=Path, default=None,
                        help="the barrier's root key file (default <data-dir>/root.key)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strongroom", description="The AWS security services, self-hosted.")
    parser.add_argument("--version", action="version", version=f"strongroom {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="start the server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    serve.add_argument("--forwarded-allow-ips", default="", metavar="ADDRESSES",
                       help="comma-separated addresses or networks of proxies in front of the server, whose "
                            "X-Forwarded-For names the client (default: none; '*' trusts every peer)")
    limits = HttpLimits()
    serve.add_argument("--header-timeout", type=float, default=limits.header_timeout, metavar="SECONDS",
                       help="time a client has to send a whole request head (default %(default)s)")
    serve.add_argument("--body-timeout", type=float, default=limits.body_timeout, metavar="SECONDS",
                       help="time a client has to send a whole request body (default %(default)s)")
    serve.add_argument("--keep-alive-timeout", type=int, default=limits.keep_alive_timeout, metavar="SECONDS",
                       help="idle keep-alive connections close after this (default %(default)s)")
    serve.add_argument("--max-connections", type=int, default=limits.max_connections, metavar="N",
                       help="client connections per worker, lowered to fit the file-descriptor limit "
                            "(default %(default)s)")
    serve.add_argument("--enable-clock-control", action="store_true",
                       help="let clients move the server clock through /_strongroom/clock (for tests only)")
    serve.add_argument("--dev", action="store_true",
                       help="developer mode, for tests: accepts test/test, data in a throwaway directory "
                            "unless --data-dir is given, clock control on")
    serve.add_argument("--enable-reset", action="store_true",
                       help="answer POST /_strongroom/reset, which wipes all state back to bootstrap and seed")
    serve.add_argument("--seed", type=Path, default=None, metavar="FILE",
                       help="a YAML or JSON file of accounts, users, keys, parameters and secrets to create at start")
    serve.add_argument("--account-id", default=None,
                       help="with --dev: the default account's id at first start (12 digits; default 000000000000)")
    _add_store_options(serve)

    cloudtrail = commands.add_parser("cloudtrail", help="CloudTrail tools")
    cloudtrail_commands = cloudtrail.add_subparsers(dest="cloudtrail_command", required=True)
    # Its own parser reads the options (and answers --help).
    validate = cloudtrail_commands.add_parser(
        "validate-logs", help="check a trail's log files against its signed digests", add_help=False
    )
    validate.add_argument("arguments", nargs=argparse.REMAINDER)

    admin = commands.add_parser("admin", help="administer accounts")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser("create-account", help="create an account with its own root access key")
    create.add_argument("--account-id", default=None, help="12 digits; random when omitted")
    create.add_argument("--access-key-id", default=None)
    create.add_argument("--secret-access-key", default=None)
    _add_store_options(create)
    return parser


def _settings(args: argparse.Namespace, **serving: Any) -> Settings:
    env = Settings.from_environ()
    return Settings.create(
        data_dir=args.data_dir or env.data_dir,
        database_url=args.database_url or (env.database_url if args.data_dir is None else None),
        root_key_file=args.root_key_file or env.root_key_file,
        **serving,
    )


def _serve(args: argparse.Namespace) -> int:
    throwaway: Path | None = None
    if args.dev and args.data_dir is None and not os.environ.get("STRONGROOM_DATA_DIR"):
        throwaway = Path(tempfile.mkdtemp(prefix="strongroom-dev-"))
        args.data_dir = throwaway
        # uvicorn re-raises the signal that stopped it once it has shut down: exit through `finally`.
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, _exit_on_signal)
    try:
        return _run_server(args, throwaway)
    finally:
        if throwaway is not None:
            shutil.rmtree(throwaway, ignore_errors=True)


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def _run_server(args: argparse.Namespace, throwaway: Path | None) -> int:
    import uvicorn

    from strongroom.barrier import RootKeyError
    from strongroom.bootstrap import SECRET_ACCESS_KEY_ENV
    from strongroom.connections import GuardedHttpToolsProtocol
    from strongroom.devmode.developer_account import DEVELOPER_SECRET_ACCESS_KEY
    from strongroom.proxies import TrustedProxies
    from strongroom.server import prepare
    from strongroom.store.db import DatabaseError

    settings = _settings(
        args,
        clock_control=args.enable_clock_control or args.dev,
        developer_mode=args.dev,
        reset_enabled=args.enable_reset,
        seed_file=args.seed,
        account_id=args.account_id,
        workers=args.workers,
        http=HttpLimits(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                        keep_alive_timeout=args.keep_alive_timeout, max_connections=args.max_connections),
        forwarded_allow_ips=args.forwarded_allow_ips,
    )
    try:
        TrustedProxies(args.forwarded_allow_ips)
    except ValueError as exc:
        print(f"strongroom: --forwarded-allow-ips: {exc}", file=sys.stderr)
        return 2
    try:
        result = prepare(settings)
    except (RootKeyError, DatabaseError, ValueError) as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    endpoint = f"http://{args.host}:{args.port}"
    print(f"Strongroom {__version__} serving on {endpoint}, data in {settings.data_dir}", flush=True)
    if settings.developer_mode:
        _announce_developer_mode(settings, result.account_id, throwaway)
    elif result.secret_supplied:
        print(f"The root access key of account {result.account_id} was created with the secret in "
              f"{SECRET_ACCESS_KEY_ENV} (kept in {settings.data_dir / 'credentials'}, mode 0600):", flush=True)
    elif result.secret_access_key is not None:
        print(f"The root access key of account {result.account_id} was created; its secret is shown only now "
              f"(and kept in {settings.data_dir / 'credentials'}, mode 0600):", flush=True)
    if settings.developer_mode:
        secret = DEVELOPER_SECRET_ACCESS_KEY
    elif result.secret_supplied:
        secret = f'"${SECRET_ACCESS_KEY_ENV}"'  # the operator's own secret is never printed back
    else:
        secret = result.secret_access_key or f"<see {settings.data_dir / 'credentials'}>"
    print(f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID={result.access_key_id} "
          f"AWS_SECRET_ACCESS_KEY={secret} AWS_DEFAULT_REGION=us-east-1", flush=True)
    if settings.reset_enabled:
        print(f"Reset is enabled: POST {endpoint}/_strongroom/reset wipes all state back to bootstrap and seed.",
              flush=True)
    os.environ.update(settings.to_environ())
    developer_app = settings.developer_mode or settings.reset_enabled
    uvicorn.run(
        "strongroom.devmode.app:create_app" if developer_app else "strongroom.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=False,
        server_header=False,
        loop="uvloop",
        http=GuardedHttpToolsProtocol,
        ws="none",
        timeout_keep_alive=settings.http.keep_alive_timeout,
        # X-Forwarded-For is read by strongroom.proxies, from the proxies named only.
        proxy_headers=False,
    )
    return 0


def _announce_developer_mode(settings: Settings, account_id: str, throwaway: Path | None) -> None:
    where = (f"a throwaway directory, removed at exit ({throwaway})" if throwaway is not None
             else f"{settings.data_dir} (kept)")
    lines = [
        "*" * 78,
        "DEVELOPER MODE: for tests only, never for real secrets.",
        f"  The default account {account_id} accepts the access key test / secret test (SigV4-verified).",
        f"  Data lives in {where}.",
        "  The clock is controllable through /_strongroom/clock.",
        "*" * 78,
    ]
    print("\n".join(lines), flush=True)
    print("strongroom: warning: developer mode is on", file=sys.stderr, flush=True)


def _create_account(args: argparse.Namespace) -> int:
    from strongroom.barrier import RootKeyError
    from strongroom.server import create_account
    from strongroom.store.db import DatabaseError

    try:
        account_id, access_key_id, secret = create_account(
            _settings(args), account_id=args.account_id, access_key_id=args.access_key_id,
            secret_access_key=args.secret_access_key,
        )
    except (RootKeyError, DatabaseError, ValueError) as exc:
        print(f"strongroom: {exc}", file=sys.stderr)
        return 2
    print(f"account_id = {account_id}\naws_access_key_id = {access_key_id}")
    if args.secret_access_key is None:
        print(f"aws_secret_access_key = {secret}")
    else:
        print("# aws_secret_access_key: the one given with --secret-access-key (never printed back)")
    return 0


def _admin(args: argparse.Namespace) -> int:
    commands = {"create-account": _create_account}
    return commands[args.admin_command](args)


def _cloudtrail(args: argparse.Namespace) -> int:
    from strongroom.services.cloudtrail.validate import main as validate_logs

    return validate_logs(list(args.arguments))


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:2] == ["cloudtrail", "validate-logs"]:
        # The validator's own parser reads the rest, --help included.
        return _cloudtrail(argparse.Namespace(arguments=arguments[2:]))
    args = build_parser().parse_args(arguments)
    commands = {"serve": _serve, "admin": _admin, "cloudtrail": _cloudtrail}
    return commands[args.command](args)


if __name__ == "__main__":
    raise SystemExit(main())
