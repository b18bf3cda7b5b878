"""How AWS's (Java) validators print an offending value and its location in a message.

AWS echoes the value as Java's `toString()` of the parsed request object:

- strings as-is, integers as digits, booleans `true`/`false`, doubles as Java prints them (`1.0`,
  `1.0E10`);
- lists `[a, b]`, maps `{k=v, k2=v2}` (Java's AbstractCollection / AbstractMap forms);
- blobs as the ByteBuffer they were parsed into: `java.nio.HeapByteBuffer[pos=0 lim=N cap=N]`;
- structures as a Java object identity, `com.amazonaws.<service>.<Shape>@<hex>`: AWS's hex is an
  identity hash that changes per request, so ours is a CRC of the value (stable, reveals nothing);
- timestamps as `java.util.Date` prints them, in UTC: `Mon Jan 01 00:00:00 UTC 2024`.

Paths name members lowerCamelCase, joined by dots; list elements are `<list>.<n>.member` (1-based)
and map values `<map>.<key>.member`.
"""

from __future__ import annotations

import datetime
import math
import zlib
from collections.abc import Mapping
from typing import Any

_UINT32_MASK = 0xFFFFFFFF


def lower_camel(member_name: str) -> str:
    """The member name as AWS prints it in a path: first letter lowered."""
    return member_name[:1].lower() + member_name[1:]


def java_double(number: float) -> str:
    """`Double.toString(number)`: plain notation in [1e-3, 1e7), else `d.dddE±n`."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "-0.0" if math.copysign(1.0, number) < 0 else "0.0"
    magnitude = abs(number)
    if 1e-3 <= magnitude < 1e7:
        text = repr(number)
        return text if "." in text or "e" in text else text + ".0"
    mantissa, exponent = f"{number:.16e}".split("e")
    digits = repr(float(mantissa))  # shortest round-trip mantissa, as Java prints it
    return f"{digits}E{int(exponent)}"


def _java_date(moment: datetime.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%a %b %d %H:%M:%S UTC %Y")


def render_value(value: Any, structure_class: str = "") -> str:
    """Java's `toString()` of a parsed input value; `structure_class` names dicts that are
    structures (maps are rendered `{k=v}` by the caller passing "")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, bytes | bytearray | memoryview):
        size = len(value)
        return f"java.nio.HeapByteBuffer[pos=0 lim={size} cap={size}]"
    if isinstance(value, datetime.datetime):
        return _java_date(value)
    if isinstance(value, Mapping) and structure_class:
        return f"{structure_class}@{zlib.crc32(repr(value).encode()) & _UINT32_MASK:x}"
    return str(value)


class ValueRenderer:
    """Renders values of one shape tree, knowing which dicts are structures and which maps."""

    def __init__(self, service_prefix: str) -> None:
        self.service_prefix = service_prefix

    def structure_class(self, shape_name: str) -> str:
        return f"com.amazonaws.{self.service_prefix}.{shape_name}"

    def render(self, value: Any, shape: Any) -> str:
        """`value` rendered as AWS prints it for a value of botocore shape `shape`."""
        type_name = getattr(shape, "type_name", "")
        if type_name == "list" and isinstance(value, list | tuple):
            return "[" + ", ".join(self.render(item, shape.member) for item in value) + "]"
        if type_name == "map" and isinstance(value, Mapping):
            entries = (f"{self.render(key, shape.key)}={self.render(item, shape.value)}" for key, item in value.items())
            return "{" + ", ".join(entries) + "}"
        if type_name == "structure" and isinstance(value, Mapping):
            return render_value(value, self.structure_class(shape.name))
        return render_value(value)
