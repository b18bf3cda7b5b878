"""Checking a trail's digest chain and log files in its bucket folder (the logic behind validate-logs).

Digests are walked newest to oldest through each one's `previousDigestS3Object`. A digest is valid when
it is where it says it is, its key fingerprint is a published public key of its region, its signature
(from its metadata file) verifies over the data-signing string, and, when a newer valid digest vouches
for it, its SHA-256 and signature are the ones that digest recorded. Each log file a valid digest lists
must hash (decompressed) to the listed value. After a missing or invalid digest the walk resumes at the
next older digest on disk. Digests on disk that no walk reached, and log files no digest lists, were
inserted. The newest digests are checked against the service's record of its last digest delivery
(`check_tail`), so removing the newest digests with the log files they list does not go unseen.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom.services.cloudtrail.buckets import METADATA_SUFFIX
from strongroom.services.cloudtrail.digests import DIGEST_PERIOD, string_to_sign

_DIGEST_NAME = re.compile(r"(\d{12})_CloudTrail-Digest_([a-z0-9-]+)_(.+)_([a-z0-9-]+)_(\d{8}T\d{6}Z)\.json\.gz")
_LOG_NAME = re.compile(r"(\d{12})_CloudTrail_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz")


@dataclass
class Finding:
    kind: str  # "Digest file" | "Log file"
    location: str  # s3://bucket/key
    problem: str | None  # None when valid

    def line(self) -> str:
        return f"{self.kind}\t{self.location}\t{'valid' if self.problem is None else 'INVALID: ' + self.problem}"


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    oldest: datetime | None = None
    newest: datetime | None = None

    def add(self, kind: str, location: str, problem: str | None) -> None:
        self.findings.append(Finding(kind, location, problem))

    def counts(self, kind: str) -> tuple[int, int]:
        mine = [finding for finding in self.findings if finding.kind == kind]
        return sum(finding.problem is None for finding in mine), len(mine)


@dataclass
class TrailLocation:
    bucket_folder: Path
    bucket: str
    prefix: str  # "" or "prefix/"
    account_id: str
    trail_name: str
    home_region: str


def _stamp(text: str, pattern: str) -> datetime:
    return datetime.strptime(text, pattern).replace(tzinfo=UTC)


def _read_gzip(path: Path) -> bytes:
    """The decompressed content; trailing data after the gzip stream makes the file invalid."""
    raw = path.read_bytes()
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    content = decompressor.decompress(raw) + decompressor.flush()
    if not decompressor.eof or decompressor.unused_data:
        raise ValueError("trailing or truncated gzip data")
    return content


def digest_files(where: TrailLocation, start: datetime, end: datetime | None) -> dict[str, list[tuple[datetime, str]]]:
    """The trail's digest keys per region whose end time falls in the range, newest first."""
    root = where.bucket_folder / f"{where.prefix}AWSLogs/{where.account_id}/CloudTrail-Digest"
    found: dict[str, list[tuple[datetime, str]]] = {}
    for path in root.rglob("*.json.gz") if root.is_dir() else []:
        match = _DIGEST_NAME.fullmatch(path.name)
        if match is None or match.group(3) != where.trail_name or match.group(4) != where.home_region:
            continue
        when = _stamp(match.group(5), "%Y%m%dT%H%M%SZ")
        if when >= start and (end is None or when <= end):
            key = path.relative_to(where.bucket_folder).as_posix()
            found.setdefault(match.group(2), []).append((when, key))
    for entries in found.values():
        entries.sort(reverse=True)
    return found


def _log_files_on_disk(where: TrailLocation, region: str, start: datetime, before: datetime) -> list[str]:
    root = where.bucket_folder / f"{where.prefix}AWSLogs/{where.account_id}/CloudTrail/{region}"
    keys = []
    for path in root.rglob("*.json.gz") if root.is_dir() else []:
        match = _LOG_NAME.fullmatch(path.name)
        if match is None:
            continue
        when = _stamp(match.group(3), "%Y%m%dT%H%MZ")
        if start <= when < before:
            keys.append(path.relative_to(where.bucket_folder).as_posix())
    return sorted(keys)


