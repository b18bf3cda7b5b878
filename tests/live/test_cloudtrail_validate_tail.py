"""`validate-logs` against the removal of the newest files: the newest digests and the log files they list,
deleted together, leave a chain that is whole in itself; the service's record of its last digest
delivery (GetTrailStatus) shows that it ends too early."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.live.test_cloudtrail_delivery import TrailRun, read_gzip_json, tamper_copy

TAIL_REMOVED = re.compile(r"^Digest file\ts3://\S+/CloudTrail-Digest/\S*\tINVALID: not found: the newest digest files "
                          r"\(the last delivered for \S+\) were removed, with the log files they list$", re.MULTILINE)


@pytest.fixture(scope="module")
def run(server) -> TrailRun:
    return TrailRun(server)


def _remove_newest(folder: Path, count: int) -> None:
    """Delete the `count` newest digests, their signatures and every log file they list."""
    for digest in sorted(folder.rglob("*_CloudTrail-Digest_*.json.gz"))[-count:]:
        for listed in read_gzip_json(digest)["logFiles"]:
            (folder / listed["s3Object"]).unlink()
        digest.unlink()
        Path(f"{digest}.metadata.json").unlink()


def test_the_untouched_trail_validates(run):
    status, out = run.validate(None)
    assert status == 0, out
    assert "INVALID" not in out


@pytest.mark.parametrize("count", [1, 2, 3], ids=["newest", "two-newest", "all"])
def test_removing_the_newest_digests_and_their_logs_is_reported(run, tmp_path, count):
    folder = tamper_copy(run, tmp_path)
    _remove_newest(folder, count)
    status, out = run.validate(tmp_path)
    assert status == 1, out
    assert TAIL_REMOVED.search(out), out
    assert "digest files INVALID" in out


def test_a_range_ending_before_the_last_delivery_is_not_held_to_it(run, tmp_path):
    folder = tamper_copy(run, tmp_path)
    digests = sorted(folder.rglob("*_CloudTrail-Digest_*.json.gz"))
    second = datetime.strptime(re.search(r"_(\d{8}T\d{6}Z)\.json\.gz$", digests[1].name).group(1),
                               "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    _remove_newest(folder, 1)
    status, out = run.validate(tmp_path, "--end-time", second.isoformat())
    assert status == 0, out


def test_a_stopped_trail_validates_and_its_final_digest_is_missed_when_removed(server, tmp_path):
    cloudtrail = server.client("cloudtrail")
    trail = TrailRun(server)
    cloudtrail.stop_logging(Name=trail.name)
    server.admin("clock", {"advance_seconds": 120})  # the final log file, then the final digest
    final = max(trail.digests(), key=lambda path: path.name)
    assert read_gzip_json(final)["digestEndTime"] > read_gzip_json(min(trail.digests()))["digestEndTime"]
    status, out = trail.validate(None)
    assert status == 0, out
    folder = tamper_copy(trail, tmp_path)
    _remove_newest(folder, 1)
    status, out = trail.validate(tmp_path)
    assert status == 1, out
    assert TAIL_REMOVED.search(out), out
    cloudtrail.delete_trail(Name=trail.name)
