"""Helpers shared by the live tests: unique names, the error a refused call answers, audit records,
waiting for what the server records, and servers of a test's own on either database."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from .conftest import Server

T = TypeVar("T")


def unique(prefix: str) -> str:
    """`prefix` made unique, so tests sharing one server never meet each other's resources."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str | None]:
    """The (code, message) of the ClientError caught by `pytest.raises`."""
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message")


def refusal(call: Callable[[], Any]) -> tuple[str, str, int]:
    """The (code, message, HTTP status) `call` is refused with (the test fails if it is not refused)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def audit_records(server: Server, request_id: str) -> list[dict[str, Any]]:
    """The audit records the server stored for the request `request_id`, read from its store."""
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT record FROM audit_events")).scalars().all()
    finally:
        engine.dispose()
    return [record for record in map(json.loads, rows) if record["requestID"] == request_id]


def wait_for(condition: Callable[[], T], timeout: float = 15.0) -> T:
    """What `condition` answers once it is true, polled every 50 ms; the test fails after `timeout`
    seconds (what the server records happens in its own time: wait for it, never sleep a fixed time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not reached in {timeout} s")
        time.sleep(0.05)


def run_sql(server: Server, statement: str, **values: Any) -> None:
    """Change the server's store behind its back, in one transaction, as an operator's SQL would."""
    engine = create_engine(server.store_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), values)
    finally:
        engine.dispose()


def stored_rows(server: Server, statement: str, **values: Any) -> list[Any]:
    """The rows a query reads from the server's store behind its back."""
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(statement), values).all())
    finally:
        engine.dispose()


# Parameters of a module-scoped fixture that runs its tests on SQLite and on PostgreSQL.
BOTH_DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def own_server(request: pytest.FixtureRequest, directory: Path, *, workers: int = 1,
               options: Sequence[str] = ()) -> Iterator[Server]:
    """A server in `directory` on `request.param`'s database (see BOTH_DATABASES), with a database of
    its own (its data dir's root key is not the session server's), stopped after use."""
    from .conftest import Server

    databases = request.getfixturevalue("postgres_databases") if request.param == "postgres" else None
    database_url = databases.create() if databases is not None else None
    server = Server(directory / "data", database_url, workers=workers, options=options)
    try:
        yield server
    finally:
        server.stop()
        if databases is not None and database_url is not None:
            databases.drop(database_url)


def two_worker_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                      label: str) -> Iterator[Server]:
    """A server with two workers on `request.param`'s database (see `own_server`), stopped after use."""
    yield from own_server(request, tmp_path_factory.mktemp(label), workers=2)
