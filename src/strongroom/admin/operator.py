"""Who may call the operator's endpoints (accounts, reset, clock): the root of the operator's account.

The request is SigV4-signed with service name "strongroom" (any region) by a root access key of the
operator's account (`--account-id`, else 000000000000). Developer mode (`serve --dev`), whose data is
throwaway and whose clients (LocalStack's and moto's) reset it unsigned, lets reset and clock calls
through unsigned; a signed one is still checked. Every call admitted is named by an `OperatorCall`,
which its route records in CloudTrail with the change it makes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson

from strongroom.audit.operator import DEFAULT_REGION, OperatorCall
from strongroom.audit.record import random_uuid
from strongroom.auth.failures import AuthFailure
from strongroom.auth.sigv4 import read_claim, verify
from strongroom.bootstrap import DEFAULT_ACCOUNT_ID
from strongroom.runtime import Runtime
from strongroom.wire.http import HttpRequest, HttpResponse

SIGNING_NAME = "strongroom"


def admin_json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


def refused(message: str) -> HttpResponse:
    return admin_json(403, {"error": "AccessDenied", "message": message})


def operator_account(runtime: Runtime) -> str:
    return runtime.settings.account_id or DEFAULT_ACCOUNT_ID


async def admit_operator(runtime: Runtime, request: HttpRequest, source_ip: str, action: str, *,
                         unsigned_in_dev: bool = False) -> OperatorCall | HttpResponse:
    """The caller, when it is the operator's root (or, with `unsigned_in_dev` on a --dev server, an
    unsigned request); otherwise the 403 to answer. `action` words the refusal."""
    account = operator_account(runtime)
    user_agent = request.headers.get("user-agent") or ""
    try:
        claim = read_claim(request)
        if claim is None:
            if unsigned_in_dev and runtime.settings.developer_mode:
                return OperatorCall(account, None, source_ip=source_ip, user_agent=user_agent,
                                    request_id=random_uuid())
            return refused("Missing Authentication Token")
        if claim.service != SIGNING_NAME:
            return refused(f"Credential should be scoped to correct service: '{SIGNING_NAME}'.")
        found = await asyncio.to_thread(runtime.credentials.lookup, claim.access_key_id)
        if found is None:
            return refused("The security token included in the request is invalid.")
        principal, secret = found
        verify(request, claim, secret, now=datetime.now(UTC))
    except AuthFailure as failure:
        return refused(failure.message)
    if not (principal.is_root and principal.account_id == account):
        return refused(f"User: {principal.arn} may not {action}: only the root of the operator's "
                       f"account {account} may.")
    return OperatorCall(account, principal, region=claim.region or DEFAULT_REGION, source_ip=source_ip,
                        user_agent=user_agent, request_id=random_uuid())
