"""Per-service caches for compiled serialization plans."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from botocore.model import ServiceModel

T = TypeVar("T")


class PerService(Generic[T]):
    """One `factory(service)` result per service model, built on first use and kept for the process."""

    def __init__(self, factory: Callable[[ServiceModel], T]) -> None:
        self._factory = factory
        # Keyed by id(); the model is kept in the value so its id cannot be reused by another object.
        self._built: dict[int, tuple[ServiceModel, T]] = {}

    def __call__(self, service: ServiceModel) -> T:
        found = self._built.get(id(service))
        if found is not None:
            return found[1]
        built = self._factory(service)
        self._built[id(service)] = (service, built)
        return built
