"""Trail log files and digests in the bucket folder, and `validate-logs` on them: untouched files are
valid; a changed, removed or inserted log file or digest is reported with a non-zero exit."""

from __future__ import annotations

import gzip
import itertools
import json
import re
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.live.test_cloudtrail_lookup import Actor

LOG_NAME = re.compile(r"(\d{12})_CloudTrail_us-east-1_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz")


class TrailRun:
    """A trail that logged an actor's calls, then three hours of digests."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.cloudtrail = server.client("cloudtrail")
        self.account = server.client("sts").get_caller_identity()["Account"]
        self.name, self.bucket = f"trail-{uuid.uuid4().hex[:8]}", f"bucket-{uuid.uuid4().hex[:8]}"
        created = self.cloudtrail.create_trail(Name=self.name, S3BucketName=self.bucket,
                                               EnableLogFileValidation=True)
        self.arn = created["TrailARN"]
        self.started = datetime.fromisoformat(server.admin("clock")[1]["now"])
        self.cloudtrail.start_logging(Name=self.name)
        self.actor = Actor(server)
        sts = self.actor.client("sts")
        self.event_count = 5
        for _ in range(self.event_count):
            sts.get_caller_identity()
        server.admin("clock", {"advance_seconds": 360})
        self.log_files_after_six_minutes = self.log_files()
        server.admin("clock", {"advance_seconds": 3 * 3600})

    @property
    def folder(self) -> Path:
        return self.server.data_dir / "s3" / self.bucket

    def log_files(self) -> list[Path]:
        return sorted((self.folder / f"AWSLogs/{self.account}/CloudTrail").rglob("*.json.gz"))

    def digests(self) -> list[Path]:
        return sorted((self.folder / f"AWSLogs/{self.account}/CloudTrail-Digest").rglob("*.json.gz"))

    def validate(self, data_dir: Path | None = None, *extra: str) -> tuple[int, str]:
        """`strongroom cloudtrail validate-logs`, run as a user runs it."""
        result = subprocess.run(
            [sys.executable, "-m", "strongroom", "cloudtrail", "validate-logs", "--trail-arn", self.arn,
             "--start-time", (self.started - timedelta(minutes=1)).isoformat(),
             "--data-dir", str(data_dir or self.server.data_dir), *extra],
            env=self.server.cli_env(), capture_output=True, text=True, timeout=120, check=False,
        )
        return result.returncode, result.stdout


@pytest.fixture(scope="module")
def run(server) -> TrailRun:
    return TrailRun(server)


def read_gzip_json(path: Path) -> Any:
    return json.loads(gzip.decompress(path.read_bytes()))


def test_log_files_in_aws_layout_with_the_records(run):
    files = run.log_files_after_six_minutes
    assert len(files) == 1
    relative = files[0].relative_to(run.folder).as_posix()
    match = LOG_NAME.fullmatch(files[0].name)
    assert match is not None and match.group(1) == run.account
    stamp = datetime.strptime(match.group(2), "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    assert relative == (f"AWSLogs/{run.account}/CloudTrail/us-east-1/{stamp:%Y/%m/%d}/{files[0].name}")
    assert files[0].stat().st_mode & 0o777 == 0o600 and files[0].parent.stat().st_mode & 0o777 == 0o700
    records = read_gzip_json(files[0])["Records"]
    mine = [r for r in records if (r.get("userIdentity") or {}).get("userName") == run.actor.name]
    assert [r["eventName"] for r in mine] == ["GetCallerIdentity"] * run.event_count
    assert "StartLogging" in [r["eventName"] for r in records]
    assert all(r["awsRegion"] == "us-east-1" and r["recipientAccountId"] == run.account for r in records)


def test_each_record_is_delivered_once(run):
    ids = [r["eventID"] for path in run.log_files() for r in read_gzip_json(path)["Records"]]
    assert len(ids) == len(set(ids))


def test_digests_chain_across_hours_even_without_log_files(run):
    digests = [read_gzip_json(path) for path in run.digests()]
    digests.sort(key=lambda d: d["digestEndTime"])
    assert len(digests) == 3
    assert digests[0]["previousDigestSignature"] is None and digests[0]["previousDigestS3Object"] is None
    listed = [entry["s3Object"] for digest in digests for entry in digest["logFiles"]]
    assert any(listed) and all(digest["logFiles"] == [] for digest in digests[1:])
    assert digests[1]["newestEventTime"] is None
    for older, newer in itertools.pairwise(digests):
        assert newer["previousDigestS3Object"] == older["digestS3Object"]
        assert newer["digestStartTime"] == older["digestEndTime"]
        assert newer["previousDigestHashAlgorithm"] == "SHA-256"
    first = digests[0]
    assert first["digestSignatureAlgorithm"] == "SHA256withRSA" and first["digestS3Bucket"] == run.bucket
    assert re.fullmatch(
        rf"AWSLogs/{run.account}/CloudTrail-Digest/us-east-1/\d{{4}}/\d\d/\d\d/"
        rf"{run.account}_CloudTrail-Digest_us-east-1_{run.name}_us-east-1_\d{{8}}T\d{{6}}Z\.json\.gz",
        first["digestS3Object"])
    metadata = json.loads(Path(str(run.folder / first["digestS3Object"]) + ".metadata.json").read_text())
    assert metadata["signature-algorithm"] == "SHA256withRSA" and re.fullmatch(r"[0-9a-f]+", metadata["signature"])
    fingerprints = {key["Fingerprint"] for key in run.cloudtrail.list_public_keys(
        StartTime=run.started - timedelta(minutes=1))["PublicKeyList"]}
    assert first["digestPublicKeyFingerprint"] in fingerprints


def test_untouched_logs_validate(run):
    status, out = run.validate(None, "--verbose")
    assert status == 0, out
    assert "3/3 digest files valid" in out and "INVALID" not in out
    assert re.search(r"(\d+)/\1 log files valid", out)
    assert "Log file\ts3://" in out and "\tvalid" in out


def tamper_copy(run: TrailRun, tmp_path: Path) -> Path:
    shutil.copytree(run.folder, tmp_path / "s3" / run.bucket)
    return tmp_path / "s3" / run.bucket


def _flip_byte(path: Path) -> None:
    content = bytearray(gzip.decompress(path.read_bytes()))
    content[len(content) // 2] ^= 0x01
    path.write_bytes(gzip.compress(bytes(content)))


def _middle_digest(folder: Path) -> Path:
    return sorted(folder.rglob("*CloudTrail-Digest_*.json.gz"))[1]


def _forge_log(run: TrailRun, folder: Path) -> None:
    real = sorted((folder / "AWSLogs").rglob("*_CloudTrail_us-east-1_*.json.gz"))[0]
    forged = real.with_name(real.name[:-len("XXXXXXXXXXXXXXXX.json.gz")] + "F" * 16 + ".json.gz")
    forged.write_bytes(gzip.compress(b'{"Records":[]}'))


def _forge_digest(run: TrailRun, folder: Path) -> None:
    middle = _middle_digest(folder)
    stamp = re.search(r"_(\d{8}T\d{6}Z)\.json\.gz$", middle.name)
    assert stamp is not None
    when = datetime.strptime(stamp.group(1), "%Y%m%dT%H%M%SZ") - timedelta(minutes=30)
    forged = middle.with_name(middle.name.replace(stamp.group(1), when.strftime("%Y%m%dT%H%M%SZ")))
    digest = read_gzip_json(middle)
    digest["digestS3Object"] = forged.relative_to(folder).as_posix()
    forged.write_bytes(gzip.compress(json.dumps(digest).encode()))


def _edit_digest(run: TrailRun, folder: Path) -> None:
    middle = _middle_digest(folder)
    digest = read_gzip_json(middle)
    digest["oldestEventTime"] = "2000-01-01T00:00:00Z"
    middle.write_bytes(gzip.compress(json.dumps(digest).encode()))


TAMPERING = {
    "flipped byte in a log file": (lambda run, folder: _flip_byte(sorted((folder / "AWSLogs").rglob(
        "*_CloudTrail_us-east-1_*.json.gz"))[0]), "Log file", "hash value doesn't match"),
    "deleted log file": (lambda run, folder: sorted((folder / "AWSLogs").rglob(
        "*_CloudTrail_us-east-1_*.json.gz"))[0].unlink(), "Log file", "not found"),
    "deleted digest": (lambda run, folder: _middle_digest(folder).unlink(), "Digest file", "not found"),
    "edited digest": (_edit_digest, "Digest file", "hash value doesn't match"),
    "forged log file": (_forge_log, "Log file", "not listed in any digest file"),
    "forged digest": (_forge_digest, "Digest file", "not part of the digest chain"),
}


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_tampering_is_reported(run, tmp_path, case):
    tamper, kind, reason = TAMPERING[case]
    folder = tamper_copy(run, tmp_path)
    tamper(run, folder)
    status, out = run.validate(tmp_path)
    assert status != 0, out
    assert re.search(rf"^{kind}\ts3://{run.bucket}/\S+\tINVALID: {re.escape(reason)}$", out, re.MULTILINE), out
    assert "INVALID" in out.split("\n\n")[-1] or "files INVALID" in out


def test_stop_logging_delivers_the_last_file(server):
    run_cloudtrail = server.client("cloudtrail")
    name, bucket = f"trail-{uuid.uuid4().hex[:8]}", f"bucket-{uuid.uuid4().hex[:8]}"
    run_cloudtrail.create_trail(Name=name, S3BucketName=bucket)
    run_cloudtrail.start_logging(Name=name)
    run_cloudtrail.get_trail(Name=name)
    run_cloudtrail.stop_logging(Name=name)
    server.admin("clock", {"advance_seconds": 60})
    files = sorted((server.data_dir / "s3" / bucket).rglob("*.json.gz"))
    names = [r["eventName"] for path in files for r in read_gzip_json(path)["Records"]
             if r["eventName"] in ("StartLogging", "GetTrail", "StopLogging")
             and name in json.dumps(r["requestParameters"])]
    assert names == ["StartLogging", "GetTrail", "StopLogging"]
    run_cloudtrail.get_trail(Name=name)  # after the stop: never delivered
    server.admin("clock", {"advance_seconds": 600})
    assert sorted((server.data_dir / "s3" / bucket).rglob("*.json.gz")) == files
    run_cloudtrail.delete_trail(Name=name)


def test_multi_region_trail_with_write_only_selectors(server):
    cloudtrail = server.client("cloudtrail")
    name, bucket = f"trail-{uuid.uuid4().hex[:8]}", f"bucket-{uuid.uuid4().hex[:8]}"
    cloudtrail.create_trail(Name=name, S3BucketName=bucket, IsMultiRegionTrail=True, S3KeyPrefix="org/logs")
    cloudtrail.put_event_selectors(TrailName=name, AdvancedEventSelectors=[{"Name": "writes", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}])
    cloudtrail.start_logging(Name=name)
    actor = Actor(server)
    west_kms = actor.client("kms", region="eu-west-1")
    key = west_kms.create_key(Description="west")["KeyMetadata"]["KeyId"]
    west_kms.describe_key(KeyId=key)  # a read: not logged
    actor.client("kms").create_key(Description="east")
    server.admin("clock", {"advance_seconds": 360})
    cloudtrail.delete_trail(Name=name)
    account = server.client("sts").get_caller_identity()["Account"]
    root = server.data_dir / "s3" / bucket / "org" / "logs" / "AWSLogs" / account / "CloudTrail"
    mine: dict[str, list[str]] = {}
    for region in ("us-east-1", "eu-west-1"):
        for path in root.joinpath(region).rglob("*.json.gz"):
            assert f"_CloudTrail_{region}_" in path.name
            for record in read_gzip_json(path)["Records"]:
                assert record["awsRegion"] == region and record["readOnly"] is False
                if (record.get("userIdentity") or {}).get("userName") == actor.name:
                    mine.setdefault(region, []).append(record["eventName"])
    assert mine == {"us-east-1": ["CreateKey"], "eu-west-1": ["CreateKey"]}
