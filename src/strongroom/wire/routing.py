"""Which service a request is for: from X-Amz-Target, the SigV4 credential scope, or the query API version.

Built from the served services' models only; it names no service.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl

from botocore.model import ServiceModel

from strongroom.wire.http import HttpRequest
from strongroom.wire.specs import protocol_of, target_prefixes

_FORM = "application/x-www-form-urlencoded"


class ServiceRouter:
    """Finds the served service a request addresses."""

    def __init__(self, services: Iterable[ServiceModel]) -> None:
        self._by_target: dict[str, ServiceModel] = {}
        # Every operation's full X-Amz-Target: the usual request is routed by this one lookup.
        self._by_full_target: dict[str, ServiceModel] = {}
        self._by_signing_name: dict[str, list[ServiceModel]] = {}
        self._query_by_version: dict[str, ServiceModel] = {}
        for model in services:
            for prefix in target_prefixes(model):
                self._by_target[prefix] = model
            self._by_signing_name.setdefault(model.signing_name, []).append(model)
            if protocol_of(model) == "query":
                self._query_by_version[model.api_version] = model
        for prefix, model in self._by_target.items():
            for name in model.operation_names:
                wire_name = model.operation_model(name).wire_name
                if "." not in wire_name:  # a dotted name is routed by its last dot, below
                    self._by_full_target[f"{prefix}.{wire_name}"] = model

    def identify(self, request: HttpRequest, scope_service: str | None) -> ServiceModel | None:
        """The service for `request`; `scope_service` is the service named by its SigV4 scope, if any."""
        target = request.headers.lowered.get("x-amz-target")
        if target:
            found = self._by_full_target.get(target)
            if found is not None:
                return found
            prefix = target.rpartition(".")[0]
            model = self._by_target.get(prefix)
            if model is not None:
                return model
        if scope_service is not None:
            candidates = self._by_signing_name.get(scope_service, [])
            if len(candidates) == 1:
                return candidates[0]
            for model in candidates:
                # Several services under one signing name: only JSON ones carry a target, matched above.
                if "targetPrefix" not in model.metadata:
                    return model
            return None
        return self._query_service_by_version(request)

    def _query_service_by_version(self, request: HttpRequest) -> ServiceModel | None:
        """An unsigned query-protocol request still names its API version, which tells the service."""
        params = dict(request.query_params())
        if request.method == "POST" and request.headers.get("content-type", "").startswith(_FORM):
            params.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        version = params.get("Version")
        return self._query_by_version.get(version) if version else None
