"""A service plugin: a botocore model plus one handler per operation it serves.

Each operation declares the IAM action it needs and the resource ARNs it acts on, so the request
path can authorize every call before its handler runs. Handlers take the parsed, validated input
and return the output dict; they never see HTTP. Failures are raised as `ServiceError`s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.model import ServiceModel

from strongroom.context import RequestContext
from strongroom.services.read_only import READ_ONLY
from strongroom.wire.specs import load_service

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

Handler = Callable[[RequestContext, dict[str, Any]], dict[str, Any]]
# A scheduled task: runs with the server's runtime and does whatever is due at `runtime.clock.now()`.
TaskFunction = Callable[["Runtime"], None]
ResourceResolver = Callable[[RequestContext, dict[str, Any]], list[str]]
# A service whose resources carry their own policies (KMS keys, secrets) decides authorization itself,
# through strongroom.auth.authorize; the default asks it with identity policies only.
Authorizer = Callable[[RequestContext, "Operation", dict[str, Any]], None]


class AuditListener:
    """Something a service does with every call's audit record once it is durable (e.g. route it as an
    event). `wants` must be cheap: it runs for every request on the event loop; `receive` runs off it,
    after the response, and must not raise."""

    def wants(self, record: dict[str, Any]) -> bool:
        raise NotImplementedError

    def receive(self, runtime: Runtime, record: dict[str, Any]) -> None:
        raise NotImplementedError


def _all_resources(_ctx: RequestContext, _params: dict[str, Any]) -> list[str]:
    return ["*"]


@dataclass(frozen=True)
class Operation:
    name: str
    handler: Handler
    action: str
    resources: ResourceResolver
    read_only: bool


@dataclass(frozen=True)
class Task:
    """Work that falls due with time (deletions, rotations, expiries), run by the scheduler.

    Tasks must be idempotent and safe to run on several workers or nodes at once: they act on what
    the store says is due, inside transactions.
    """

    name: str
    function: TaskFunction


class Service:
    """One AWS service served by Strongroom, named as botocore names it ("kms", "sts", ...)."""

    def __init__(
        self,
        name: str,
        *,
        action_prefix: str | None = None,
        authorizer: Authorizer | None = None,
        audit_listener: AuditListener | None = None,
    ) -> None:
        self.name = name
        self.authorizer = authorizer
        self.audit_listener = audit_listener
        self.model: ServiceModel = load_service(name)
        self.action_prefix = action_prefix or self.model.signing_name
        self.event_source = f"{self.model.endpoint_prefix}.amazonaws.com"
        self.operations: dict[str, Operation] = {}
        self.tasks: list[Task] = []
        # Operations whose authorization and handler at most read the store (a few primary-key reads,
        # usually none: see the service's caches) and do bounded CPU work: on SQLite the pipeline runs
        # them on the event loop instead of handing each to a thread. Anything that writes, waits or
        # may run long stays off it.
        self.inline_operations: frozenset[str] = frozenset()

    def operation(
        self,
        name: str,
        *,
        action: str | None = None,
        resources: ResourceResolver | None = None,
    ) -> Callable[[Handler], Handler]:
        """Register the decorated function as the handler of operation `name`."""
        if name not in self.model.operation_names:
            raise ValueError(f"{self.name} has no operation {name}")
        read_only = READ_ONLY.get(self.name, {}).get(name)
        if read_only is None:
            raise ValueError(f"{self.name}:{name} is not in strongroom.services.read_only.READ_ONLY")

        def register(handler: Handler) -> Handler:
            self.operations[name] = Operation(
                name=name,
                handler=handler,
                action=action or f"{self.action_prefix}:{name}",
                resources=resources or _all_resources,
                read_only=read_only,
            )
            return handler

        return register

    def task(self, name: str) -> Callable[[TaskFunction], TaskFunction]:
        """Register the decorated function as a scheduled task of this service."""

        def register(function: TaskFunction) -> TaskFunction:
            self.tasks.append(Task(f"{self.name}:{name}", function))
            return function

        return register