class ChainChecker:
    """Checks one region's digests (newest first) and the log files they list."""

    def __init__(self, where: TrailLocation, public_keys: dict[str, bytes], report: Report) -> None:
        self.where = where
        self.keys = public_keys
        self.report = report
        self.listed_logs: set[str] = set()

    def s3_url(self, key: str) -> str:
        return f"s3://{self.where.bucket}/{key}"

    def check_region(self, region: str, digests: list[tuple[datetime, str]], start: datetime) -> None:
        remaining = [key for _when, key in digests]
        reached: set[str] = set()
        expected: tuple[str, str] | None = None  # (hash, signature) vouched by a newer valid digest
        key: str | None = remaining[0] if remaining else None
        while key is not None:
            reached.add(key)
            digest, problem = self._check_digest(key, expected)
            self.report.add("Digest file", self.s3_url(key), problem)
            older = [candidate for candidate in remaining if candidate < key]
            if digest is None or problem is not None:
                # Nothing this digest says can be trusted: resume at the next older digest on disk.
                expected = None
                key = older[0] if older else None
                continue
            self._note_times(digest)
            self._check_logs(digest)
            previous = digest.get("previousDigestS3Object")
            if not previous or _stamp(digest["digestStartTime"], "%Y-%m-%dT%H:%M:%SZ") <= start:
                break
            if digest.get("previousDigestS3Bucket") != self.where.bucket:
                self.report.add("Digest file", f"s3://{digest.get('previousDigestS3Bucket')}/{previous}",
                                "not found")
                break
            expected = (str(digest.get("previousDigestHashValue")), str(digest.get("previousDigestSignature")))
            key = previous
        for stray in remaining:
            if stray not in reached and stray > min(reached, default=""):
                self.report.add("Digest file", self.s3_url(stray), "not part of the digest chain")
        if digests:
            newest_end = digests[0][0]
            for log_key in _log_files_on_disk(self.where, region, start, newest_end.replace(second=0)):
                if log_key not in self.listed_logs:
                    self.report.add("Log file", self.s3_url(log_key), "not listed in any digest file")

    def _check_digest(self, key: str, expected: tuple[str, str] | None) -> tuple[dict[str, Any] | None, str | None]:
        path = self.where.bucket_folder / key
        if not path.is_file():
            return None, "not found"
        try:
            content = _read_gzip(path)
            digest = json.loads(content)
        except (OSError, ValueError, zlib.error):
            return None, "invalid format"
        if not isinstance(digest, dict):
            return None, "invalid format"
        content_hash = hashlib.sha256(content).hexdigest()
        if digest.get("digestS3Bucket") != self.where.bucket or digest.get("digestS3Object") != key:
            return digest, "invalid digest location"
        signature = self._signature(path)
        if expected is not None and (content_hash != expected[0] or signature != expected[1]):
            return digest, "hash value doesn't match"
        public_der = self.keys.get(str(digest.get("digestPublicKeyFingerprint")))
        if public_der is None:
            return digest, f"public key not found for fingerprint {digest.get('digestPublicKeyFingerprint')}"
        if signature is None:
            return digest, "signature not found"
        message = string_to_sign(str(digest.get("digestEndTime")), self.where.bucket, key, content_hash,
                                 digest.get("previousDigestSignature"))
        try:
            public_key = serialization.load_der_public_key(public_der)
            assert isinstance(public_key, rsa.RSAPublicKey)
            public_key.verify(bytes.fromhex(signature), message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError):
            return digest, "signature verification failed"
        return digest, None

    def _signature(self, path: Path) -> str | None:
        try:
            metadata = json.loads(Path(str(path) + METADATA_SUFFIX).read_bytes())
            signature = metadata.get("signature")
            return signature if isinstance(signature, str) else None
        except (OSError, ValueError, AttributeError):
            return None

    def _note_times(self, digest: dict[str, Any]) -> None:
        start = _stamp(digest["digestStartTime"], "%Y-%m-%dT%H:%M:%SZ")
        end = _stamp(digest["digestEndTime"], "%Y-%m-%dT%H:%M:%SZ")
        self.report.oldest = start if self.report.oldest is None else min(self.report.oldest, start)
        self.report.newest = end if self.report.newest is None else max(self.report.newest, end)

    def _check_logs(self, digest: dict[str, Any]) -> None:
        for entry in digest.get("logFiles") or []:
            key = str(entry.get("s3Object"))
            self.listed_logs.add(key)
            location = f"s3://{entry.get('s3Bucket')}/{key}"
            path = self.where.bucket_folder / key
            if entry.get("s3Bucket") != self.where.bucket or not path.is_file():
                self.report.add("Log file", location, "not found")
                continue
            try:
                actual = hashlib.sha256(_read_gzip(path)).hexdigest()
            except (OSError, ValueError, zlib.error, gzip.BadGzipFile):
                actual = ""
            self.report.add("Log file", location, None if actual == entry.get("hashValue") else
                            "hash value doesn't match")


@dataclass
class Delivered:
    """What the service says of a trail's digests (GetTrailStatus): when it last delivered one, and
    when logging stopped, if it is stopped."""

    latest_digest: datetime | None
    stopped_logging: datetime | None = None


def check_tail(where: TrailLocation, by_region: dict[str, list[tuple[datetime, str]]], delivered: Delivered,
               start: datetime, end: datetime | None, report: Report) -> None:
    """Report the newest digests missing from the bucket folder, by the service's last digest delivery.

    The service records its last delivery as of the digest's end time (the time in its name). A delivery
    writes every period that has ended, so each region's newest digest ends less than one period before
    the last delivery, and one ends at it; after StopLogging, every region's final digest ends at it.
    `by_region` must be read after `delivered`, so that digests delivered meanwhile are there too.
    Checked when the requested range reaches the last delivery.
    """
    latest = delivered.latest_digest
    if latest is None or latest < start or (end is not None and end < latest):
        return
    stamps = {region: {when for when, _key in digests} for region, digests in by_region.items()}
    regions = sorted({where.home_region, *by_region})
    stopped = delivered.stopped_logging
    missing: list[str | None]
    if stopped is not None and stopped <= latest:
        missing = [region for region in regions if latest not in stamps.get(region, ())]
    else:
        missing = [region for region in regions if max(stamps.get(region, ()), default=start) <= latest - DIGEST_PERIOD]
        if not missing and not any(latest in region_stamps for region_stamps in stamps.values()):
            missing = [None]  # the digest that ends at the last delivery, in whichever region
    for region in missing:
        folder = f"{where.prefix}AWSLogs/{where.account_id}/CloudTrail-Digest/{region + '/' if region else ''}"
        report.add("Digest file", f"s3://{where.bucket}/{folder}",
                   f"not found: the newest digest files (the last delivered for {latest:%Y-%m-%dT%H:%M:%SZ}) "
                   "were removed, with the log files they list")
