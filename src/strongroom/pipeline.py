"""The request flow, as stages read top to bottom: route, authenticate, parse, validate, authorize,
handle, audit, serialize. Nothing reaches a handler without passing SigV4 and authorization, and no
answer leaves before the call's audit record is durable.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import ServiceModel

from strongroom.audit.record import build_record, random_uuid
from strongroom.audit.writer import COMPANIONS
from strongroom.auth.authenticate import authenticate
from strongroom.auth.authorize import authorize
from strongroom.auth.failures import AuthFailure, auth_error
from strongroom.auth.sigv4 import SigV4Claim, read_claim
from strongroom.context import RequestContext
from strongroom.errors import InternalFailure, NotImplementedOperation, ServiceError
from strongroom.runtime import Runtime
from strongroom.services.base import Operation, Service
from strongroom.wire.http import HttpRequest, HttpResponse
from strongroom.wire.parse import parse_request
from strongroom.wire.serialize import serialize_error, serialize_response
from strongroom.wire.specs import load_service, protocol_of
from strongroom.wire.validate import validate_input

log = logging.getLogger("strongroom.request")


@dataclass
class Outcome:
    """What processing a request came to, before it is audited and serialized."""

    model: ServiceModel | None
    output: dict[str, Any] | None = None
    error: ServiceError | None = None
    plugin: Service | None = None
    operation: Operation | None = None
    audited: bool = False
    # Parsed and validated, waiting for authorization and the handler (see `prepare`).
    pending: tuple[Operation, dict[str, Any]] | None = None


class RequestPipeline:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.audit_listeners = [plugin.audit_listener for plugin in runtime.services.values() if plugin.audit_listener]
        # On SQLite, reads are local and never wait for writers (WAL): the stages up to the handler,
        # and the handlers of a service's `inline_operations`, run on the event loop, saving two
        # thread hand-offs per request; everything else runs on a worker thread as before.
        self._inline = runtime.database.dialect == "sqlite"
        # Listener work runs after the response; the tasks are kept so that they finish.
        self._background: set[asyncio.Future[None]] = set()

    async def handle(self, request: HttpRequest, source_ip: str) -> HttpResponse:
        ctx = RequestContext(
            request_id=random_uuid(),
            request=request,
            clock=self.runtime.clock,
            received_at=self.runtime.clock.now(),
            source_ip=source_ip,
            user_agent=request.headers.get("user-agent", ""),
            runtime=self.runtime,
            additional_audit=[],
        )
        if self._inline:
            outcome = self.prepare(ctx)
            if outcome.pending is not None:
                operation, params = outcome.pending
                outcome.pending = None
                if outcome.plugin is not None and operation.name in outcome.plugin.inline_operations:
                    self.decide_and_handle(ctx, outcome, operation, params)
                else:
                    await asyncio.to_thread(self.decide_and_handle, ctx, outcome, operation, params)
        else:
            outcome = await asyncio.to_thread(self.process, ctx)
        if outcome.audited and outcome.plugin is not None and outcome.operation is not None:
            record = build_record(
                ctx,
                event_source=outcome.plugin.event_source,
                read_only=outcome.operation.read_only,
                output=outcome.output,
                error=outcome.error,
            )
            try:
                await self._write_audit(ctx, record)
            except Exception:
                log.exception("audit record for request %s could not be stored", ctx.request_id)
                outcome.output, outcome.error = None, InternalFailure()
            else:
                self._notify_listeners(record)
        return self.respond(ctx, outcome)

    async def _write_audit(self, ctx: RequestContext, record: dict[str, Any]) -> None:
        """Commit the call's record with those of calls made on its behalf (all in the same batch)."""
        own = self.runtime.audit.write(record, ctx.extra.get(COMPANIONS, ()))
        if not ctx.additional_audit:
            await own
            return
        others = [self.runtime.audit.write(extra, companions) for extra, companions in ctx.additional_audit]
        await asyncio.gather(own, *others)

    def _notify_listeners(self, record: dict[str, Any]) -> None:
        for listener in self.audit_listeners:
            if listener.wants(record):
                task = asyncio.ensure_future(asyncio.to_thread(listener.receive, self.runtime, record))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    def process(self, ctx: RequestContext) -> Outcome:
        """Every stage up to the handler's answer, on a worker thread (handlers may block on the store)."""
        outcome = self.prepare(ctx)
        if outcome.pending is not None:
            operation, params = outcome.pending
            outcome.pending = None
            self.decide_and_handle(ctx, outcome, operation, params)
        return outcome

    def prepare(self, ctx: RequestContext) -> Outcome:
        """Route, authenticate, parse and validate; `pending` is set when authorization and the handler remain."""
        request = ctx.request
        try:
            claim = read_claim(request)
        except AuthFailure as failure:
            model = self.route(request, None)
            return Outcome(model, error=self._auth_error(model, failure))
        model = self.route(request, claim.service if claim else None)
        if model is None:
            return Outcome(None, error=self._unrouted(claim))
        ctx.service = model
        plugin = self.runtime.services.get(model.service_name)
        if plugin is None:
            return Outcome(model, error=ServiceError(
                "NotImplemented", f"The service {model.service_name} is not served by Strongroom.", status=501,
                sender_fault=False,
            ))
        try:
            authenticate(ctx, model, claim)
        except AuthFailure as failure:
            return Outcome(model, error=self._auth_error(model, failure))
        outcome = Outcome(model, plugin=plugin)
        try:
            operation_model, params = parse_request(model, request)
            ctx.operation = operation_model
            ctx.params = params
            operation = plugin.operations.get(operation_model.name)
            if operation is None:
                raise NotImplementedOperation(model.service_name, operation_model.name)
            outcome.operation, outcome.audited = operation, True
            validate_input(model, operation_model, params)
            outcome.pending = (operation, params)
        except ServiceError as error:
            # Kept without its traceback: its frames hold the request (body and all) and the outcome,
            # which holds it back, a cycle only the collector would free, long after the answer.
            outcome.error = error.with_traceback(None)
        except Exception:
            log.exception("request %s failed", ctx.request_id)
            outcome.error = InternalFailure()
        return outcome

    def decide_and_handle(
        self, ctx: RequestContext, outcome: Outcome, operation: Operation, params: dict[str, Any]
    ) -> None:
        """Authorize the call, then run its handler; the answer or error goes into `outcome`."""
        plugin = outcome.plugin
        assert plugin is not None
        try:
            if plugin.authorizer is not None:
                plugin.authorizer(ctx, operation, params)
            else:
                authorize(ctx, operation.action, operation.resources(ctx, params))
            outcome.output = operation.handler(ctx, params)
        except ServiceError as error:
            outcome.error = error.with_traceback(None)
        except Exception:
            log.exception("request %s failed", ctx.request_id)
            outcome.error = InternalFailure()

    def route(self, request: HttpRequest, scope_service: str | None) -> ServiceModel | None:
        model = self.runtime.router.identify(request, scope_service)
        if model is None and scope_service is not None:
            # Not served, but a service botocore knows: answer in its own protocol.
            try:
                return load_service(scope_service)
            except Exception:
                return None
        return model


    def respond(self, ctx: RequestContext, outcome: Outcome) -> HttpResponse:
        model = outcome.model
        if model is None:
            error = outcome.error or InternalFailure()
            return _bare_json_error(error, ctx.request_id)
        if outcome.error is not None:
            return serialize_error(model, ctx.operation, outcome.error, ctx.request_id)
        assert ctx.operation is not None
        try:
            return serialize_response(model, ctx.operation, outcome.output or {}, ctx.request_id)
        except Exception:
            log.exception("response to request %s could not be serialized", ctx.request_id)
            return serialize_error(model, ctx.operation, InternalFailure(), ctx.request_id)

    def _auth_error(self, model: ServiceModel | None, failure: AuthFailure) -> ServiceError:
        protocol = protocol_of(model) if model is not None else "json"
        return auth_error(failure.kind, failure.message, protocol, presigned=failure.presigned)

    @staticmethod
    def _unrouted(claim: SigV4Claim | None) -> ServiceError:
        if claim is None:
            return ServiceError("MissingAuthenticationTokenException", "Missing Authentication Token", status=403)
        return ServiceError(
            "UnknownServiceException", f"Strongroom does not serve a service named '{claim.service}'.", status=400
        )


def _bare_json_error(error: ServiceError, request_id: str) -> HttpResponse:
    body: dict[str, Any] = {"__type": error.code}
    if error.message is not None:
        body["message"] = error.message
    return HttpResponse(
        status=error.status or 400,
        headers=[("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)],
        body=orjson.dumps(body),
    )
