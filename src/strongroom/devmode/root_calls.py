"""Calling a service's operation handler as an account's root user, from inside the server.

Seeding goes through the same handlers (and the same input validation) as a client's call, so what
it creates is exactly what the API would have created. It is the operator's own act, so it is
neither authorized against policies nor audited.
"""

from __future__ import annotations

import uuid
from typing import Any

from strongroom.auth.principal import Principal, root_arn
from strongroom.bootstrap import ROOT_PRINCIPAL_TYPE
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.runtime import Runtime
from strongroom.wire.http import Headers, HttpRequest
from strongroom.wire.validate import validate_input

USER_AGENT = "strongroom-seed"


class RootCaller:
    def __init__(self, runtime: Runtime, account_id: str) -> None:
        self.runtime = runtime
        self.principal = Principal(
            account_id=account_id,
            arn=root_arn(account_id),
            user_id=account_id,
            type=ROOT_PRINCIPAL_TYPE,
            access_key_id="",
        )

    def serves(self, service: str) -> bool:
        return service in self.runtime.services

    def call(self, service: str, operation: str, params: dict[str, Any], region: str) -> dict[str, Any]:
        plugin = self.runtime.services[service]
        handler = plugin.operations.get(operation)
        if handler is None:
            raise ServiceError("NotImplemented", f"{service} does not serve {operation} yet")
        model = plugin.model
        operation_model = model.operation_model(operation)
        validate_input(model, operation_model, params)
        ctx = RequestContext(
            request_id=str(uuid.uuid4()),
            request=HttpRequest(method="POST", path="/", headers=Headers([("User-Agent", USER_AGENT)])),
            clock=self.runtime.clock,
            received_at=self.runtime.clock.now(),
            user_agent=USER_AGENT,
            service=model,
            operation=operation_model,
            region=region,
            principal=self.principal,
            params=params,
            runtime=self.runtime,
        )
        return handler.handler(ctx, params)

    def exists(self, service: str, operation: str, params: dict[str, Any], region: str, missing: str) -> bool:
        """Whether a read finds the resource: False when it answers the `missing` error code."""
        try:
            self.call(service, operation, params, region)
        except ServiceError as error:
            if error.code == missing:
                return False
            raise
        return True
