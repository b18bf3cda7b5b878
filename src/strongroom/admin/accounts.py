"""POST /_strongroom/accounts: the operator creates an account over HTTP, as `strongroom admin create-account` does.

Only the root of the default account may call it, with a SigV4-signed request (service name
"strongroom", any region). The answer carries the new account's root secret once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import orjson

from strongroom.auth.failures import AuthFailure
from strongroom.auth.sigv4 import read_claim, verify
from strongroom.bootstrap import DEFAULT_ACCOUNT_ID, create_account
from strongroom.runtime import Runtime
from strongroom.wire.http import HttpRequest, HttpResponse

SIGNING_NAME = "strongroom"


def _json(status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, [("Content-Type", "application/json")], orjson.dumps(body))


def _refused(message: str) -> HttpResponse:
    return _json(403, {"error": "AccessDenied", "message": message})


def _operator_account(runtime: Runtime) -> str:
    return runtime.settings.account_id or DEFAULT_ACCOUNT_ID


async def create_account_route(runtime: Runtime, request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _json(405, {"error": "MethodNotAllowed", "message": "POST a JSON body to create an account"})
    try:
        claim = read_claim(request)
        if claim is None:
            return _refused("Missing Authentication Token")
        if claim.service != SIGNING_NAME:
            return _refused(f"Credential should be scoped to correct service: '{SIGNING_NAME}'.")
        found = await asyncio.to_thread(runtime.credentials.lookup, claim.access_key_id)
        if found is None:
            return _refused("The security token included in the request is invalid.")
        principal, secret = found
        verify(request, claim, secret, now=datetime.now(UTC))
    except AuthFailure as failure:
        return _refused(failure.message)
    if not (principal.is_root and principal.account_id == _operator_account(runtime)):
        return _refused(f"User: {principal.arn} may not create accounts: only the root of the operator's "
                        f"account {_operator_account(runtime)} may.")
    try:
        body = orjson.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        fields = {name: body.get(name) for name in ("AccountId", "AccessKeyId", "SecretAccessKey")}
        for name, value in fields.items():
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
        account_id, access_key_id, secret_access_key = await asyncio.to_thread(
            create_account, runtime.database, runtime.credentials, runtime.clock,
            account_id=fields["AccountId"], access_key_id=fields["AccessKeyId"],
            secret_access_key=fields["SecretAccessKey"],
        )
    except (ValueError, orjson.JSONDecodeError) as exc:
        return _json(400, {"error": "InvalidInput", "message": str(exc)})
    return _json(200, {"AccountId": account_id, "AccessKeyId": access_key_id, "SecretAccessKey": secret_access_key})
