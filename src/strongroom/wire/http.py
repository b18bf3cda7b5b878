"""Plain HTTP request and response values, the only things the wire layer reads and writes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, overload
from urllib.parse import parse_qsl

_T = TypeVar("_T")


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only header mapping (repeated headers are joined with ',')."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        store: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            store[key] = f"{store[key]},{value}" if key in store else value
        self._store = store

    @classmethod
    def from_latin1(cls, items: Iterable[tuple[bytes, bytes]]) -> Headers:
        """Headers from raw (name, value) byte pairs as an ASGI scope carries them, decoded as latin-1."""
        # One loop instead of a decoding generator feeding __init__: this runs on every request.
        store: dict[str, str] = {}
        names = _HEADER_NAMES
        for raw_name, raw_value in items:
            key = names.get(raw_name)
            if key is None:
                key = raw_name.decode("latin-1").lower()
                if len(names) < _HEADER_NAMES_KEPT:
                    names[raw_name] = key
            try:  # ASCII decodes to the same text by CPython's quickest codec path; values nearly always are
                value = raw_value.decode("ascii")
            except UnicodeDecodeError:
                value = raw_value.decode("latin-1")
            store[key] = f"{store[key]},{value}" if key in store else value
        headers = cls.__new__(cls)
        headers._store = store
        return headers

    @property
    def lowered(self) -> Mapping[str, str]:
        """The same headers keyed by lower-case name: the cheapest lookup for a name known to be lower-case."""
        return self._store

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()]

    @overload
    def get(self, name: str, /) -> str | None: ...

    @overload
    def get(self, name: str, default: str | _T, /) -> str | _T: ...

    def get(self, name: str, default: object = None, /) -> object:
        # Mapping.get goes through __getitem__ and a KeyError: this is on every request, several times.
        return self._store.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return iter(self._store)

    def __len__(self) -> int:
        return len(self._store)

    def __repr__(self) -> str:
        return f"Headers({self._store!r})"


# Header names as decoded before: the same few dozen names arrive on every request. Bounded, so that
# clients sending ever new names cannot grow it; names past the bound are decoded each time.
_HEADER_NAMES: dict[bytes, str] = {}
_HEADER_NAMES_KEPT = 512

_NO_HEADERS = Headers()
_BODY_SHA256 = "_body_sha256"


@dataclass(frozen=True)
class HttpRequest:
    """One request as received. `path` is the raw (still percent-encoded) path, without the query."""

    method: str
    path: str
    query_string: str = ""
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    # When the server had read its head (so after its client sent it), by time.monotonic(); 0 when not
    # known (not from a connection).
    received: float = 0.0

    # By hand (dataclass keeps an __init__ it finds): the generated frozen one sets each field through
    # object.__setattr__, which costs on every request. Headers are read-only, so one empty set is shared.
    def __init__(
        self, method: str, path: str, query_string: str = "", headers: Headers = _NO_HEADERS, body: bytes = b"",
        received: float = 0.0,
    ) -> None:
        self.__dict__.update(
            method=method, path=path, query_string=query_string, headers=headers, body=body, received=received
        )

    @property
    def body_sha256(self) -> str:
        """The hex SHA-256 of the body, computed once per request (the body is immutable bytes)."""
        # Cached in the instance dict by hand: functools.cached_property takes a lock on every read in 3.11.
        digest: str | None = self.__dict__.get(_BODY_SHA256)
        if digest is None:
            digest = self.__dict__[_BODY_SHA256] = hashlib.sha256(self.body).hexdigest()
        return digest

    def query_params(self) -> list[tuple[str, str]]:
        """The decoded query-string pairs, in order, blanks kept."""
        return parse_qsl(self.query_string, keep_blank_values=True)


@dataclass
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None
