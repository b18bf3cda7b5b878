"""CloudTrail trails over boto3: create/update/delete/get/describe/list, status, logging, multi-region
trails, event selectors, tags, public keys, and AWS's errors."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError


def code_of(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture()
def cloudtrail(server):
    return server.client("cloudtrail")


@pytest.fixture()
def trail(cloudtrail) -> Any:
    name = unique("trail")
    created = cloudtrail.create_trail(Name=name, S3BucketName=unique("bucket"), S3KeyPrefix="logs")
    yield created
    with contextlib.suppress(ClientError):
        cloudtrail.delete_trail(Name=created["TrailARN"])


def test_create_get_update_delete(server, cloudtrail, account_id):
    name, bucket = unique("trail"), unique("bucket")
    created = cloudtrail.create_trail(Name=name, S3BucketName=bucket, EnableLogFileValidation=True,
                                      TagsList=[{"Key": "team", "Value": "sec"}])
    arn = f"arn:aws:cloudtrail:us-east-1:{account_id}:trail/{name}"
    assert created["TrailARN"] == arn and created["LogFileValidationEnabled"] is True
    assert created["IsMultiRegionTrail"] is False and created["IncludeGlobalServiceEvents"] is True
    assert (server.data_dir / "s3" / bucket).is_dir()
    assert (server.data_dir / "s3" / bucket).stat().st_mode & 0o777 == 0o700
    got = cloudtrail.get_trail(Name=name)["Trail"]
    assert got["HomeRegion"] == "us-east-1" and got["HasCustomEventSelectors"] is False
    assert cloudtrail.get_trail(Name=arn)["Trail"]["Name"] == name
    updated = cloudtrail.update_trail(Name=name, S3KeyPrefix="p1", EnableLogFileValidation=False)
    assert updated["S3KeyPrefix"] == "p1" and updated["LogFileValidationEnabled"] is False
    assert cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"] == [
        {"ResourceId": arn, "TagsList": [{"Key": "team", "Value": "sec"}]}]
    assert any(item["TrailARN"] == arn and item["HomeRegion"] == "us-east-1"
               for item in cloudtrail.list_trails()["Trails"])
    cloudtrail.delete_trail(Name=name)
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.get_trail(Name=name)
    assert code_of(excinfo) == "TrailNotFoundException"
    assert excinfo.value.response["Error"]["Message"] == f"Unknown trail: {arn} for the user: {account_id}"


@pytest.fixture()
def account_id(server):
    return server.client("sts").get_caller_identity()["Account"]


@pytest.mark.parametrize(("name", "fragment"), [
    ("ab", "Trail name too short"),
    ("-abc", "must starts with a letter or number"),
    ("abc-", "must ends with a letter or number"),
    ("a b c", "can only contain"),
    ("a..b", "adjacent"),
    ("192.168.1.1", "IP address"),
])
def test_invalid_trail_names(cloudtrail, name, fragment):
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.create_trail(Name=name, S3BucketName="bucket-x")
    assert code_of(excinfo) == "InvalidTrailNameException"
    assert fragment in excinfo.value.response["Error"]["Message"]


def test_create_errors(cloudtrail, trail):
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.create_trail(Name=trail["Name"], S3BucketName="bucket-x")
    assert code_of(excinfo) == "TrailAlreadyExistsException"
    for bad_bucket in ("UPPER", "a", "../escape", "x" * 64):
        with pytest.raises(ClientError) as excinfo:
            cloudtrail.create_trail(Name=unique("t"), S3BucketName=bad_bucket)
        assert code_of(excinfo) == "InvalidS3BucketNameException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.create_trail(Name=unique("t"), S3BucketName="bucket-x", S3KeyPrefix="../../etc")
    assert code_of(excinfo) == "InvalidS3PrefixException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.create_trail(Name=unique("t"), S3BucketName="bucket-x", IsMultiRegionTrail=True,
                                IncludeGlobalServiceEvents=False)
    assert code_of(excinfo) == "InvalidParameterCombinationException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.get_trail(Name="arn:aws:cloudtrail:us-east-1:12:nottrail")
    assert code_of(excinfo) == "CloudTrailARNInvalidException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.update_trail(Name=unique("missing"))
    assert code_of(excinfo) == "TrailNotFoundException"


def test_logging_status(cloudtrail, trail):
    name = trail["Name"]
    assert cloudtrail.get_trail_status(Name=name)["IsLogging"] is False
    cloudtrail.start_logging(Name=name)
    status = cloudtrail.get_trail_status(Name=name)
    assert status["IsLogging"] is True and "StartLoggingTime" in status
    cloudtrail.stop_logging(Name=name)
    status = cloudtrail.get_trail_status(Name=name)
    assert status["IsLogging"] is False and status["StopLoggingTime"] >= status["StartLoggingTime"]


def test_multi_region_trail_shows_everywhere_and_changes_only_at_home(server, cloudtrail):
    name = unique("multi")
    created = cloudtrail.create_trail(Name=name, S3BucketName=unique("bucket"), IsMultiRegionTrail=True)
    west = server.client("cloudtrail", region="eu-west-1")
    try:
        shadows = west.describe_trails()["trailList"]
        assert any(item["TrailARN"] == created["TrailARN"] and item["HomeRegion"] == "us-east-1" for item in shadows)
        assert all(item["TrailARN"] != created["TrailARN"]
                   for item in west.describe_trails(includeShadowTrails=False)["trailList"])
        assert west.get_trail(Name=created["TrailARN"])["Trail"]["IsMultiRegionTrail"] is True
        with pytest.raises(ClientError) as excinfo:
            west.stop_logging(Name=created["TrailARN"])
        assert code_of(excinfo) == "InvalidHomeRegionException"
        with pytest.raises(ClientError) as excinfo:
            west.create_trail(Name=name, S3BucketName="bucket-x")
        assert code_of(excinfo) == "TrailAlreadyExistsException"
    finally:
        cloudtrail.delete_trail(Name=name)


def test_event_selectors(cloudtrail, trail):
    name = trail["Name"]
    default = cloudtrail.get_event_selectors(TrailName=name)
    assert default["EventSelectors"] == [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                          "DataResources": [], "ExcludeManagementEventSources": []}]
    put = cloudtrail.put_event_selectors(TrailName=name, EventSelectors=[{
        "ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket/"]}],
    }])
    assert put["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert cloudtrail.get_trail(Name=name)["Trail"]["HasCustomEventSelectors"] is True
    advanced = [{"Name": "writes", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}]
    put = cloudtrail.put_event_selectors(TrailName=name, AdvancedEventSelectors=advanced)
    got = cloudtrail.get_event_selectors(TrailName=name)
    assert got["AdvancedEventSelectors"] == advanced and "EventSelectors" not in got
    for bad in (
        {"EventSelectors": [{"DataResources": [{"Type": "AWS::Nope::Thing", "Values": []}]}]},
        {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "readOnly", "Equals": ["true"]}]}]},
        {"EventSelectors": [], "AdvancedEventSelectors": advanced},
    ):
        with pytest.raises(ClientError) as excinfo:
            cloudtrail.put_event_selectors(TrailName=name, **bad)
        assert code_of(excinfo) == "InvalidEventSelectorsException"


def test_tags(cloudtrail, trail):
    arn = trail["TrailARN"]
    cloudtrail.add_tags(ResourceId=arn, TagsList=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    cloudtrail.remove_tags(ResourceId=arn, TagsList=[{"Key": "a"}])
    assert cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.add_tags(ResourceId=arn, TagsList=[{"Key": f"k{n}", "Value": "v"} for n in range(50)])
    assert code_of(excinfo) == "TagsLimitExceededException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.add_tags(ResourceId=arn.replace(trail["Name"], unique("gone")), TagsList=[{"Key": "a"}])
    assert code_of(excinfo) == "ResourceNotFoundException"


def test_list_public_keys(cloudtrail):
    from cryptography.hazmat.primitives import serialization
    keys = cloudtrail.list_public_keys()["PublicKeyList"]
    assert keys and len(keys[0]["Fingerprint"]) == 32
    public = serialization.load_der_public_key(keys[0]["Value"])
    assert public.key_size == 2048  # type: ignore[attr-defined]
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.list_public_keys(StartTime="2024-02-01T00:00:00Z", EndTime="2024-01-01T00:00:00Z")
    assert code_of(excinfo) == "InvalidTimeRangeException"
