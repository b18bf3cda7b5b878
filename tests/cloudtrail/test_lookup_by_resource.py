"""LookupEvents by resource reads the index and every event above its watermark: however far the indexer
is behind, and whatever a resource's name holds, no event naming the resource is missed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from strongroom.audit.record import row_for
from strongroom.services.cloudtrail import lookup, resource_index
from strongroom.store.db import Database
from strongroom.store.tables import AuditEvent
from tests.cloudtrail.test_resource_index import KEY, _record


@dataclass
class Scope:
    """What a lookup reads of its request: the caller's account and region."""

    account_id: str = "111122223333"
    region: str = "us-east-1"


def _store(database: Database, records: list[dict[str, object]]) -> dict[str, int]:
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(record) for record in records])
    with database.session() as session:
        return {event_id: seq for event_id, seq in session.execute(select(AuditEvent.event_id, AuditEvent.seq))}


def _named(database: Database, key: str, value: str, limit: int = 50) -> list[int]:
    now = datetime.now(UTC)
    with database.session() as session:
        return lookup._by_resource(session, Scope(), key, value, now - timedelta(days=1), now, None, limit)


def test_no_event_is_missed_however_far_behind_the_indexer_is(any_store: Database) -> None:
    database = any_store
    when = datetime.now(UTC) - timedelta(minutes=5)
    records = [_record(1, when) for _ in range(50_001)]
    for number, record in enumerate(records):
        record["eventID"] = f"00000000-0000-4000-8000-{number:012d}"
    # Only the newest of 50,001 events not indexed yet names the second key.
    records[-1]["resources"] = [{"type": "AWS::KMS::Key", "ARN": KEY.format(number=2)}]
    seqs = _store(database, records)
    assert _named(database, "ResourceName", KEY.format(number=2)) == [seqs[str(records[-1]["eventID"])]]
    assert len(_named(database, "ResourceName", KEY.format(number=1))) == 50


@pytest.mark.parametrize("indexed", [False, True], ids=["not-indexed-yet", "indexed"])
def test_names_holding_a_nul_are_found_exactly(any_store: Database, indexed: bool) -> None:
    database = any_store
    when = datetime.now(UTC) - timedelta(minutes=5)
    names = ["arn:aws:kms:us-east-1:111122223333:key/a\x00b", "arn:aws:kms:us-east-1:111122223333:key/a\ufffdb",
             "arn:aws:kms:us-east-1:111122223333:key/ab"]
    records = []
    for number, name in enumerate(names * 30):
        record = _record(number + 1, when + timedelta(seconds=number))
        record["resources"] = [{"type": "AWS::KMS::Key", "ARN": name}]
        records.append(record)
    seqs = _store(database, records)
    if indexed:
        while resource_index.index_batch(database, datetime.now(UTC) - resource_index.SETTLE):
            pass
    for name in names:
        expected = sorted((seqs[str(r["eventID"])] for r in records if r["resources"][0]["ARN"] == name),
                          reverse=True)
        # Pages of 7: the index's U+FFFD-alike rows are passed over until a page is whole.
        assert _named(database, "ResourceName", name, limit=7) == expected[:7]
        assert _named(database, "ResourceName", name, limit=100) == expected
        assert _named(database, "ResourceName", name.rsplit("/", 1)[1], limit=100) == expected
