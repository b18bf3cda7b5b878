"""Who sent this request: the SigV4 claim checked against the access key it names.

Long-term keys come from the credential store. Temporary credentials (an access key id issued by
STS, presented with its session token in X-Amz-Security-Token) come from the session store: the
token must match, the signature must verify with the session's secret, and the session must not
have expired on the server's business clock.

Credentials act as one user or role, the very one (its unique id) they were issued to: once it is
deleted they are refused as invalid, also when a user or role is created again under its name. A
user's access keys are deleted before it can be, but a worker may still hold one for a few
seconds (see `CredentialStore`); sessions are issued for their whole duration, and AWS documents no
revocation with the principal, so they are refused rather than left with what resource policies
naming the principal's unique id gave it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from botocore.model import ServiceModel

from strongroom.auth.authorize import principal_exists
from strongroom.auth.failures import INVALID_CREDENTIALS_TEXT, AuthFailure, AuthFailureKind
from strongroom.auth.principal import Principal
from strongroom.auth.sessions import ACCESS_KEY_PREFIX, session_store
from strongroom.auth.sigv4 import SigV4Claim, verify
from strongroom.context import RequestContext
from strongroom.regions import is_region

# GetSessionToken credentials may not call IAM without MFA, and AWS answers such calls as if the
# token were invalid; Strongroom has no MFA devices, so they never may.
_CLOSED_TO_USER_SESSIONS = frozenset({"iam"})


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
    if claim.security_token is not None or claim.access_key_id.startswith(ACCESS_KEY_PREFIX):
        principal = _session_principal(ctx, model, claim)
        gone = AuthFailureKind.INVALID_TOKEN
    else:
        found = ctx.runtime.credentials.lookup(claim.access_key_id)
        if found is None:
            raise AuthFailure(AuthFailureKind.UNKNOWN_ACCESS_KEY, INVALID_CREDENTIALS_TEXT)
        principal, secret = found
        # Request signing is checked against real time: a client signs with its own clock.
        verify(ctx.request, claim, secret, now=datetime.now(UTC))
        gone = AuthFailureKind.UNKNOWN_ACCESS_KEY
    if not principal.is_root and not principal_exists(ctx, principal):
        raise AuthFailure(gone, INVALID_CREDENTIALS_TEXT)
    ctx.principal = principal
    ctx.region = claim.region


def _session_principal(ctx: RequestContext, model: ServiceModel, claim: SigV4Claim) -> Principal:
    assert ctx.runtime is not None
    found = session_store(ctx.runtime).lookup(claim.access_key_id, claim.security_token, ctx.clock.now())
    if found is None:
        # A long-term key sent with a token, or a session key no session has.
        raise AuthFailure(AuthFailureKind.INVALID_TOKEN, INVALID_CREDENTIALS_TEXT)
    principal, secret = found
    verify(ctx.request, claim, secret, now=datetime.now(UTC))
    if principal.role_arn is None and model.service_name in _CLOSED_TO_USER_SESSIONS:
        raise AuthFailure(AuthFailureKind.INVALID_TOKEN, INVALID_CREDENTIALS_TEXT)
    return principal
