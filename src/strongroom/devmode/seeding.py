"""Applying a seed: every declared thing is created unless it exists already, so a restart of a kept
data dir (or a reset) applies the same file again without duplicates or errors.

Accounts and access keys with chosen credentials go through the credential store (the APIs only
make random ones); everything else goes through the services' own handlers (see root_calls).
"""

from __future__ import annotations

import hmac
import uuid
from typing import Any

from strongroom.auth.credentials import CredentialError
from strongroom.bootstrap import ROOT_PRINCIPAL_TYPE, BootstrapError, create_account
from strongroom.devmode.root_calls import RootCaller
from strongroom.devmode.seed_file import (
    AccessKeySeed,
    AccountSeed,
    KmsKeySeed,
    ParameterSeed,
    SecretSeed,
    Seed,
    SeedError,
    UserSeed,
)
from strongroom.errors import ServiceError
from strongroom.runtime import Runtime
from strongroom.store.tables import AccessKey, Account

IAM_USER = "IAMUser"
IAM_REGION = "us-east-1"


def apply_seed(runtime: Runtime, seed: Seed, default_account_id: str) -> None:
    _refuse_unserved(runtime, seed)
    for account in seed.accounts:
        account_id = account.account_id or default_account_id
        where = f"account {account_id}"
        try:
            if account.account_id is not None and account.root_access_key is not None:
                _ensure_account(runtime, account.account_id, account.root_access_key)
            _apply_contents(RootCaller(runtime, account_id), account)
        except ServiceError as error:
            raise SeedError(f"seeding {where}: {error.code}: {error.message}") from None
        except (BootstrapError, CredentialError) as error:
            raise SeedError(f"seeding {where}: {error}") from None


def _refuse_unserved(runtime: Runtime, seed: Seed) -> None:
    """Parameters and secrets need their services: say so before anything is created."""
    wanted = {
        "ssm": ("SSM parameters", any(account.parameters for account in seed.accounts)),
        "secretsmanager": ("Secrets Manager secrets", any(account.secrets for account in seed.accounts)),
    }
    for service, (what, used) in wanted.items():
        if used and service not in runtime.services:
            raise SeedError(f"{what} in a seed file are not supported yet: this server does not serve {service}")


def _apply_contents(caller: RootCaller, account: AccountSeed) -> None:
    for user in account.users:
        _ensure_user(caller, user)
    for key in account.kms_keys:
        _ensure_kms_key(caller, key)
    for parameter in account.parameters:
        _ensure_parameter(caller, parameter)
    for secret in account.secrets:
        _ensure_secret(caller, secret)


def _ensure_account(runtime: Runtime, account_id: str, root_key: AccessKeySeed) -> None:
    with runtime.database.session() as session:
        exists = session.get(Account, account_id) is not None
    if not exists:
        create_account(runtime.database, runtime.credentials, runtime.clock, account_id=account_id,
                       access_key_id=root_key.access_key_id, secret_access_key=root_key.secret_access_key)
        return
    _ensure_access_key(runtime, account_id, root_key, principal_type=ROOT_PRINCIPAL_TYPE,
                       principal_arn=f"arn:aws:iam::{account_id}:root", principal_id=account_id, user_name=None)


def _ensure_access_key(
    runtime: Runtime,
    account_id: str,
    key: AccessKeySeed,
    *,
    principal_type: str,
    principal_arn: str,
    principal_id: str,
    user_name: str | None,
) -> None:
    with runtime.database.session(writes=True) as session:
        row = session.get(AccessKey, key.access_key_id)
        if row is None:
            runtime.credentials.create_access_key(
                session, account_id=account_id, principal_type=principal_type, principal_arn=principal_arn,
                principal_id=principal_id, user_name=user_name, access_key_id=key.access_key_id,
                secret_access_key=key.secret_access_key, now=runtime.clock.now(),
            )
            return
        owner = (row.account_id, row.principal_type, row.principal_id)
    if owner != (account_id, principal_type, principal_id):
        raise SeedError(f"the access key {key.access_key_id} already belongs to someone else")
    found = runtime.credentials.lookup(key.access_key_id)
    if found is None or not hmac.compare_digest(found[1].encode(), key.secret_access_key.encode()):
        # Never repeat either secret: only say that they differ.
        raise SeedError(f"the access key {key.access_key_id} exists with another secret (or is inactive)")


def _ensure_user(caller: RootCaller, user: UserSeed) -> None:
    if not caller.exists("iam", "GetUser", {"UserName": user.name}, IAM_REGION, "NoSuchEntity"):
        caller.call("iam", "CreateUser", {"UserName": user.name, "Path": user.path}, IAM_REGION)
    created = caller.call("iam", "GetUser", {"UserName": user.name}, IAM_REGION)["User"]
    for policy_name, document in user.policies.items():
        caller.call("iam", "PutUserPolicy",
                    {"UserName": user.name, "PolicyName": policy_name, "PolicyDocument": document}, IAM_REGION)
    for policy_arn in user.managed_policies:
        caller.call("iam", "AttachUserPolicy", {"UserName": user.name, "PolicyArn": policy_arn}, IAM_REGION)
    for key in user.access_keys:
        _ensure_access_key(caller.runtime, caller.principal.account_id, key, principal_type=IAM_USER,
                           principal_arn=created["Arn"], principal_id=created["UserId"], user_name=user.name)


def _ensure_kms_key(caller: RootCaller, key: KmsKeySeed) -> None:
    if caller.exists("kms", "DescribeKey", {"KeyId": key.alias}, key.region, "NotFoundException"):
        return
    params: dict[str, Any] = {"KeySpec": key.spec, "Description": key.description}
    if key.usage is not None:
        params["KeyUsage"] = key.usage
    if key.policy is not None:
        params["Policy"] = key.policy
    if key.bypass_policy_lockout_safety_check:
        params["BypassPolicyLockoutSafetyCheck"] = True
    if key.tags:
        params["Tags"] = [{"TagKey": k, "TagValue": v} for k, v in key.tags.items()]
    created = caller.call("kms", "CreateKey", params, key.region)
    caller.call("kms", "CreateAlias", {"AliasName": key.alias, "TargetKeyId": created["KeyMetadata"]["KeyId"]},
                key.region)


def _ensure_parameter(caller: RootCaller, parameter: ParameterSeed) -> None:
    if caller.exists("ssm", "GetParameter", {"Name": parameter.name}, parameter.region, "ParameterNotFound"):
        return
    params: dict[str, Any] = {"Name": parameter.name, "Value": parameter.value, "Type": parameter.type}
    if parameter.description is not None:
        params["Description"] = parameter.description
    if parameter.key_id is not None:
        params["KeyId"] = parameter.key_id
    if parameter.tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in parameter.tags.items()]
    caller.call("ssm", "PutParameter", params, parameter.region)


def _ensure_secret(caller: RootCaller, secret: SecretSeed) -> None:
    if caller.exists("secretsmanager", "DescribeSecret", {"SecretId": secret.name}, secret.region,
                     "ResourceNotFoundException"):
        return
    # Clients send an idempotency token (the SDKs fill it in); so does the seed.
    params: dict[str, Any] = {"Name": secret.name, "SecretString": secret.value,
                              "ClientRequestToken": str(uuid.uuid4())}
    if secret.description is not None:
        params["Description"] = secret.description
    if secret.kms_key_id is not None:
        params["KmsKeyId"] = secret.kms_key_id
    if secret.tags:
        params["Tags"] = [{"Key": k, "Value": v} for k, v in secret.tags.items()]
    caller.call("secretsmanager", "CreateSecret", params, secret.region)
