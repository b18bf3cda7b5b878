"""Filling a Strongroom data dir with stored work before a scale run.

Keys are created through the API (their material is sealed by the server). Audit events are inserted
directly into the `audit_events` table of the data dir's SQLite database while the server is stopped:
copies of a real record the server wrote, each with a new event id and an earlier time, in one
transaction. This is setup only; it makes 100,000 events in about a second instead of 100,000 calls.
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.operations import client, in_parallel
from bench.targets import RunningTarget

# SQLAlchemy's storage format for DateTime on SQLite.
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"


def create_keys(target: RunningTarget, count: int) -> list[str]:
    kms = client(target, "kms")
    return in_parallel(lambda i: kms.create_key(Description=f"bench {i}")["KeyMetadata"]["KeyId"], count)


def add_audit_events(database: Path, total: int) -> int:
    """Bring `audit_events` up to `total` rows; returns how many it now holds."""
    connection = sqlite3.connect(database)
    try:
        count = connection.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        missing = total - count
        if missing <= 0:
            return int(count)
        cursor = connection.execute("SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1")
        columns = [d[0] for d in cursor.description]
        template: dict[str, Any] = dict(zip(columns, cursor.fetchone(), strict=True))
        del template["seq"]
        names = list(template)
        newest = datetime.strptime(template["event_time"], SQLITE_TIME)

        def copy(i: int) -> tuple[Any, ...]:
            event_id = str(uuid.uuid4())
            row = dict(template, event_id=event_id,
                       event_time=(newest - timedelta(seconds=i + 1)).strftime(SQLITE_TIME),
                       record=template["record"].replace(template["event_id"], event_id))
            return tuple(row[name] for name in names)

        placeholders = ", ".join("?" for _ in names)
        with connection:
            connection.executemany(
                f"INSERT INTO audit_events ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
                (copy(i) for i in range(missing)),
            )
        return int(connection.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    finally:
        connection.close()
