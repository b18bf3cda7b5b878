"""Who sent this request: the SigV4 claim checked against the access key it names."""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.model import ServiceModel

from strongroom.auth.failures import AuthFailure, AuthFailureKind
from strongroom.auth.sigv4 import SigV4Claim, verify
from strongroom.context import RequestContext
from strongroom.regions import is_region


def authenticate(ctx: RequestContext, model: ServiceModel, claim: SigV4Claim | None) -> None:
    """Set `ctx.principal` and `ctx.region` from a verified signature, or raise AuthFailure."""
    if claim is None:
        raise AuthFailure(AuthFailureKind.MISSING_TOKEN, "Missing Authentication Token")
    if not is_region(claim.region):
        raise AuthFailure(AuthFailureKind.INVALID_REGION, "Credential should be scoped to a valid region.")
    if claim.service != model.signing_name:
        raise AuthFailure(
            AuthFailureKind.INCOMPLETE_SIGNATURE,
            f"Credential should be scoped to correct service: '{model.signing_name}'.",
        )
    assert ctx.runtime is not None
    found = ctx.runtime.credentials.lookup(claim.access_key_id)
    if found is None:
        raise AuthFailure(AuthFailureKind.UNKNOWN_ACCESS_KEY, "The security token included in the request is invalid.")
    principal, secret = found
    # Request signing is checked against real time: a client signs with its own clock.
    verify(ctx.request, claim, secret, now=datetime.now(UTC))
    ctx.principal = principal
    ctx.region = claim.region
