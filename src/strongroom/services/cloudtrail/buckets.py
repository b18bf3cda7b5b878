"""Trail buckets as folders: until Strongroom serves S3, bucket `b` is `<data-dir>/s3/b/` and an object
key is a relative path under it, so the same keys become objects later.

Files are created owner-only (0600, folders 0700) and never overwritten. A digest's S3 object metadata
(its signature) is stored beside it as `<key>.metadata.json`: {"signature": hex, "signature-algorithm"}.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from strongroom.errors import ServiceError

METADATA_SUFFIX = ".metadata.json"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IP_ADDRESS = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


def check_bucket_name(name: str) -> None:
    if (_BUCKET_NAME.fullmatch(name) is None or ".." in name or ".-" in name or "-." in name
            or _IP_ADDRESS.fullmatch(name)):
        raise ServiceError("InvalidS3BucketNameException", f"Bucket name is not valid: {name}")


def check_key_prefix(prefix: str) -> None:
    """A prefix is part of every key: it must stay a plain relative path under the bucket."""
    parts = prefix.split("/")
    if (len(prefix) > 200 or prefix.startswith("/") or "\\" in prefix or "\x00" in prefix
            or any(part in (".", "..") for part in parts)):
        raise ServiceError("InvalidS3PrefixException", f"Invalid S3 prefix: {prefix}")


def bucket_folder(data_dir: Path, bucket: str) -> Path:
    return data_dir / "s3" / bucket


def ensure_bucket(data_dir: Path, bucket: str) -> Path:
    folder = bucket_folder(data_dir, bucket)
    _make_dirs(folder)
    return folder


def object_key(prefix: str | None, key: str) -> str:
    return f"{prefix.strip('/')}/{key}" if prefix and prefix.strip("/") else key


def object_path(data_dir: Path, bucket: str, key: str) -> Path:
    return bucket_folder(data_dir, bucket) / key


def put_object(data_dir: Path, bucket: str, key: str, body: bytes) -> Path:
    """Write a new object (owner-only); an existing one is an error, never overwritten."""
    path = object_path(data_dir, bucket, key)
    _make_dirs(path.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _make_dirs(folder: Path) -> None:
    missing = []
    current = folder
    while not current.exists():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            path.mkdir(mode=0o700)
