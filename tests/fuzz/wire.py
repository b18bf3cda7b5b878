"""Fuzz inputs put on the wire as unsigned HTTP requests, for the json and query protocols (what the
served services speak), plus raw mutations of each protocol's framing: bodies that are not JSON or not
UTF-8, wrong methods and content types, missing or foreign targets, duplicate and absurd query keys.

Encoders write whatever a mutant holds: a value of the wrong type for its shape goes out as it is.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from botocore.model import OperationModel, ServiceModel, Shape

from tests.fuzz.inputs import Mutant

FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class RawRequest:
    """One request to sign and send; `label` says what it tries."""

    label: str
    method: str = "POST"
    path: str = "/"
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


def _wire_name(shape: Shape, default: str) -> str:
    return str(shape.serialization.get("name", default))


# -- json ---------------------------------------------------------------------------------------


def json_tree(value: Any, shape: Shape | None) -> Any:
    """`value` as the json protocol carries it: wire names, base64 blobs, epoch-second timestamps."""
    if shape is None:
        return _plain(value)
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict) and not getattr(shape, "is_document_type", False):
        members = shape.members
        return {
            _wire_name(members[name], name) if name in members else str(name):
            json_tree(item, members.get(name)) for name, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [json_tree(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {str(key): json_tree(item, shape.value) for key, item in value.items()}
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def json_body(tree: Any, rng: random.Random) -> bytes:
    """JSON text; strings with lone surrogates go out as `\\ud800` escapes or, now and then, as the
    (invalid) UTF-8 bytes Python's surrogatepass makes of them."""
    if rng.random() < 0.2:
        return json.dumps(tree, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(tree).encode()


def json_request(service: ServiceModel, operation: OperationModel, mutant: Mutant, rng: random.Random) -> RawRequest:
    target = f"{service.metadata['targetPrefix']}.{operation.name}"
    body = json_body(json_tree(mutant.value, operation.input_shape), rng)
    return RawRequest(mutant.label, headers=_json_headers(service, target), body=body)


def _json_headers(service: ServiceModel, target: str) -> dict[str, str]:
    version = service.metadata.get("jsonVersion", "1.1")
    return {"X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"}


def json_framing(service: ServiceModel, operation: OperationModel) -> Iterator[RawRequest]:
    """The json protocol's framing broken one way at a time, around one operation."""
    prefix = service.metadata["targetPrefix"]
    target = f"{prefix}.{operation.name}"
    headers = _json_headers(service, target)
    bodies = {
        "truncated JSON": b'{"a": ', "JSON array": b"[]", "JSON null": b"null", "JSON string": b'"x"',
        "invalid UTF-8": b'{"x": "\xff\xfe"}', "raw NUL": b'{"x": "a\x00b"}', "BOM": b"\xef\xbb\xbf{}",
        "duplicate keys": b'{"a": 1, "a": 2}', "deep nesting": b'{"x": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        "number past double": b'{"x": 1e999}', "lone surrogate escape": b'{"x": "\\udc00"}',
        "NaN literal": b'{"x": NaN}', "trailing garbage": b"{} {}",
    }
    for label, body in bodies.items():
        yield RawRequest(f"framing: {label}", headers=headers, body=body)
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        yield RawRequest(f"framing: method {method}", method=method, headers=headers, body=b"{}")
    for content_type in ("text/plain", "application/json", "application/x-www-form-urlencoded", ""):
        yield RawRequest(f"framing: content type {content_type!r}", headers={"X-Amz-Target": target,
                                                                              "Content-Type": content_type}, body=b"{}")
    for label, other in (("no target", ""), ("unknown operation", f"{prefix}.NoSuchOperation"),
                         ("empty operation", f"{prefix}."), ("lower-case operation", target.lower()),
                         ("bare operation", operation.name)):
        yield RawRequest(f"framing: {label}", headers={**headers, "X-Amz-Target": other}, body=b"{}")
    yield RawRequest("framing: path with query", path="/x/../y?z=%ff", headers=headers, body=b"{}")


# -- query --------------------------------------------------------------------------------------


def query_pairs(value: Any, shape: Shape | None, prefix: str) -> Iterator[tuple[str, str]]:
    """`value` flattened as the query protocol carries it (`A.B.member.1=...`, maps as entries)."""
    kind = shape.type_name if shape is not None else ""
    if shape is not None and kind == "structure" and isinstance(value, dict):
        for name, item in value.items():
            member = shape.members.get(name)
            key = _wire_name(member, name) if member is not None else str(name)
            yield from query_pairs(item, member, f"{prefix}.{key}" if prefix else key)
    elif shape is not None and kind == "list" and isinstance(value, list):
        if not value:
            yield prefix, ""
        flattened = shape.serialization.get("flattened")
        item_name = "" if flattened else _wire_name(shape.member, "member") + "."
        for index, item in enumerate(value, 1):
            yield from query_pairs(item, shape.member, f"{prefix}.{item_name}{index}")
    elif shape is not None and kind == "map" and isinstance(value, dict):
        entry = "" if shape.serialization.get("flattened") else "entry."
        for index, (key, item) in enumerate(value.items(), 1):
            yield from query_pairs(key, shape.key, f"{prefix}.{entry}{index}.{_wire_name(shape.key, 'key')}")
            yield from query_pairs(item, shape.value, f"{prefix}.{entry}{index}.{_wire_name(shape.value, 'value')}")
    elif isinstance(value, dict):  # a wrong-typed structure-like value: flattened by its own keys
        for key, item in value.items():
            yield from query_pairs(item, None, f"{prefix}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value, 1):
            yield from query_pairs(item, None, f"{prefix}.member.{index}")
    else:
        yield prefix, _scalar_text(value, kind)


def _scalar_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if kind == "timestamp" and isinstance(value, int | float) and abs(value) < 1e11:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def form(pairs: list[tuple[str, str]]) -> bytes:
    """Pairs percent-encoded (a lone surrogate goes out as the invalid UTF-8 surrogatepass makes)."""
    def encoded(text: str) -> str:
        return quote(text.encode("utf-8", "surrogatepass"), safe="")

    return "&".join(f"{encoded(name)}={encoded(text)}" for name, text in pairs).encode()


def query_request(service: ServiceModel, operation: OperationModel, mutant: Mutant) -> RawRequest:
    pairs = [("Action", operation.name), ("Version", service.api_version)]
    pairs += list(query_pairs(mutant.value, operation.input_shape, ""))
    return RawRequest(mutant.label, headers={"Content-Type": FORM}, body=form(pairs))


def query_framing(service: ServiceModel, operation: OperationModel) -> Iterator[RawRequest]:
    """The query protocol's framing broken one way at a time, around one operation."""
    head = f"Action={operation.name}&Version={service.api_version}"
    list_member = _first_list_member(operation)
    raw_bodies = {
        "duplicate Action": f"{head}&Action={operation.name}",
        "two different Actions": f"{head}&Action=NoSuchAction",
        "duplicate Version": f"{head}&Version={service.api_version}",
        "no Action": f"Version={service.api_version}",
        "empty Action": f"Action=&Version={service.api_version}",
        "unknown Action": f"Action=NoSuchAction&Version={service.api_version}",
        "wrong Version": f"Action={operation.name}&Version=1999-01-01",
        "bad percent escape": f"{head}&X=%zz",
        "percent-encoded invalid UTF-8": f"{head}&X=%ff%fe",
        "percent-encoded NUL": f"{head}&X=%00",
        "raw invalid UTF-8": None,
        "key without value": f"{head}&Flag",
        "empty pairs": f"&&{head}&&&=",
        "empty key segments": f"{head}&A..B=1&.=2&C.=3",
        "semicolons": f"{head};X=1",
    }
    for label, text in raw_bodies.items():
        body = text.encode() if text is not None else head.encode() + b"&X=\xff\xfe"
        yield RawRequest(f"framing: {label}", headers={"Content-Type": FORM}, body=body)
    if list_member is not None:
        for index in ("0", "99999999", "-1", "x", "1e3", "", "00001", "\u0661"):  # the last: Arabic-Indic one
            yield RawRequest(f"framing: {list_member}.member.{index or '<empty>'}", headers={"Content-Type": FORM},
                             body=f"{head}&{list_member}.member.{index}=v".encode())
        yield RawRequest(f"framing: {list_member} both listed and scalar", headers={"Content-Type": FORM},
                         body=f"{head}&{list_member}=a&{list_member}.member.1=b".encode())
    yield RawRequest("framing: Action in URL and body", query=head, headers={"Content-Type": FORM}, body=head.encode())
    yield RawRequest("framing: Action only in URL", query=head, headers={"Content-Type": FORM})
    yield RawRequest("framing: GET", method="GET", query=head)
    for method in ("PUT", "DELETE", "PATCH"):
        yield RawRequest(f"framing: method {method}", method=method, headers={"Content-Type": FORM}, body=head.encode())
    for content_type in ("application/json", "text/plain", "multipart/form-data; boundary=x", ""):
        yield RawRequest(f"framing: content type {content_type!r}", headers={"Content-Type": content_type},
                         body=head.encode())


def _first_list_member(operation: OperationModel) -> str | None:
    shape = operation.input_shape
    if shape is None:
        return None
    for name, member in shape.members.items():
        if member.type_name == "list":
            return _wire_name(member, name)
    return None
