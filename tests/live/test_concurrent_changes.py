"""Read-modify-write under concurrency: many clients race over the same resources of a two-worker
server, on SQLite and PostgreSQL, and the invariants AWS keeps hold afterwards (a staging label on one
version at most, an alias on one key, a parameter label on one version, version numbers given once,
tag and attachment limits never exceeded, every acknowledged change present)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Server
from .helpers import BOTH_DATABASES, two_worker_server, unique

CLIENTS = 24


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def racing_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from two_worker_server(request, tmp_path_factory, "racing")


@dataclass
class Result:
    value: Any = None
    error: str | None = None


def clients(server: Server, service: str, count: int = CLIENTS) -> list[Any]:
    """One client per racer, each with its own connections, retrying as the SDKs do by default."""
    config = Config(retries={"mode": "standard", "max_attempts": 5}, max_pool_connections=2)
    return [
        boto3.session.Session().client(
            service, endpoint_url=server.endpoint, region_name="us-east-1",
            aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key, config=config,
        )
        for _ in range(count)
    ]


def race(calls: Sequence[Callable[[], Any]]) -> list[Result]:
    """Run `calls` at once (all released together) and answer each one's value or AWS error code."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Result:
        start.wait()
        try:
            return Result(value=call())
        except ClientError as error:
            return Result(error=error.response["Error"]["Code"])

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _stage_holders(sm: Any, secret_id: str) -> dict[str, list[str]]:
    versions = sm.list_secret_version_ids(SecretId=secret_id, IncludeDeprecated=True)["Versions"]
    holders: dict[str, list[str]] = {}
    for version in versions:
        for stage in version.get("VersionStages", []):
            holders.setdefault(stage, []).append(version["VersionId"])
    return holders


def test_staging_labels_stay_on_one_version(racing_server: Server) -> None:
    sm = racing_server.client("secretsmanager")
    name = unique("race-stages")
    sm.create_secret(Name=name, SecretString="v0", ClientRequestToken="0" * 32)
    ids = [f"{index:032d}" for index in range(1, 7)]
    for index, version_id in enumerate(ids):
        sm.put_secret_value(SecretId=name, SecretString=version_id, ClientRequestToken=version_id,
                            VersionStages=[f"own{index}"])
    sm.update_secret_version_stage(SecretId=name, VersionStage="blue", MoveToVersionId=ids[0])
    all_ids = ["0" * 32, *ids]
    racers = clients(racing_server, "secretsmanager")

    def move(client: Any, stage: str, index: int) -> Callable[[], Any]:
        def call() -> Any:
            holder = _stage_holders(client, name)[stage][0]  # read, then move from what was read
            target = all_ids[index % len(all_ids)]
            return client.update_secret_version_stage(
                SecretId=name, VersionStage=stage, MoveToVersionId=target, RemoveFromVersionId=holder
            )
        return call

    for _round in range(2):
        results = race([move(client, "AWSCURRENT" if index % 2 else "blue", index)
                        for index, client in enumerate(racers)])
        assert any(result.error is None for result in results)
        # A racer that read a holder another racer had already moved is refused, as AWS refuses it.
        assert {result.error for result in results} <= {None, "InvalidParameterException"}
        holders = _stage_holders(sm, name)
        assert len(holders["AWSCURRENT"]) == 1, holders
        assert len(holders["blue"]) == 1, holders
        assert len(holders.get("AWSPREVIOUS", [])) <= 1, holders


def test_one_token_makes_one_version(racing_server: Server) -> None:
    sm = racing_server.client("secretsmanager")
    name = unique("race-token")
    sm.create_secret(Name=name, SecretString="first")
    token = "f" * 32
    racers = clients(racing_server, "secretsmanager")
    results = race([
        (lambda client=client, index=index: client.put_secret_value(
            SecretId=name, SecretString=f"value-{index % 3}", ClientRequestToken=token))
        for index, client in enumerate(racers)
    ])
    stored = sm.get_secret_value(SecretId=name, VersionId=token)["SecretString"]
    for index, result in enumerate(results):
        if result.error is None:
            assert f"value-{index % 3}" == stored  # only a request with the stored value succeeds
        else:
            assert result.error == "ResourceExistsException"
    holders = _stage_holders(sm, name)
    assert holders["AWSCURRENT"] == [token]


