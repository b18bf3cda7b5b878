"""The background pass that indexes audit events' resources: every resource once, whatever runs at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from strongroom.audit.record import row_for
from strongroom.services.cloudtrail import resource_index
from strongroom.services.cloudtrail.tables import CloudTrailEventResource
from strongroom.store.db import Database
from strongroom.store.tables import AuditEvent

KEY = "arn:aws:kms:us-east-1:111122223333:key/{number:08d}-0000-4000-8000-000000000000"


def _record(number: int, when: datetime) -> dict[str, object]:
    return {
        "eventVersion": "1.11", "userIdentity": {"type": "Root", "accountId": "111122223333"},
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "eventSource": "kms.amazonaws.com",
        "eventName": "Encrypt", "awsRegion": "us-east-1", "requestID": f"r-{number}",
        "eventID": f"00000000-0000-4000-8000-{number:012d}", "readOnly": True, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": "111122223333", "eventCategory": "Management",
        # Every third event names no resource at all.
        **({"resources": [{"accountId": "111122223333", "type": "AWS::KMS::Key", "ARN": KEY.format(number=number)}]}
           if number % 3 else {}),
    }


def _store_events(database: Database, count: int, when: datetime) -> None:
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(_record(number, when)) for number in range(count)])


def _run_concurrently(database: Database, cutoff: datetime, passes: int) -> None:
    failures: list[BaseException] = []

    def one_pass() -> None:
        try:
            while resource_index.index_batch(database, cutoff):
                pass
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=one_pass) for _ in range(passes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_concurrent_passes_index_every_resource_once(any_store: Database) -> None:
    database = any_store
    settled = datetime.now(UTC) - timedelta(minutes=5)
    count = 3 * resource_index.BATCH + 7
    _store_events(database, count, settled)
    _run_concurrently(database, datetime.now(UTC) - resource_index.SETTLE, passes=4)
    with database.session() as session:
        names = session.execute(select(CloudTrailEventResource.resource_name)).scalars().all()
        assert resource_index.watermark(session) == session.scalar(select(func.max(AuditEvent.seq)))
    with_resources = [number for number in range(count) if number % 3]
    # By ARN and by key id, once each.
    expected = sorted([KEY.format(number=n) for n in with_resources]
                      + [KEY.format(number=n).rsplit("/", 1)[1] for n in with_resources])
    assert sorted(names) == expected


def test_unsettled_events_wait(database: Database) -> None:
    now = datetime.now(UTC)
    _store_events(database, 10, now)
    assert resource_index.index_batch(database, now - resource_index.SETTLE) is False
    with database.session() as session:
        assert resource_index.watermark(session) == 0
        assert session.scalar(select(func.count()).select_from(CloudTrailEventResource)) == 0


# Resources as records may hold them; the index must name each as `resources_of` does, which is how
# lookups read the events the index does not hold yet.
_ODD_RESOURCES: list[object] = [
    None,
    [],
    [{"type": "AWS::KMS::Key", "ARN": KEY.format(number=1)}, {"type": "AWS::KMS::Key", "ARN": KEY.format(number=1)}],
    [{"type": "AWS::KMS::Key", "ARN": KEY.format(number=2)},
     {"type": "AWS::KMS::Alias", "ARN": "arn:aws:kms:us-east-1:111122223333:alias/app/one"}],
    [{"type": "AWS::SSM::Parameter", "ARN": "arn:aws:ssm:us-east-1:111122223333:parameter/a/b/c"}],
    [{"type": "AWS::SecretsManager::Secret", "ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf"}],
    [{"type": "AWS::KMS::Key"}, {"ARN": KEY.format(number=3)}, {"type": "", "ARN": KEY.format(number=4)}],
    [{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::bucket-one"}, "not a resource", 7],
    [{"type": "AWS::Test::Thing", "ARN": "thing/"}],
]


def test_the_index_names_resources_as_lookups_of_recent_events_do(any_store: Database) -> None:
    database = any_store
    settled = datetime.now(UTC) - timedelta(minutes=5)
    records = []
    for number, resources in enumerate(_ODD_RESOURCES):
        record = _record(number, settled)
        record.pop("resources", None)
        if resources is not None:
            record["resources"] = resources
        records.append(record)
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(record) for record in records])
    while resource_index.index_batch(database, datetime.now(UTC) - resource_index.SETTLE):
        pass
    with database.session() as session:
        seqs = {event_id: seq for event_id, seq in session.execute(select(AuditEvent.event_id, AuditEvent.seq))}
        indexed = session.execute(select(
            CloudTrailEventResource.seq, CloudTrailEventResource.resource_type,
            CloudTrailEventResource.resource_name, CloudTrailEventResource.account_id,
            CloudTrailEventResource.region)).all()
    expected = sorted(
        (seqs[str(record["eventID"])], kind, name, "111122223333", "us-east-1")
        for record in records
        for kind, name in resource_index.resources_of(record)
    )
    assert sorted(tuple(row) for row in indexed) == expected
    names = {(kind, name) for _seq, kind, name, *_rest in expected}
    assert {("AWS::KMS::Alias", "one"), ("AWS::S3::Bucket", "bucket-one")} <= names


def _index_all(database: Database) -> None:
    while resource_index.index_batch(database, datetime.now(UTC) - resource_index.SETTLE):
        pass


def _indexed_rows(database: Database) -> tuple[int, set[tuple[int, str, str]]]:
    with database.session() as session:
        rows = session.execute(select(CloudTrailEventResource.seq, CloudTrailEventResource.resource_type,
                                      CloudTrailEventResource.resource_name)).all()
        return resource_index.watermark(session), {tuple(row) for row in rows}


def _seqs(database: Database) -> dict[str, int]:
    with database.session() as session:
        return {event_id: seq for event_id, seq in session.execute(select(AuditEvent.event_id, AuditEvent.seq))}


def test_records_holding_a_nul_are_indexed_and_never_stop_the_index(any_store: Database) -> None:
    """PostgreSQL's jsonb refuses an escaped NUL (and SQLite's JSON functions cut the string there)."""
    database = any_store
    settled = datetime.now(UTC) - timedelta(minutes=5)
    records = [_record(number, settled) for number in range(1, 9)]
    records[1]["requestParameters"] = {"description": "before\x00after"}
    records[3]["resources"] = [{"type": "AWS::KMS::Key", "ARN": "arn:aws:kms:us-east-1:111122223333:key/nul\x00key"}]
    records[5]["requestParameters"] = {"description": "\x00"}
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(record) for record in records])
    _index_all(database)
    seqs = _seqs(database)
    watermark, rows = _indexed_rows(database)
    assert watermark == max(seqs.values())
    expected = {(seqs[str(record["eventID"])], resource_index.stored_name(kind), resource_index.stored_name(name))
                for record in records for kind, name in resource_index.resources_of(record)}
    assert rows == expected
    # The NUL is kept as U+FFFD, its whole name and nothing cut short.
    assert (seqs[str(records[3]["eventID"])], "AWS::KMS::Key", "nul\ufffdkey") in rows
    # Indexing goes on past them.
    later = _record(100, settled)
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(later)])
    _index_all(database)
    assert _indexed_rows(database)[0] == _seqs(database)[str(later["eventID"])]


def test_a_record_the_store_cannot_read_is_logged_and_passed(any_store: Database,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    database = any_store
    settled = datetime.now(UTC) - timedelta(minutes=5)
    good, broken = row_for(_record(1, settled)), row_for(_record(2, settled))
    broken["record"] = '{"resources": [not json'
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [good, broken])
    _index_all(database)
    seqs = _seqs(database)
    watermark, rows = _indexed_rows(database)
    assert watermark == max(seqs.values())
    assert {seq for seq, _kind, _name in rows} == {seqs[good["event_id"]]}
    assert f"the audit record of event {seqs[broken['event_id']]} is not JSON" in caplog.text


def test_names_alike_once_cut_to_the_column_are_indexed_once(any_store: Database) -> None:
    database = any_store
    settled = datetime.now(UTC) - timedelta(minutes=5)
    record = _record(1, settled)
    long = "arn:aws:kms:us-east-1:111122223333:key/" + "k" * 2100
    record["resources"] = [{"type": "AWS::KMS::Key", "ARN": long + "a"}, {"type": "AWS::KMS::Key", "ARN": long + "b"}]
    with database.engine.begin() as connection:
        connection.execute(insert(AuditEvent), [row_for(record)])
    _index_all(database)
    watermark, rows = _indexed_rows(database)
    assert watermark == max(_seqs(database).values())
    # The two ARNs are stored alike, and so are their two short names: once each, not a duplicate key.
    assert {name[:60] for _seq, _kind, name in rows} == {long[:60], "k" * 60}
    assert len(rows) == 2
