"""Parameter policies on the server clock: Expiration deletes, notifications and changes go to the event outbox."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text


def unique() -> str:
    return f"/policies-{uuid.uuid4().hex[:10]}/p"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str | None]:
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message")


@pytest.fixture()
def ssm(server):
    return server.client("ssm")


def server_now(server) -> datetime:
    _status, body = server.admin("clock")
    return datetime.fromisoformat(body["now"])


def outbox(server, name: str) -> list[tuple[str, dict]]:
    engine = create_engine(server.database_url or f"sqlite:///{server.data_dir / 'strongroom.db'}")
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT source, detail_type, detail, resources FROM ssm_event_outbox ORDER BY seq")).all()
    finally:
        engine.dispose()
    events = []
    for source, detail_type, detail, resources in rows:
        detail = json.loads(detail)
        if name in (detail.get("name"), detail.get("parameter-name")):
            assert source == "aws.ssm"
            assert json.loads(resources)[0].endswith(f":parameter{name}")
            events.append((detail_type, detail))
    return events


def policies(*items: dict) -> str:
    return json.dumps(list(items))


def test_expiration_deletes_the_parameter_when_due(server, ssm):
    name = unique()
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
    assert [(kind, detail.get("policy-type")) for kind, detail in outbox(server, name)] == [
        ("Parameter Store Change", None), ("Parameter Store Policy Action", "ExpirationNotification"),
    ]
    server.admin("clock", {"advance_seconds": 3600})
    with pytest.raises(ClientError) as raised:
        ssm.get_parameter(Name=name)
    assert error_of(raised)[0] == "ParameterNotFound"
    events = outbox(server, name)
    assert [(kind, detail.get("policy-type") or detail.get("operation")) for kind, detail in events] == [
        ("Parameter Store Change", "Create"),
        ("Parameter Store Policy Action", "ExpirationNotification"),
        ("Parameter Store Policy Action", "Expiration"),
        ("Parameter Store Change", "Delete"),
    ]
    assert events[2][1]["parameter-type"] == "String"


def test_no_change_notification_counts_from_the_last_change(server, ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="v1", Type="String", Tier="Advanced", Policies=policies(
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "2", "Unit": "Hours"}},
    ))
    server.admin("clock", {"advance_seconds": 3600})
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)  # keeps its policies, restarts the period
    server.admin("clock", {"advance_seconds": 3600 + 60})
    assert [kind for kind, _ in outbox(server, name)] == ["Parameter Store Change", "Parameter Store Change"]
    server.admin("clock", {"advance_seconds": 3600})
    kinds = [(kind, detail.get("policy-type") or detail.get("operation")) for kind, detail in outbox(server, name)]
    assert kinds == [("Parameter Store Change", "Create"), ("Parameter Store Change", "Update"),
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


def test_changes_and_labels_are_events(server, ssm):
    name = unique()
    ssm.put_parameter(Name=name, Value="v1", Type="String", Description="watched")
    ssm.put_parameter(Name=name, Value="v2", Overwrite=True)
    ssm.label_parameter_version(Name=name, Labels=["live"])
    ssm.delete_parameter(Name=name)
    events = outbox(server, name)
    assert [detail["operation"] for _kind, detail in events] == ["Create", "Update", "LabelParameterVersion", "Delete"]
    assert events[0][1] == {"operation": "Create", "name": name, "type": "String", "description": "watched"}
