"""The Secrets Manager plugin object and its authorizer: a secret's own resource policy takes part.

For an operation on a secret, the identity policies of the caller and the secret's resource policy
(if it has one) are weighed together by the policy engine; a caller from another account needs both,
as AWS requires. A SecretId that names no secret is authorized on the ARN it would have, and the
handler then answers ResourceNotFoundException. The secret is found through the worker's read cache
(see read_cache), and the handler sees the same one.
"""

from __future__ import annotations

from typing import Any

from strongroom.auth.authorize import authorize
from strongroom.auth.policy import PolicyDocument, PolicyKind
from strongroom.auth.policy.principals import Bindings
from strongroom.context import RequestContext
from strongroom.regions import arn
from strongroom.services.base import Operation, Service
from strongroom.services.secretsmanager.read_cache import StoredSecret, secret_of
from strongroom.services.secretsmanager.store import owner_of

MAX_POLICY_CHARACTERS = 20480


def policy_document(text: str, bindings: Bindings | None = None) -> PolicyDocument:
    """A resource policy; a saved one with its principals' `bindings` (see strongroom.auth.policy.binding)."""
    return PolicyDocument.parse(text, kind=PolicyKind.RESOURCE, max_size=MAX_POLICY_CHARACTERS, bindings=bindings)


def resource_policy(secret: StoredSecret | None) -> PolicyDocument | None:
    """The secret's resource policy as evaluation weighs it; None without one."""
    if secret is None or not secret.policy:
        return None
    return policy_document(secret.policy, secret.principals)


def _unnamed_resource(ctx: RequestContext, params: dict[str, Any]) -> str:
    name = params.get("Name")
    if name is None:
        return "*"
    return arn("secretsmanager", ctx.region, ctx.account_id, f"secret:{name}")


def authorize_call(ctx: RequestContext, operation: Operation, params: dict[str, Any]) -> None:
    secret_id = params.get("SecretId")
    if secret_id is None:
        authorize(ctx, operation.action, [_unnamed_resource(ctx, params)])
        return
    owner = owner_of(ctx, secret_id)
    secret = secret_of(ctx, secret_id)
    resource = secret.arn if secret is not None else arn(
        "secretsmanager", ctx.region, owner, f"secret:{secret_id.rsplit(':', 1)[-1]}"
    )
    authorize(ctx, operation.action, [resource], resource_policy=resource_policy(secret), resource_account=owner)


service = Service("secretsmanager", authorizer=authorize_call)

# GetSecretValue reads from the worker's read cache (a few primary-key reads on a miss), has KMS decrypt
# the data key (KMS's own key cache), and leaves its once-a-day access write to the audit batch on
# SQLite (see access): there it runs on the event loop, saving two thread hand-offs.
service.inline_operations = frozenset({"GetSecretValue"})
