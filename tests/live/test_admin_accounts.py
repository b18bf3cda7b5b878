"""POST /_strongroom/accounts: only the operator's root, SigV4-signed, creates accounts over HTTP."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import Server


def _create(server: Server, body: dict, **signing: str):
    return server.send("strongroom", json.dumps(body).encode(), path="/_strongroom/accounts",
                       headers={"Content-Type": "application/json"}, **signing)


def test_the_operator_creates_an_account_that_works_at_once(server: Server) -> None:
    account_id = f"5{uuid.uuid4().int % 10**11:011d}"
    reply = _create(server, {"AccountId": account_id})
    assert reply.status == 200, reply.body
    created = reply.json()
    assert created["AccountId"] == account_id
    assert created["AccessKeyId"].startswith("AKIA") and len(created["SecretAccessKey"]) == 40
    sts = server.client("sts", key=created["AccessKeyId"], secret=created["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account_id}:root"
    again = _create(server, {"AccountId": account_id})
    assert again.status == 400
    assert account_id in again.json()["message"]


def test_a_random_account_id_is_twelve_digits(server: Server) -> None:
    reply = _create(server, {})
    assert reply.status == 200
    assert len(reply.json()["AccountId"]) == 12 and reply.json()["AccountId"].isdigit()


@pytest.mark.parametrize("body", [{"AccountId": "12345"}, {"AccountId": 123456789012}, ["not", "an", "object"]])
def test_bad_input_is_refused(server: Server, body: object) -> None:
    reply = _create(server, body)  # type: ignore[arg-type]
    assert reply.status == 400
    assert reply.json()["error"] == "InvalidInput"


def test_only_the_operators_root_may_create_accounts(server: Server) -> None:
    unsigned = server.send("strongroom", b"{}", path="/_strongroom/accounts", sign=False)
    assert unsigned.status == 403
    wrong_secret = _create(server, {}, secret="not-the-secret-not-the-secret-not-the-se")
    assert wrong_secret.status == 403
    wrong_service = server.send("sts", b"{}", path="/_strongroom/accounts")
    assert wrong_service.status == 403
    iam = server.client("iam")
    name = f"operator-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    user = _create(server, {}, key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert user.status == 403
    assert "may not create accounts" in user.json()["message"]
    with pytest.raises(ClientError):
        server.client("sts", key="AKIANOTCREATED000000", secret="x" * 40).get_caller_identity()
