"""Per-service caches for compiled serialization plans."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


class CompiledShapes(Generic[T]):
    """Compiled plans by shape key, safe to share between threads.

    A structure's plan is registered before its members compile (so recursive shapes can refer to it),
    which leaves it incomplete for a while: other threads only see plans whose whole compile has ended.
    """

    def __init__(self) -> None:
        self._ready: dict[str, T] = {}
        self._pending: dict[str, T] = {}
        self._lock = threading.RLock()
        self._depth = 0

    def ready(self, key: str) -> T | None:
        """The finished plan for `key`, without locking (the hot path)."""
        return self._ready.get(key)

    @contextmanager
    def compiling(self) -> Iterator[None]:
        """Holds the compile lock; the outermost exit publishes what was compiled (or drops it on error)."""
        with self._lock:
            self._depth += 1
            try:
                yield
            except BaseException:
                if self._depth == 1:
                    self._pending.clear()
                raise
            else:
                if self._depth == 1:
                    self._ready.update(self._pending)
                    self._pending.clear()
            finally:
                self._depth -= 1

    def lookup(self, key: str) -> T | None:
        """While compiling: the plan for `key`, finished or still being filled in."""
        return self._ready.get(key) or self._pending.get(key)

    def register(self, key: str, plan: T) -> None:
        """While compiling: make `plan` findable by the rest of this compile."""
        self._pending[key] = plan
