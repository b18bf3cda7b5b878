"""Resource policies name users and roles by unique id, as AWS binds them when a policy is saved.

A user or role created again under a deleted one's name is not the principal a secret policy, a key
policy or a trust policy names; a deleted principal's credentials stop working; the policy reads back
with the principal's ARN while it exists and with its unique id once it is deleted; a policy naming a
principal that does not exist is refused with each service's own error."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .conftest import Server
from .helpers import BOTH_DATABASES, refusal, two_worker_server, unique
from .kms_principals import create_account

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
INVALID_TOKEN = "The security token included in the request is invalid."
REFUSED_SESSION = ("UnrecognizedClientException", INVALID_TOKEN)


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def client(server: Server, service: str, credentials: dict[str, str] | None = None) -> Any:
    """A client signing as `credentials` (AccessKeyId, SecretAccessKey, SessionToken); the root without."""
    if credentials is None:
        return server.client(service)
    return boto3.client(
        service, endpoint_url=server.endpoint, region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"), config=Config(retries={"max_attempts": 1}),
    )


def refused(call: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
    """The (code, message) `call(*args, **kwargs)` is refused with."""
    code, message, _status = refusal(partial(call, *args, **kwargs))
    return code, message


@dataclass
class Identity:
    """A user, or a role and one of its sessions, with credentials to call as it."""

    kind: str  # "user" or "role"
    name: str
    arn: str  # the user's or the role's ARN: what a policy names
    unique_id: str  # AIDA... or AROA...
    caller: str  # the ARN refusals name: the user's, or the session's
    credentials: dict[str, str]


class Principals:
    """Makes users and roles of the account 000000000000 and deletes them, as its administrator would."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.iam = server.client("iam")
        self._assumer: dict[str, str] | None = None

    def _key(self, name: str) -> dict[str, str]:
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        return {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}

    def _assumer_key(self) -> dict[str, str]:
        """A user whose own policy lets it assume any role that trusts its account."""
        if self._assumer is None:
            name = unique("assumer")
            self.iam.create_user(UserName=name)
            self.iam.put_user_policy(UserName=name, PolicyName="assume", PolicyDocument=document(
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
            self._assumer = self._key(name)
        return self._assumer

    def user(self, name: str) -> Identity:
        user = self.iam.create_user(UserName=name)["User"]
        return Identity("user", name, user["Arn"], user["UserId"], user["Arn"], self._key(name))

    def role(self, name: str) -> Identity:
        trust = document({"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "sts:AssumeRole"})
        role = self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]
        session = client(self.server, "sts", self._assumer_key()).assume_role(RoleArn=role["Arn"],
                                                                               RoleSessionName="work")
        return Identity("role", name, role["Arn"], role["RoleId"], session["AssumedRoleUser"]["Arn"],
                        session["Credentials"])

    def create(self, kind: str, name: str) -> Identity:
        return self.user(name) if kind == "user" else self.role(name)

    def delete(self, identity: Identity) -> None:
        if identity.kind == "role":
            self.iam.delete_role(RoleName=identity.name)
            return
        for key in self.iam.list_access_keys(UserName=identity.name)["AccessKeyMetadata"]:
            self.iam.delete_access_key(UserName=identity.name, AccessKeyId=key["AccessKeyId"])
        for policy in self.iam.list_user_policies(UserName=identity.name)["PolicyNames"]:
            self.iam.delete_user_policy(UserName=identity.name, PolicyName=policy)
        self.iam.delete_user(UserName=identity.name)


def naming(body: dict[str, Any], arn: str, shown: str) -> dict[str, Any]:
    """`body` with `shown` wherever one of its Principal elements names `arn`."""
    copy = json.loads(json.dumps(body))
    for statement in copy["Statement"]:
        principal = statement.get("Principal")
        if isinstance(principal, dict) and principal.get("AWS") == arn:
            principal["AWS"] = shown
    return copy


class Guarded:
    """A resource whose policy names who may use it, in the account whose root `owner` holds the key of
    (000000000000 when None)."""

    def __init__(self, server: Server, owner: dict[str, str] | None = None) -> None:
        self.server = server
        self.owner = owner

    def policy(self, principal: str) -> str:
        raise NotImplementedError

    def create(self, principal: str) -> None:
        raise NotImplementedError

    def put(self, principal: str) -> None:
        raise NotImplementedError

    def use(self, identity: Identity) -> Any:
        raise NotImplementedError

    def read_back(self) -> dict[str, Any]:
        raise NotImplementedError

    def refusal_of(self, identity: Identity) -> tuple[str, str]:
        """AWS's refusal of `identity`, which the policy does not name (and no other policy lets in)."""
        raise NotImplementedError

    def invalid(self, principal: str) -> tuple[str, str]:
        """The service's refusal of a policy naming `principal`, which names no existing user or role."""
        raise NotImplementedError


class SecretPolicy(Guarded):
    def policy(self, principal: str) -> str:
        return document({"Sid": "Reader", "Effect": "Allow", "Principal": {"AWS": principal},
                         "Action": "secretsmanager:GetSecretValue", "Resource": "*"})

    def create(self, principal: str) -> None:
        self.sm = client(self.server, "secretsmanager", self.owner)
        options = {}
        if self.owner is not None:
            # Read from another account, a secret needs a key that account may decrypt with (its IAM policies decide).
            owner = client(self.server, "sts", self.owner).get_caller_identity()["Arn"]
            options["KmsKeyId"] = client(self.server, "kms", self.owner).create_key(Policy=document(
                {"Effect": "Allow", "Principal": {"AWS": owner}, "Action": "kms:*", "Resource": "*"},
                {"Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:Decrypt", "Resource": "*"},
            ))["KeyMetadata"]["Arn"]
        self.arn = self.sm.create_secret(Name=unique("guarded"), SecretString="the secret", **options)["ARN"]
        self.put(principal)

    def put(self, principal: str) -> None:
        self.sm.put_resource_policy(SecretId=self.arn, ResourcePolicy=self.policy(principal))

    def use(self, identity: Identity) -> Any:
        return client(self.server, "secretsmanager", identity.credentials).get_secret_value(SecretId=self.arn)

    def read_back(self) -> dict[str, Any]:
        return dict(json.loads(self.sm.get_resource_policy(SecretId=self.arn)["ResourcePolicy"]))

    def refusal_of(self, identity: Identity) -> tuple[str, str]:
        action = "secretsmanager:GetSecretValue"
        kind = "resource-based" if self.owner else "identity-based"  # across accounts the policy must allow
        return ("AccessDeniedException", f"User: {identity.caller} is not authorized to perform: {action} on "
                f"resource: {self.arn} because no {kind} policy allows the {action} action")

    def invalid(self, principal: str) -> tuple[str, str]:
        return "MalformedPolicyDocumentException", "This resource policy contains an unsupported principal."


class KeyPolicy(Guarded):
    def policy(self, principal: str) -> str:
        return document(
            {"Sid": "Owner", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "User", "Effect": "Allow", "Principal": {"AWS": principal}, "Action": "kms:Encrypt",
             "Resource": "*"},
        )

    def create(self, principal: str) -> None:
        self.kms = client(self.server, "kms", self.owner)
        self.arn = self.kms.create_key(Policy=self.policy(principal))["KeyMetadata"]["Arn"]

    def put(self, principal: str) -> None:
        self.kms.put_key_policy(KeyId=self.arn, PolicyName="default", Policy=self.policy(principal))

    def use(self, identity: Identity) -> Any:
        return client(self.server, "kms", identity.credentials).encrypt(KeyId=self.arn, Plaintext=b"x")

    def read_back(self) -> dict[str, Any]:
        return dict(json.loads(self.kms.get_key_policy(KeyId=self.arn, PolicyName="default")["Policy"]))

    def refusal_of(self, identity: Identity) -> tuple[str, str]:
        return ("AccessDeniedException", f"User: {identity.caller} is not authorized to perform: kms:Encrypt on "
                f"resource: {self.arn} because no identity-based policy allows the kms:Encrypt action")

    def invalid(self, principal: str) -> tuple[str, str]:
        return "MalformedPolicyDocumentException", "Policy contains a statement with one or more invalid principals."


class TrustPolicy(Guarded):
    def policy(self, principal: str) -> str:
        return document({"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"})

    def create(self, principal: str) -> None:
        self.iam = client(self.server, "iam", self.owner)
        self.name = unique("trusting")
        role = self.iam.create_role(RoleName=self.name, AssumeRolePolicyDocument=self.policy(principal))["Role"]
        self.arn = role["Arn"]

    def put(self, principal: str) -> None:
        self.iam.update_assume_role_policy(RoleName=self.name, PolicyDocument=self.policy(principal))

    def use(self, identity: Identity) -> Any:
        return client(self.server, "sts", identity.credentials).assume_role(RoleArn=self.arn, RoleSessionName="in")

    def read_back(self) -> dict[str, Any]:
        return dict(self.iam.get_role(RoleName=self.name)["Role"]["AssumeRolePolicyDocument"])

    def refusal_of(self, identity: Identity) -> tuple[str, str]:
        return ("AccessDenied",
                f"User: {identity.caller} is not authorized to perform: sts:AssumeRole on resource: {self.arn}")

    def invalid(self, principal: str) -> tuple[str, str]:
        if not principal.startswith("arn:"):  # a deleted principal's unique id, as a policy reads back
            return "MalformedPolicyDocument", "Invalid principal in policy"
        return "MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{principal}"'


GUARDED = {"secret policy": SecretPolicy, "key policy": KeyPolicy, "trust policy": TrustPolicy}


@pytest.mark.parametrize("kind", ["user", "role"])
@pytest.mark.parametrize("guarded", GUARDED.values(), ids=GUARDED.keys())
def test_a_principal_created_again_under_a_deleted_ones_name_is_not_the_one_the_policy_names(
    server: Server, kind: str, guarded: type[Guarded]
) -> None:
    principals = Principals(server)
    name = unique(kind)
    first = principals.create(kind, name)
    resource = guarded(server)
    resource.create(first.arn)
    written = resource.read_back()
    assert written["Statement"][-1]["Principal"] == {"AWS": first.arn}
    resource.use(first)

    principals.delete(first)
    # Read back, the policy shows what AWS shows of a deleted principal: its unique id.
    orphaned = naming(written, first.arn, first.unique_id)
    assert resource.read_back() == orphaned

    again = principals.create(kind, name)
    assert (again.arn, again.caller) == (first.arn, first.caller) and again.unique_id != first.unique_id
    assert refused(resource.use, again) == resource.refusal_of(again)
    assert resource.read_back() == orphaned

    # Naming the ARN again binds it to the principal that has it now.
    resource.put(again.arn)
    assert resource.read_back() == written
    resource.use(again)


def test_a_deleted_users_session_token_is_refused_also_once_its_name_is_taken_again(server: Server) -> None:
    principals = Principals(server)
    user = principals.user(unique("user"))
    secret = SecretPolicy(server)
    secret.create(user.arn)
    session = client(server, "sts", user.credentials).get_session_token(DurationSeconds=900)["Credentials"]
    as_session = client(server, "secretsmanager", session)
    assert client(server, "sts", session).get_caller_identity()["UserId"] == user.unique_id
    assert as_session.get_secret_value(SecretId=secret.arn)["SecretString"] == "the secret"

    principals.delete(user)
    assert refused(as_session.get_secret_value, SecretId=secret.arn) == REFUSED_SESSION
    assert refused(client(server, "sts", session).get_caller_identity) == ("InvalidClientTokenId", INVALID_TOKEN)
    principals.user(user.name)
    assert refused(as_session.get_secret_value, SecretId=secret.arn) == REFUSED_SESSION


def test_a_deleted_roles_sessions_are_refused_also_once_its_name_is_taken_again(server: Server) -> None:
    principals = Principals(server)
    role = principals.role(unique("role"))
    key = KeyPolicy(server)
    key.create(role.arn)
    key.use(role)
    as_session = client(server, "kms", role.credentials)

    principals.delete(role)
    assert refused(as_session.encrypt, KeyId=key.arn, Plaintext=b"x") == REFUSED_SESSION
    again = principals.role(role.name)
    assert refused(as_session.encrypt, KeyId=key.arn, Plaintext=b"x") == REFUSED_SESSION
    assert refused(key.use, again) == key.refusal_of(again)


def test_a_renamed_user_keeps_what_a_policy_gave_it_and_the_policy_shows_its_new_arn(server: Server) -> None:
    principals = Principals(server)
    user = principals.user(unique("user"))
    secret = SecretPolicy(server)
    secret.create(user.arn)
    written = secret.read_back()
    renamed = unique("renamed")
    principals.iam.update_user(UserName=user.name, NewUserName=renamed, NewPath="/moved/")
    assert secret.read_back() == naming(written, user.arn, f"arn:aws:iam::{ACCOUNT}:user/moved/{renamed}")
    assert secret.use(user)["SecretString"] == "the secret"

    # A new user under the old name and path is not the one the policy names.
    again = principals.user(user.name)
    assert again.arn == user.arn
    assert refused(secret.use, again) == secret.refusal_of(again)


def test_a_key_policy_reads_back_as_written_while_its_principals_exist(server: Server) -> None:
    user = Principals(server).user(unique("user"))
    kms = server.client("kms")
    written = ('{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n    "Sid" : "Owner",\n    "Effect" : "Allow",\n'
               f'    "Principal" : {{ "AWS" : [ "{ROOT}", "{user.arn}" ] }},\n    "Action" : "kms:*",\n'
               '    "Resource" : "*"\n  } ]\n}')
    key_id = kms.create_key(Policy=written)["KeyMetadata"]["KeyId"]
    assert kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"] == written


@pytest.mark.parametrize("kind", ["user", "role"])
def test_a_policy_naming_a_principal_that_does_not_exist_is_refused_with_each_services_error(
    server: Server, kind: str
) -> None:
    principals = Principals(server)
    existing = principals.create(kind, unique(kind))
    deleted = principals.create(kind, unique(kind))
    principals.delete(deleted)
    never = f"arn:aws:iam::{ACCOUNT}:{kind}/never-{secrets.token_hex(4)}"
    resources = [SecretPolicy(server), KeyPolicy(server), TrustPolicy(server)]
    for resource in resources:
        resource.create(existing.arn)
    kept = [resource.read_back() for resource in resources]
    events = server.client("events")
    bus = unique("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    bus_policy = document({"Sid": "Put", "Effect": "Allow", "Principal": {"AWS": existing.arn},
                           "Action": "events:PutEvents", "Resource": bus_arn})
    events.put_permission(EventBusName=bus, Policy=bus_policy)

    # One that never existed, one that did, and a deleted one's unique id as its policies read back.
    for principal in (never, deleted.arn, deleted.unique_id):
        for resource in resources:
            assert refused(resource.put, principal) == resource.invalid(principal)
        key, trust = resources[1], resources[2]
        assert refused(server.client("kms").create_key, Policy=key.policy(principal)) == key.invalid(principal)
        assert refused(server.client("iam").create_role, RoleName=unique("never"),
                       AssumeRolePolicyDocument=trust.policy(principal)) == trust.invalid(principal)
        assert refused(events.put_permission, EventBusName=bus, Policy=bus_policy.replace(existing.arn, principal)) \
            == ("ValidationException", f"The policy is not valid: {trust.invalid(principal)[1]}")

    assert [resource.read_back() for resource in resources] == kept
    assert json.loads(events.describe_event_bus(Name=bus)["Policy"]) == json.loads(bus_policy)


def test_an_event_bus_policy_shows_a_deleted_principals_unique_id(server: Server) -> None:
    principals = Principals(server)
    user = principals.user(unique("user"))
    events = server.client("events")
    bus = unique("bus")
    statement = {"Sid": "User", "Effect": "Allow", "Principal": {"AWS": user.arn}, "Action": "events:PutEvents",
                 "Resource": events.create_event_bus(Name=bus)["EventBusArn"]}
    events.put_permission(EventBusName=bus, Policy=document(statement))
    # A statement added for an account leaves the user's binding as it was.
    events.put_permission(EventBusName=bus, Action="events:PutEvents", Principal="111122223333", StatementId="Acct")
    described = json.loads(events.describe_event_bus(Name=bus)["Policy"])
    assert described["Statement"][0] == statement and described["Statement"][1]["Sid"] == "Acct"

    principals.delete(user)
    shown = json.loads(events.describe_event_bus(Name=bus)["Policy"])
    assert shown == naming(described, user.arn, user.unique_id)
    listed = events.list_event_buses(NamePrefix=bus)["EventBuses"]
    assert [json.loads(entry["Policy"]) for entry in listed] == [shown]


@pytest.fixture(scope="module")
def other_account(server: Server, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """A second account on the same installation, made as operators make one: (account id, its root key)."""
    account_id = "".join(secrets.choice("0123456789") for _ in range(12))
    key = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = secrets.token_hex(20)
    create_account(server, account_id, key, secret, tmp_path_factory.mktemp("admin"))
    return account_id, {"AccessKeyId": key, "SecretAccessKey": secret}


@pytest.mark.parametrize("guarded", [SecretPolicy, TrustPolicy], ids=["secret policy", "trust policy"])
def test_a_policy_of_another_account_binds_the_principal_it_names_in_this_one(
    server: Server, other_account: tuple[str, dict[str, str]], guarded: type[Guarded]
) -> None:
    other_id, other_root = other_account
    principals = Principals(server)
    reach = document({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt", "sts:AssumeRole"],
                      "Resource": "*"})
    name = unique("user")
    user = principals.user(name)
    principals.iam.put_user_policy(UserName=name, PolicyName="reach", PolicyDocument=reach)
    resource = guarded(server, other_root)
    resource.create(user.arn)
    written = resource.read_back()
    resource.use(user)

    principals.delete(user)
    again = principals.user(name)
    principals.iam.put_user_policy(UserName=name, PolicyName="reach", PolicyDocument=reach)
    assert refused(resource.use, again) == resource.refusal_of(again)
    assert resource.read_back() == naming(written, user.arn, user.unique_id)

    # The owner's own principals must exist too, and so must the account a principal belongs to.
    for missing in (f"arn:aws:iam::{other_id}:user/nobody", "arn:aws:iam::999999999999:user/nobody"):
        assert refused(resource.put, missing) == resource.invalid(missing)
    resource.put(again.arn)
    resource.use(again)


# --- two workers: no remembered decision outlives the principal it was made for ---

TIMES = 12  # a new client is a new connection: spread over both workers


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def two_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from two_worker_server(request, tmp_path_factory, "principal-ids")


@pytest.mark.parametrize("kind", ["user", "role"])
def test_no_worker_reuses_a_decision_made_for_a_deleted_or_recreated_principal(two_workers: Server, kind: str) -> None:
    server = two_workers
    principals = Principals(server)
    name = unique(kind)
    first = principals.create(kind, name)
    key, secret = KeyPolicy(server), SecretPolicy(server)
    key.create(first.arn)
    secret.create(first.arn)
    # Credentials that outlive the principal: a user's session token, or the role's session.
    stale = first.credentials
    if kind == "user":
        stale = client(server, "sts", first.credentials).get_session_token(DurationSeconds=900)["Credentials"]
    for _ in range(TIMES):
        key.use(first)
        secret.use(first)
        client(server, "kms", stale).encrypt(KeyId=key.arn, Plaintext=b"x")

    principals.delete(first)
    again = principals.create(kind, name)
    for _ in range(TIMES):
        assert refused(key.use, again) == key.refusal_of(again)
        assert refused(secret.use, again) == secret.refusal_of(again)
        assert refused(client(server, "kms", stale).encrypt, KeyId=key.arn, Plaintext=b"x") == REFUSED_SESSION