def test_an_alias_names_one_key(racing_server: Server) -> None:
    kms = racing_server.client("kms")
    keys = [kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(4)]
    alias = f"alias/{unique('race')}"
    racers = clients(racing_server, "kms")
    created = race([
        (lambda client=client, index=index: client.create_alias(AliasName=alias, TargetKeyId=keys[index % 4]))
        for index, client in enumerate(racers)
    ])
    assert [result.error for result in created].count(None) == 1
    assert {result.error for result in created} == {None, "AlreadyExistsException"}
    race([
        (lambda client=client, index=index: client.update_alias(AliasName=alias, TargetKeyId=keys[index % 4]))
        for index, client in enumerate(racers)
    ])
    listed = [entry for key in keys for entry in kms.list_aliases(KeyId=key)["Aliases"]]
    assert [entry["AliasName"] for entry in listed] == [alias]
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == listed[0]["TargetKeyId"]


def test_parameter_versions_and_labels(racing_server: Server) -> None:
    ssm = racing_server.client("ssm")
    name = f"/{unique('race')}/value"
    ssm.put_parameter(Name=name, Value="v0", Type="String")
    racers = clients(racing_server, "ssm")
    results = race([
        (lambda client=client, index=index: client.put_parameter(
            Name=name, Value=f"value-{index}", Type="String", Overwrite=True))
        for index, client in enumerate(racers)
    ])
    acknowledged = {result.value["Version"] for result in results if result.error is None}
    assert {result.error for result in results} <= {None, "TooManyUpdates"}
    history = ssm.get_parameter_history(Name=name, MaxResults=50)["Parameters"]
    versions = [entry["Version"] for entry in history]
    assert sorted(versions) == list(range(1, len(versions) + 1))  # each number given once, none skipped
    assert acknowledged <= set(versions)
    by_version = {entry["Version"]: entry["Value"] for entry in history}
    for index, result in enumerate(results):
        if result.error is None:
            assert by_version[result.value["Version"]] == f"value-{index}"

    label_results = race([
        (lambda client=client, index=index: client.label_parameter_version(
            Name=name, ParameterVersion=versions[index % len(versions)], Labels=["live"]))
        for index, client in enumerate(racers)
    ])
    assert any(result.error is None for result in label_results)
    history = ssm.get_parameter_history(Name=name, MaxResults=50)["Parameters"]
    assert sum("live" in entry.get("Labels", []) for entry in history) == 1


def test_tag_limit_holds_under_racing_writers(racing_server: Server) -> None:
    sm = racing_server.client("secretsmanager")
    name = unique("race-tags")
    base = [{"Key": f"base{index}", "Value": "x"} for index in range(40)]
    sm.create_secret(Name=name, SecretString="tagged", Tags=base)
    racers = clients(racing_server, "secretsmanager")
    results = race([
        (lambda client=client, index=index: client.tag_resource(
            SecretId=name, Tags=[{"Key": f"racer{index}-{part}", "Value": "y"} for part in range(2)]))
        for index, client in enumerate(racers)
    ])
    tags = {tag["Key"] for tag in sm.describe_secret(SecretId=name).get("Tags", [])}
    assert len(tags) <= 50
    accepted = [index for index, result in enumerate(results) if result.error is None]
    assert len(accepted) == 5  # 40 + 5 racers x 2 tags reach the limit exactly
    for index in accepted:
        assert {f"racer{index}-0", f"racer{index}-1"} <= tags
    assert {result.error for result in results} <= {None, "InvalidParameterException"}


