"""Times as CloudTrail writes them, and UTC-aware datetimes from either database."""

from __future__ import annotations

from datetime import UTC, datetime


def aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def iso_seconds(when: datetime) -> str:
    """`2015-08-17T14:01:31Z`, as in records and digest fields."""
    return aware(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_millis(when: datetime) -> str:
    return aware(when).strftime("%Y-%m-%dT%H:%M:%S.") + f"{aware(when).microsecond // 1000:03d}Z"


def log_file_stamp(when: datetime) -> str:
    """`YYYYMMDDTHHmmZ`, in log file names."""
    return aware(when).strftime("%Y%m%dT%H%MZ")


def digest_file_stamp(when: datetime) -> str:
    """`YYYYMMDDTHHmmssZ`, in digest file names."""
    return aware(when).strftime("%Y%m%dT%H%M%SZ")


def date_folders(when: datetime) -> str:
    return aware(when).strftime("%Y/%m/%d")
