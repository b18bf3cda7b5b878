"""POST /_strongroom/accounts: the operator creates an account over HTTP, as `strongroom admin create-account` does.

Only the root of the operator's account may call it (`admin.operator`), even in developer mode. The
answer carries the new account's root secret once, unless the operator supplied it (then it is never
sent back). The call is recorded in CloudTrail (CreateAccount, without any secret) with the account.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from strongroom.admin.operator import admin_json, admit_operator
from strongroom.bootstrap import create_account
from strongroom.runtime import Runtime
from strongroom.wire.http import HttpRequest, HttpResponse


async def create_account_route(runtime: Runtime, request: HttpRequest, source_ip: str) -> HttpResponse:
    if request.method != "POST":
        return admin_json(405, {"error": "MethodNotAllowed", "message": "POST a JSON body to create an account"})
    caller = await admit_operator(runtime, request, source_ip, "create accounts")
    if isinstance(caller, HttpResponse):
        return caller
    try:
        body = orjson.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        fields: dict[str, Any] = {name: body.get(name) for name in ("AccountId", "AccessKeyId", "SecretAccessKey")}
        for name, value in fields.items():
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be a string")
        account_id, access_key_id, secret_access_key = await asyncio.to_thread(
            create_account, runtime.database, runtime.credentials, runtime.clock,
            account_id=fields["AccountId"], access_key_id=fields["AccessKeyId"],
            secret_access_key=fields["SecretAccessKey"], audit=caller,
        )
    except (ValueError, orjson.JSONDecodeError) as exc:
        return admin_json(400, {"error": "InvalidInput", "message": str(exc)})
    answer = {"AccountId": account_id, "AccessKeyId": access_key_id}
    if fields["SecretAccessKey"] is None:
        answer["SecretAccessKey"] = secret_access_key
    return admin_json(200, answer)
