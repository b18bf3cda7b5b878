"""Parameter policies on the server clock: Expiration deletes; notifications and changes reach EventBridge."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.live.test_events_delivery import API_KEY, Receiver, api_destination, wait_for

from .helpers import error_of


def unique() -> str:
    return f"/policies-{uuid.uuid4().hex[:10]}/p"


def server_now(server) -> datetime:
    _status, body = server.admin("clock")
    return datetime.fromisoformat(body["now"])


class Watcher:
    """What a user would set up to see Parameter Store's events: an EventBridge rule on the default bus for
    one parameter's events, delivered to a local HTTP endpoint. EventBridge promises no order, so the
    events are compared sorted."""

    def __init__(self, server, receiver: Receiver, name: str) -> None:
        self.server, self.receiver, self.name = server, receiver, name
        events = server.client("events")
        self.path = f"/ssm-policies-{uuid.uuid4().hex[:8]}"
        destination = api_destination(events, receiver, self.path, "API_KEY", API_KEY)
        rule = f"ssm-{uuid.uuid4().hex[:10]}"
        pattern = {"source": ["aws.ssm"], "detail": {"$or": [{"name": [name]}, {"parameter-name": [name]}]}}
        events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
        events.put_targets(Rule=rule, Targets=[{"Id": "http", "Arn": destination}])

    def events(self, expected: int) -> list[tuple[str, dict]]:
        """The events delivered so far, once there are `expected` of them (or after the wait)."""
        wait_for(lambda: len(self.receiver.to(self.path)) >= expected)
        received = []
        for request in self.receiver.to(self.path):
            event = json.loads(request["body"])
            assert event["source"] == "aws.ssm"
            assert event["resources"][0].endswith(f":parameter{self.name}")
            received.append((event["detail-type"], event["detail"]))
        return received


def kinds(events: list[tuple[str, dict]]) -> list[tuple[str, str | None]]:
    return sorted((kind, detail.get("policy-type") or detail.get("operation")) for kind, detail in events)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    yield instance
    instance.server.shutdown()
    instance.server.server_close()


def policies(*items: dict) -> str:
    return json.dumps(list(items))


def test_expiration_deletes_the_parameter_when_due(server, ssm, receiver):
    name = unique()
    watcher = Watcher(server, receiver, name)
    expires = (server_now(server) + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    text_policies = policies(
        {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": expires}},
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "1", "Unit": "Hours"}},
    )
    put = ssm.put_parameter(Name=name, Value="short-lived", Type="String", Tier="Intelligent-Tiering",
                            Policies=text_policies)
    assert put["Tier"] == "Advanced"
    described = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert [(p["PolicyType"], p["PolicyStatus"]) for p in described["Policies"]] == [
        ("Expiration", "Pending"), ("ExpirationNotification", "Pending"),
    ]
    server.admin("clock", {"advance_seconds": 2 * 3600 + 60})
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "short-lived"
    assert kinds(watcher.events(2)) == [
        ("Parameter Store Change", "Create"), ("Parameter Store Policy Action", "ExpirationNotification"),
    ]
    server.admin("clock", {"advance_seconds": 3600})
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=name)
    assert error_of(raised)[0] == "ParameterNotFound"
    events = watcher.events(4)
    assert kinds(events) == [
        ("Parameter Store Change", "Create"),
        ("Parameter Store Change", "Delete"),
        ("Parameter Store Policy Action", "Expiration"),
        ("Parameter Store Policy Action", "ExpirationNotification"),
    ]
    (expiration,) = [detail for _kind, detail in events if detail.get("policy-type") == "Expiration"]
    assert expiration["parameter-type"] == "String"


def test_no_change_notification_counts_from_the_last_change(server, ssm, receiver):
    name = unique()
    watcher = Watcher(server, receiver, name)
    ssm.put_parameter(Name=name, Value="v1", Type="String", Tier="Advanced", Policies=policies(
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "2", "Unit": "Hours"}},
    ))
    server.admin("clock", {"advance_seconds": 3600})
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)  # keeps its policies, restarts the period
    server.admin("clock", {"advance_seconds": 3600 + 60})
    assert kinds(watcher.events(2)) == [("Parameter Store Change", "Create"), ("Parameter Store Change", "Update")]
    server.admin("clock", {"advance_seconds": 3600})
    assert kinds(watcher.events(3)) == [("Parameter Store Change", "Create"), ("Parameter Store Change", "Update"),
                                        ("Parameter Store Policy Action", "NoChangeNotification")]
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert history[-1]["Policies"][0]["PolicyStatus"] == "Finished"


def test_policy_errors(server, ssm):
    later = (server_now(server) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expiration = {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": later}}
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=unique(), Value="x", Type="String", Tier="Standard", Policies=policies(expiration))
    assert error_of(raised)[0] == "ValidationException"
    cases = [
        (policies({"Type": "Nope", "Attributes": {}}), "InvalidPolicyTypeException"),
        (policies(expiration, expiration), "IncompatiblePolicyException"),
        (policies({"Type": "Expiration", "Attributes": {"Timestamp": "yesterday"}}), "InvalidPolicyAttributeException"),
        (policies({"Type": "NoChangeNotification", "Attributes": {"After": "2", "Unit": "Weeks"}}),
         "InvalidPolicyAttributeException"),
        (policies(*[{"Type": "NoChangeNotification", "Attributes": {"After": "1"}}] * 11),
         "PoliciesLimitExceededException"),
    ]
    for text_policies, code in cases:
        with pytest.raises(ClientError) as raised:
            ssm.put_parameter(Name=unique(), Value="x", Type="String", Tier="Advanced", Policies=text_policies)
        assert error_of(raised)[0] == code, text_policies


def test_changes_and_labels_are_events(server, ssm, receiver):
    name = unique()
    watcher = Watcher(server, receiver, name)
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="watched")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    ssm.label_parameter_version(Name=name, Labels=["live"])
    ssm.delete_parameter(Name=name)
    server.admin("clock", {"advance_seconds": 1})  # the bus drains Parameter Store's events when due
    events = watcher.events(4)
    assert sorted(detail["operation"] for _kind, detail in events) == [
        "Create", "Delete", "LabelParameterVersion", "Update"]
    (created,) = [detail for _kind, detail in events if detail["operation"] == "Create"]
    assert created == {"operation": "Create", "name": name, "type": "String", "description": "watched"}
