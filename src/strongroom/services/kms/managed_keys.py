"""AWS managed keys (`alias/aws/<service>`): one per account, region and service, made on first use.

They are symmetric keys with KeyManager AWS, rotated every year, whose policy (AWS's managed-key
policy) lets the account's principals use them only through their service (kms:ViaService and
kms:CallerAccount) and lets the account read their metadata; nothing else, so customers cannot
delete, disable or re-policy them: KMS answers AccessDeniedException from the policy, as AWS does.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import partition_of
from strongroom.services.kms import states
from strongroom.services.kms.crypto.material import generate_material
from strongroom.services.kms.keys import new_material_id
from strongroom.services.kms.store import CURRENT, key_arn, seal_material, transaction
from strongroom.services.kms.tables import KmsAlias, KmsKey, KmsKeyMaterial

MANAGED_PREFIX = "alias/aws/"
ROTATION_DAYS = 365
_SERVICE_NAME = re.compile(r"[a-z0-9-]{1,64}")
# How AWS names its services in the managed keys' descriptions.
_SERVICE_TITLES = {"ssm": "SSM Parameters", "secretsmanager": "Secrets Manager data"}
_USE_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant",
                "kms:DescribeKey"]
_METADATA_ACTIONS = ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"]


def service_of(service_alias: str) -> str:
    name = service_alias.removeprefix(MANAGED_PREFIX)
    if not service_alias.startswith(MANAGED_PREFIX) or _SERVICE_NAME.fullmatch(name) is None:
        raise ServiceError("NotFoundException", f"Alias {service_alias} is not an AWS managed key alias.")
    return name


def managed_key_policy(account_id: str, region: str, service_name: str) -> str:
    """AWS's policy for the managed key of `service_name`."""
    root = f"arn:{partition_of(region)}:iam::{account_id}:root"
    return json.dumps({
        "Version": "2012-10-17",
        "Id": f"auto-{service_name}-1",
        "Statement": [
            {
                "Sid": f"Allow access through {service_name} for all principals in the account that are authorized "
                       f"to use {service_name}",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": _USE_ACTIONS,
                "Resource": "*",
                "Condition": {"StringEquals": {
                    "kms:CallerAccount": account_id,
                    "kms:ViaService": f"{service_name}.{region}.amazonaws.com",
                }},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": _METADATA_ACTIONS,
                "Resource": "*",
            },
        ],
    })


def _existing(ctx: RequestContext, service_alias: str) -> KmsKey | None:
    with transaction(ctx) as session:
        alias = session.get(KmsAlias, (ctx.account_id, ctx.region, service_alias))
        if alias is None:
            return None
        return session.get(KmsKey, (ctx.account_id, ctx.region, alias.key_id))


def _create(ctx: RequestContext, service_alias: str, service_name: str) -> KmsKey:
    key_id = str(uuid.uuid4())
    now = ctx.clock.now()
    title = _SERVICE_TITLES.get(service_name, f"{service_name} data")
    key = KmsKey(
        account_id=ctx.account_id, region=ctx.region, key_id=key_id, arn=key_arn(ctx.region, ctx.account_id, key_id),
        key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT", origin="AWS_KMS", key_manager="AWS",
        description=f"Default key that protects my {title} when no other key is defined",
        state=states.ENABLED, created_at=now, multi_region=False,
        policy=managed_key_policy(ctx.account_id, ctx.region, service_name),
        rotation_period_days=ROTATION_DAYS, next_rotation_at=now + timedelta(days=ROTATION_DAYS),
    )
    material_id = new_material_id()
    with transaction(ctx) as session:
        session.add(key)
        session.add(KmsKeyMaterial(
            account_id=ctx.account_id, region=ctx.region, key_id=key_id, material_id=material_id,
            sealed_material=seal_material(ctx, key, material_id, generate_material("SYMMETRIC_DEFAULT")),
            created_at=now, state=CURRENT,
        ))
        session.add(KmsAlias(account_id=ctx.account_id, region=ctx.region, alias_name=service_alias,
                             key_id=key_id, created_at=now, updated_at=now))
    return key


def managed_key(ctx: RequestContext, service_alias: str) -> KmsKey:
    """The AWS managed key `service_alias` names in the caller's account and region, made if it is missing."""
    service_name = service_of(service_alias)
    key = _existing(ctx, service_alias)
    if key is not None:
        return key
    try:
        return _create(ctx, service_alias, service_name)
    except IntegrityError:
        # Another request made it meanwhile: the alias is unique, so theirs is the one.
        key = _existing(ctx, service_alias)
        if key is None:
            raise
        return key
