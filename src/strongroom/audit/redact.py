"""What of a request or response may enter an audit record, decided from the botocore shapes.

Never recorded: members whose shape is `sensitive` (or a list/map of such), blobs (ciphertexts and
key material), members a service names in `extra_sensitive`, and the few credentials the models
leave unmarked (`UNMARKED_SECRET_MEMBERS`). Structure member names become lowerCamelCase as
CloudTrail prints them; map keys are data and keep their case. Timestamps become ISO strings.
Members the shape does not declare are dropped: what is not modeled cannot be judged safe.

Each (shape, extra_sensitive) pair is compiled once into a closure and cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

Plan = Callable[[Any], Any]

# Credentials the models do not mark sensitive (e.g. STS Credentials.SessionToken, SSM session
# TokenValue, an MFA TokenCode). Omitted wherever a structure member carries one of these names.
UNMARKED_SECRET_MEMBERS = frozenset({"SessionToken", "TokenValue", "TokenCode"})

# Keyed by the model's shape resolver and the shape's name: botocore builds new Shape objects on each
# lookup (and endlessly for recursive shapes), so the objects themselves are no stable key.
_plans: dict[tuple[object, str, frozenset[str]], Plan] = {}
_plans_lock = threading.Lock()
# The same plans by shape object, for the common call without extra paths: an operation model hands
# out one input and one output shape object, so this saves building and hashing the key above. Safe:
# a plan depends on nothing but the (immutable) shape. Bounded, for models that make shapes anew.
_plans_by_shape: dict[Shape, Plan] = {}
_PLANS_BY_SHAPE_LIMIT = 4096


def redact(
    shape: Shape | None, value: dict[str, Any] | None, *, extra_sensitive: frozenset[str] = frozenset()
) -> dict[str, Any] | None:
    """`value` as an audit record may show it, or None when nothing (or nothing recordable) is left.

    `extra_sensitive` holds member paths from `shape`, dotted model names ("Value",
    "Credentials.SessionToken"); list elements and map values are crossed without a path step.
    """
    if shape is None or not value:
        return None
    result = plan_for(shape, extra_sensitive)(value)
    return result or None


def plan_for(shape: Shape, extra_sensitive: frozenset[str] = frozenset()) -> Plan:
    """The cached redaction closure for `shape`."""
    if not extra_sensitive:
        plan = _plans_by_shape.get(shape)
        if plan is not None:
            return plan
    key = (getattr(shape, "_shape_resolver", shape), shape.name, extra_sensitive)
    plan = _plans.get(key)
    if plan is None:
        plan = _Compiler().compile(shape, extra_sensitive)
        with _plans_lock:
            plan = _plans.setdefault(key, plan)
    if not extra_sensitive:
        if len(_plans_by_shape) >= _PLANS_BY_SHAPE_LIMIT:
            _plans_by_shape.clear()
        _plans_by_shape[shape] = plan
    return plan


def lower_camel(name: str) -> str:
    """CloudTrail's key style: the model name with its first letter lowercased ("KeyId" -> "keyId")."""
    return name[:1].lower() + name[1:]


def is_secret(shape: Shape) -> bool:
    """A shape whose values are never recorded: sensitive, a blob, or a collection holding either."""
    seen: set[str] = set()
    current: Shape | None = shape
    while current is not None and current.name not in seen:
        seen.add(current.name)
        if current.metadata.get("sensitive") or current.type_name == "blob":
            return True
        if isinstance(current, ListShape):
            current = current.member
        elif isinstance(current, MapShape):
            if current.key.metadata.get("sensitive"):
                return True
            current = current.value
        else:
            current = None
    return False


def iso_timestamp(value: Any) -> Any:
    """A timestamp as CloudTrail prints times (UTC, second precision); other values unchanged."""
    if isinstance(value, datetime):
        when = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


class _Compiler:
    """Builds the closures for one shape graph; `_cells` ties recursive shapes back to themselves.

    Structures are told apart by name: within one model a name is one shape.
    """

    def __init__(self) -> None:
        self._cells: dict[tuple[str, frozenset[str]], list[Plan]] = {}

    def compile(self, shape: Shape, extra: frozenset[str]) -> Plan:
        if isinstance(shape, StructureShape):
            if shape.is_document_type:
                return _identity
            return self._structure(shape, extra)
        if isinstance(shape, ListShape):
            element = self._child(shape.member, extra)
            return _list_plan(element)
        if isinstance(shape, MapShape):
            return _map_plan(self._child(shape.value, extra))
        if shape.type_name == "timestamp":
            return iso_timestamp
        return _identity

    def _child(self, shape: Shape, extra: frozenset[str]) -> Plan | None:
        """None for scalars that pass unchanged, saving a call per value."""
        if shape.type_name in ("string", "boolean", "integer", "long", "float", "double", "bigdecimal", "biginteger"):
            return None
        return self.compile(shape, extra)

    def _structure(self, shape: StructureShape, extra: frozenset[str]) -> Plan:
        key = (shape.name, extra)
        building = self._cells.get(key)
        if building is not None:
            # A recursive shape: refer to the plan being built, resolved once it exists.
            return lambda value: building[0](value)
        cell: list[Plan] = []
        self._cells[key] = cell
        fields: dict[str, tuple[str, Plan | None]] = {}
        for name, member in shape.members.items():
            if name in extra or name in UNMARKED_SECRET_MEMBERS or is_secret(member):
                continue
            prefix = name + "."
            below = frozenset(path[len(prefix) :] for path in extra if path.startswith(prefix))
            fields[name] = (lower_camel(name), self._child(member, below))
        plan = _structure_plan(fields)
        cell.append(plan)
        return plan


def _identity(value: Any) -> Any:
    return value


def _structure_plan(fields: dict[str, tuple[str, Plan | None]]) -> Plan:
    def apply(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        out: dict[str, Any] = {}
        for name, item in value.items():
            field = fields.get(name)
            if field is None or item is None:
                continue
            key, child = field
            out[key] = item if child is None else child(item)
        return out

    return apply


def _list_plan(element: Plan | None) -> Plan:
    def apply(value: Any) -> Any:
        if not isinstance(value, list | tuple):
            return None
        return list(value) if element is None else [element(item) for item in value]

    return apply


def _map_plan(entry: Plan | None) -> Plan:
    def apply(value: Any) -> Any:
        if not isinstance(value, dict):
            return None
        return dict(value) if entry is None else {key: entry(item) for key, item in value.items()}

    return apply
