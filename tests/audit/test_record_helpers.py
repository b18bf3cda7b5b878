"""The record's cheap helpers say what the standard library would."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

from strongroom.audit.record import TIME_FORMAT, event_id, format_time, random_uuid


def test_random_uuid_is_a_version_4_uuid_string() -> None:
    made = {random_uuid() for _ in range(1000)}
    assert len(made) == 1000
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


def test_event_ids_are_version_7_uuids_that_sort_in_the_order_they_were_made() -> None:
    before_ms = time.time_ns() // 1_000_000
    made = []
    for _ in range(5):
        made += [event_id() for _ in range(200)]
        time.sleep(0.002)
    after_ms = time.time_ns() // 1_000_000
    assert len(set(made)) == len(made)
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert (parsed.version, parsed.variant) == (7, uuid.RFC_4122)
        assert before_ms <= parsed.int >> 80 <= after_ms  # the first 48 bits: Unix time in milliseconds
    # Ids of different milliseconds sort by time (the random bits order those of the same one).
    stamps = [text[:13] for text in made]
    assert stamps == sorted(stamps) and len(set(stamps)) >= 5


def test_format_time_matches_strftime_for_utc_other_zones_and_naive_times() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert format_time(when) == when.strftime(TIME_FORMAT) == "2026-01-02T03:04:05Z"
    east = when.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert format_time(east) == "2026-01-02T03:04:05Z"
    assert format_time(when.replace(tzinfo=None)) == "2026-01-02T03:04:05Z"
    assert format_time(datetime(999, 12, 31, 23, 59, 59, tzinfo=UTC)) == "0999-12-31T23:59:59Z"


def test_format_time_gives_each_second_its_own_text() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, 1, tzinfo=UTC)
    assert format_time(when) == "2026-01-02T03:04:05Z"
    assert format_time(when.replace(microsecond=999_999)) == "2026-01-02T03:04:05Z"
    assert format_time(when + timedelta(seconds=1)) == "2026-01-02T03:04:06Z"
    assert format_time(when.replace(year=2027)) == "2027-01-02T03:04:05Z"
    assert format_time(when) == "2026-01-02T03:04:05Z"


def test_random_uuids_made_before_a_fork_are_not_handed_out_again_in_the_child() -> None:
    random_uuid()  # the parent now holds a batch made in advance
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child process
        os.close(reader)
        os.write(writer, random_uuid().encode())
        os._exit(0)
    os.close(writer)
    try:
        from_child = os.read(reader, 64).decode()
    finally:
        os.close(reader)
        os.waitpid(child, 0)
    assert uuid.UUID(from_child).version == 4
    assert from_child != random_uuid()