def test_attached_policy_limit_holds(racing_server: Server) -> None:
    iam = racing_server.client("iam")
    user = unique("racer")
    iam.create_user(UserName=user)
    document = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"}]})
    arns = [iam.create_policy(PolicyName=unique("p"), PolicyDocument=document)["Policy"]["Arn"] for _ in range(16)]
    racers = clients(racing_server, "iam", 16)
    results = race([
        (lambda client=client, arn=arn: client.attach_user_policy(UserName=user, PolicyArn=arn))
        for client, arn in zip(racers, arns, strict=True)
    ])
    attached = {entry["PolicyArn"] for entry in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]}
    accepted = {arn for arn, result in zip(arns, results, strict=True) if result.error is None}
    assert accepted == attached
    assert len(attached) == 10  # IAM's quota of managed policies per user
    assert {result.error for result in results} <= {None, "LimitExceeded"}


def test_one_user_per_name(racing_server: Server) -> None:
    name = unique("twin")
    racers = clients(racing_server, "iam")
    results = race([(lambda client=client: client.create_user(UserName=name)) for client in racers])
    assert [result.error for result in results].count(None) == 1
    assert {result.error for result in results} == {None, "EntityAlreadyExists"}


def test_rule_target_limit_holds(racing_server: Server) -> None:
    events = racing_server.client("events")
    rule = unique("race-rule")
    events.put_rule(Name=rule, EventPattern='{"source":["race"]}')
    bus = events.create_event_bus(Name=unique("race-bus"))["EventBusArn"]
    racers = clients(racing_server, "events", 12)
    results = race([
        (lambda client=client, index=index: client.put_targets(Rule=rule, Targets=[{"Id": f"t{index}", "Arn": bus}]))
        for index, client in enumerate(racers)
    ])
    targets = {target["Id"] for target in events.list_targets_by_rule(Rule=rule)["Targets"]}
    accepted = {f"t{index}" for index, result in enumerate(results)
                if result.error is None and not result.value.get("FailedEntryCount")}
    assert accepted == targets
    assert len(targets) == 5  # EventBridge's quota of targets per rule
    assert {result.error for result in results} <= {None, "LimitExceededException"}


def test_alias_limit_per_key_holds(racing_server: Server) -> None:
    kms = racing_server.client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for index in range(45):
        kms.create_alias(AliasName=f"alias/{unique(f'base{index}')}", TargetKeyId=key)
    racers = clients(racing_server, "kms", 12)
    names = [f"alias/{unique('racer')}" for _ in racers]
    results = race([(lambda client=client, name=name: client.create_alias(AliasName=name, TargetKeyId=key))
                    for client, name in zip(racers, names, strict=True)])
    listed = {entry["AliasName"] for entry in kms.list_aliases(KeyId=key, Limit=100)["Aliases"]}
    assert len(listed) == 50  # KMS's quota of aliases per key
    accepted = {name for name, result in zip(names, results, strict=True) if result.error is None}
    assert len(accepted) == 5 and accepted <= listed
    assert {result.error for result in results} == {None, "LimitExceededException"}


def test_trail_limit_per_region_holds(racing_server: Server) -> None:
    cloudtrail = racing_server.client("cloudtrail")
    racers = clients(racing_server, "cloudtrail", 12)
    names = [unique("trail") for _ in racers]
    results = race([(lambda client=client, name=name: client.create_trail(Name=name, S3BucketName=unique("bucket")))
                    for client, name in zip(racers, names, strict=True)])
    trails = {trail["Name"] for trail in cloudtrail.describe_trails()["trailList"]}
    accepted = {name for name, result in zip(names, results, strict=True) if result.error is None}
    assert accepted == trails
    assert len(trails) == 5  # CloudTrail's quota of trails per region
    assert {result.error for result in results} == {None, "MaximumNumberOfTrailsExceededException"}
