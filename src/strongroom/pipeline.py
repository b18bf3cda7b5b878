"""The request flow, as stages read top to bottom: route, authenticate, parse, validate, authorize,
handle, audit, serialize. Nothing reaches a handler without passing SigV4 and authorization, and no
answer leaves before the call's audit record is durable.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from botocore.model import ServiceModel

from strongroom.audit.recipients import records_for
from strongroom.audit.record import build_record, random_uuid
from strongroom.audit.writer import COMPANIONS, Companion, write_within
from strongroom.auth.authenticate import authenticate
from strongroom.auth.authorize import authorize
from strongroom.auth.failures import AuthFailure, auth_error
from strongroom.auth.sigv4 import SigV4Claim, read_claim
from strongroom.context import RequestContext
from strongroom.errors import InternalFailure, NotImplementedOperation, ServiceError
from strongroom.runtime import Runtime
from strongroom.services.base import Operation, Service
from strongroom.store.request_transaction import RequestTransaction, is_busy, is_nul_refusal, watch_conflicts
from strongroom.wire.http import HttpRequest, HttpResponse
from strongroom.wire.parse import parse_request
from strongroom.wire.serialize import serialize_error, serialize_response
from strongroom.wire.specs import load_service, protocol_of
from strongroom.wire.validate import nul_refusal, validate_input

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
    # The call's audit records once committed with the change it made (see `decide_and_handle`);
    # None while they are still to be written (through the audit writer's batches).
    committed_records: list[dict[str, Any]] | None = None
    # What the handler asked to run once its change is committed (see `request_store.after_commit`).
    after_commit: list[Callable[[], None]] = field(default_factory=list)


# A request whose transaction loses a race with another (PostgreSQL's serialization failures and
# deadlocks, SQLite's busy) is run again from authorization on, this many times at most, after a short
# random pause that grows with each attempt; then it is answered with AWS's throttling error, which
# the SDKs retry by themselves.
MAX_ATTEMPTS = 8
RETRY_PAUSE_SECONDS = 0.005
THROTTLED_TEXT = "Rate exceeded"


class RequestPipeline:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.audit_listeners = [plugin.audit_listener for plugin in runtime.services.values() if plugin.audit_listener]
        watch_conflicts(runtime.database)
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
            records = outcome.committed_records
            if records is None:
                records = self._records(ctx, outcome)
                try:
                    await self._write_audit(ctx, records)
                except Exception:
                    log.exception("audit record for request %s could not be stored", ctx.request_id)
                    outcome.output, outcome.error = None, InternalFailure()
                    records = []
            for record in records:
                self._notify_listeners(record)
            for action in outcome.after_commit:
                try:
                    action()
                except Exception:
                    log.exception("work after request %s committed could not be started", ctx.request_id)
        return self.respond(ctx, outcome)

    def _records(self, ctx: RequestContext, outcome: Outcome) -> list[dict[str, Any]]:
        """The call's own record, in the caller's account and the accounts whose resources it used."""
        assert outcome.plugin is not None and outcome.operation is not None
        record = build_record(
            ctx,
            event_source=outcome.plugin.event_source,
            read_only=outcome.operation.read_only,
            output=outcome.output,
            error=outcome.error,
        )
        return records_for(record)

    async def _write_audit(self, ctx: RequestContext, records: list[dict[str, Any]]) -> None:
        """Commit the call's records with those of calls made on its behalf (all in the same batch)."""
        own = ctx.extra.get(COMPANIONS, ())
        writes = [self.runtime.audit.write(record, own if index == 0 else ()) for index, record in enumerate(records)]
        for extra, companions in ctx.additional_audit or ():
            writes += [self.runtime.audit.write(copy, companions if index == 0 else ())
                       for index, copy in enumerate(records_for(extra))]
        if len(writes) == 1:
            await writes[0]
        else:
            await asyncio.gather(*writes)

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
        """Authorize the call and run its handler in the request's one store transaction, then end
        it: a change is committed together with the call's audit records, or not at all. The answer
        or error goes into `outcome`. A transaction that lost a race is run again (`MAX_ATTEMPTS`)."""
        plugin = outcome.plugin
        assert plugin is not None
        extra, resources = dict(ctx.extra), list(ctx.resources)
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, RETRY_PAUSE_SECONDS * attempt))
                ctx.extra, ctx.resources = dict(extra), list(resources)
            unit = ctx.store_transaction = RequestTransaction(self.runtime.database, writes=not operation.read_only)
            ctx.additional_audit = []
            output: dict[str, Any] | None = None
            error: ServiceError | None = None
            try:
                if plugin.authorizer is not None:
                    plugin.authorizer(ctx, operation, params)
                else:
                    authorize(ctx, operation.action, operation.resources(ctx, params))
                output = operation.handler(ctx, params)
            except ServiceError as raised:
                error = raised.with_traceback(None)  # see prepare: its frames hold the request
            except Exception as exc:
                error = InternalFailure()
                if is_busy(exc):
                    log.warning("request %s waited too long for the store's write lock", ctx.request_id)
                    error = _throttled()
                elif is_nul_refusal(exc) and not unit.conflicted:
                    error = self._nul_refusal(ctx, params)
                elif not unit.conflicted:
                    log.exception("request %s failed", ctx.request_id)
            try:
                if unit.conflicted:
                    unit.close()
                    continue
                outcome.output, outcome.error = output, error
                keep = error is None or error.keeps_changes
                if unit.begun:
                    self._end(ctx, outcome, unit, keep=keep)
                elif keep:  # the store was not touched: nothing to commit, its actions are due now
                    outcome.after_commit = unit.take_actions()
            except Exception as exc:
                if unit.conflicted:
                    continue
                if is_nul_refusal(exc):
                    outcome.output, outcome.error = None, self._nul_refusal(ctx, params)
                else:
                    log.exception("request %s could not be committed", ctx.request_id)
                    outcome.output, outcome.error = None, InternalFailure()
            finally:
                unit.close()  # whatever happened above, the transaction and its write turn end here
                ctx.store_transaction = None
            return
        outcome.output, outcome.error = None, _throttled()

    @staticmethod
    def _nul_refusal(ctx: RequestContext, params: dict[str, Any]) -> ServiceError:
        """PostgreSQL's text cannot hold a NUL: the call is refused as bad input (see `validation.nul`)."""
        assert ctx.service is not None and ctx.operation is not None  # set by `prepare` before any handler
        return nul_refusal(ctx.service, ctx.operation, params)

    def _end(self, ctx: RequestContext, outcome: Outcome, unit: RequestTransaction, *, keep: bool) -> None:
        """Commit what the call changed with its audit records, or roll it back (a failed call, or
        nothing changed) and leave the records to the audit writer."""
        if not keep:
            unit.close()
            return
        if not unit.changed():
            outcome.after_commit = unit.take_actions()
            unit.close()
            return
        records = self._records(ctx, outcome)
        companions: list[Companion] = list(ctx.extra.get(COMPANIONS, ()))
        for extra, extra_companions in ctx.additional_audit or ():
            records += records_for(extra)
            companions += extra_companions
        outcome.after_commit = unit.commit(lambda connection: write_within(connection, records, companions))
        outcome.committed_records = records

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


def _throttled() -> ServiceError:
    return ServiceError("ThrottlingException", THROTTLED_TEXT, status=400)


def _bare_json_error(error: ServiceError, request_id: str) -> HttpResponse:
    body: dict[str, Any] = {"__type": error.code}
    if error.message is not None:
        body["message"] = error.message
    return HttpResponse(
        status=error.status or 400,
        headers=[("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", request_id)],
        body=orjson.dumps(body),
    )
