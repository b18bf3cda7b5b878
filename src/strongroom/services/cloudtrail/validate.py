"""`strongroom cloudtrail validate-logs`: proves a trail's log files were not changed, removed or inserted.

It asks the server (botocore, a runtime dependency; standard AWS_* environment variables and config
files) for the trail (DescribeTrails), its last digest delivery (GetTrailStatus) and the public keys
of each region (ListPublicKeys), reads the digests and log files from the trail's bucket folder under
the data dir, and reports as `aws cloudtrail validate-logs` does, also the newest digests removed.
Exit status 0 only if every digest and log file in the range is valid.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from strongroom.services.cloudtrail.buckets import bucket_folder
from strongroom.services.cloudtrail.digest_check import (
    ChainChecker,
    Delivered,
    Report,
    TrailLocation,
    check_tail,
    digest_files,
)
from strongroom.settings import DEFAULT_DATA_DIR


def _time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="strongroom cloudtrail validate-logs",
                                    description="Validate a trail's log files against its signed digest chain.")
    parse.add_argument("--trail-arn", required=True)
    parse.add_argument("--start-time", required=True, type=_time, help="ISO 8601, UTC unless a zone is given")
    parse.add_argument("--end-time", type=_time, help="ISO 8601 (default: the newest digest)")
    parse.add_argument("--verbose", action="store_true", help="also list valid files")
    parse.add_argument("--endpoint-url", default=os.environ.get("AWS_ENDPOINT_URL"))
    parse.add_argument("--data-dir", type=Path,
                       default=Path(os.environ.get("STRONGROOM_DATA_DIR", str(DEFAULT_DATA_DIR))))
    return parse


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _client(region: str, endpoint_url: str | None) -> Any:
    return botocore.session.get_session().create_client("cloudtrail", region_name=region, endpoint_url=endpoint_url)


def _delivered(status: dict[str, Any]) -> Delivered:
    """The trail's last digest delivery and, when it is not logging, when it stopped."""
    def utc(when: Any) -> datetime | None:
        return when.astimezone(UTC) if isinstance(when, datetime) else None

    return Delivered(utc(status.get("LatestDigestDeliveryTime")),
                     None if status.get("IsLogging") else utc(status.get("StopLoggingTime")))


def _public_keys(region: str, endpoint_url: str | None, start: datetime) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    paginator_args: dict[str, Any] = {"StartTime": start}
    client = _client(region, endpoint_url)
    while True:
        answer = client.list_public_keys(**paginator_args)
        keys.update({key["Fingerprint"]: key["Value"] for key in answer.get("PublicKeyList", [])})
        if not answer.get("NextToken"):
            return keys
        paginator_args["NextToken"] = answer["NextToken"]


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = sys.stdout
    parts = args.trail_arn.split(":", 5)
    if len(parts) != 6 or parts[2] != "cloudtrail" or not parts[5].startswith("trail/"):
        print(f"Invalid trail ARN: {args.trail_arn}", file=sys.stderr)
        return 2
    region, account_id = parts[3], parts[4]
    if args.end_time is not None and args.start_time > args.end_time:
        print("Invalid time range: --start-time must be before --end-time", file=sys.stderr)
        return 2
    try:
        client = _client(region, args.endpoint_url)
        trails = client.describe_trails(trailNameList=[args.trail_arn])["trailList"]
        if not trails:
            print(f"Trail not found: {args.trail_arn}", file=sys.stderr)
            return 1
        # Before the folder is read, so that digests delivered meanwhile are found there.
        delivered = _delivered(client.get_trail_status(Name=args.trail_arn))
    except (BotoCoreError, ClientError) as error:
        print(f"Could not read the trail: {error}", file=sys.stderr)
        return 1
    trail = trails[0]
    prefix = trail.get("S3KeyPrefix", "").strip("/")
    where = TrailLocation(
        bucket_folder=bucket_folder(args.data_dir, trail["S3BucketName"]), bucket=trail["S3BucketName"],
        prefix=f"{prefix}/" if prefix else "", account_id=account_id, trail_name=trail["Name"],
        home_region=trail.get("HomeRegion", region),
    )
    until = _iso(args.end_time) if args.end_time else "now"
    print(f"Validating log files for trail {args.trail_arn} between {_iso(args.start_time)} and {until}\n", file=out)
    report = Report()
    by_region = digest_files(where, args.start_time, args.end_time)
    for digest_region, digests in sorted(by_region.items()):
        try:
            keys = _public_keys(digest_region, args.endpoint_url, args.start_time)
        except (BotoCoreError, ClientError) as error:
            print(f"Could not list the public keys of {digest_region}: {error}", file=sys.stderr)
            return 1
        ChainChecker(where, keys, report).check_region(digest_region, digests, args.start_time)
    check_tail(where, by_region, delivered, args.start_time, args.end_time, report)
    for finding in report.findings:
        if args.verbose or finding.problem is not None:
            print(finding.line(), file=out)
    return _summary(report, args.start_time, args.end_time, out)


def _summary(report: Report, start: datetime, end: datetime | None, out: Any) -> int:
    requested_end = _iso(end) if end else "now"
    print(f"\nResults requested for {_iso(start)} to {requested_end}", file=out)
    digest_valid, digest_total = report.counts("Digest file")
    if digest_total == 0:
        print("No digest files were found in the range: nothing could be validated", file=out)
        return 1
    if report.oldest is not None and report.newest is not None:
        print(f"Results found for {_iso(report.oldest)} to {_iso(report.newest)}:", file=out)
    log_valid, log_total = report.counts("Log file")
    print(f"\n{digest_valid}/{digest_total} digest files valid", file=out)
    if digest_valid != digest_total:
        print(f"{digest_total - digest_valid}/{digest_total} digest files INVALID", file=out)
    print(f"{log_valid}/{log_total} log files valid", file=out)
    if log_valid != log_total:
        print(f"{log_total - log_valid}/{log_total} log files INVALID", file=out)
    return 0 if digest_valid == digest_total and log_valid == log_total else 1


if __name__ == "__main__":
    sys.exit(main())
