"""The background pass that indexes audit events' resources: every resource once, whatever runs at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store(request: pytest.FixtureRequest) -> Iterator[Database]:
    """A migrated store of each kind."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database")
        return
    database = Database(request.getfixturevalue("postgres_url"))
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()


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
