"""RequestContext: what one request knows about itself as it passes through the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from botocore.model import OperationModel, ServiceModel

    from strongroom.audit.writer import Companion
    from strongroom.auth.principal import Principal
    from strongroom.clock import Clock
    from strongroom.runtime import Runtime
    from strongroom.store.request_transaction import RequestTransaction
    from strongroom.wire.http import HttpRequest


@dataclass
class RequestContext:
    request_id: str
    request: HttpRequest
    clock: Clock
    received_at: datetime
    source_ip: str = ""
    user_agent: str = ""
    service: ServiceModel | None = None
    operation: OperationModel | None = None
    region: str = ""
    principal: Principal | None = None
    params: dict[str, Any] = field(default_factory=dict)
    # Resources the call touched, for the audit record: [{"accountId", "type", "ARN"}].
    resources: list[dict[str, str]] = field(default_factory=list)
    # Service-specific condition keys and notes for later stages (e.g. "kms:EncryptionContext:...").
    extra: dict[str, Any] = field(default_factory=dict)
    # The server's shared machinery (database, barrier, clock, ...), for handlers.
    runtime: Runtime | None = None
    # Audit records of calls made on the caller's behalf while handling this one (KMS for SSM), each
    # with its companion writes: the pipeline commits them with this call's own record. None outside
    # the pipeline, where such records are written at once.
    additional_audit: list[tuple[dict[str, Any], Sequence[Companion]]] | None = None
    # The request's one store transaction, which the pipeline commits with the call's audit record
    # (see `strongroom.store.request_transaction`); None outside the pipeline, where every
    # `transaction(ctx)` block commits on its own.
    store_transaction: RequestTransaction | None = None

    @property
    def account_id(self) -> str:
        """The account the call acts in: the caller's own."""
        if self.principal is None:
            raise RuntimeError("no principal on an unauthenticated request")
        return self.principal.account_id
