"""Strings holding the NUL character (U+0000), which AWS accepts and PostgreSQL's text cannot hold.

On SQLite such a string is stored as it came. On PostgreSQL the statement that would store it (or look
it up) fails (`store.request_transaction.is_nul_refusal`); the pipeline then answers the call with a
validation error naming each member holding a NUL (`validate.nul_refusal`), never a 500. The value
itself is never echoed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from botocore.model import Shape

from strongroom.wire.validation.render import lower_camel

NUL_CONSTRAINT = "Member must not contain the null character (U+0000)"


def nul_paths(shape: Shape | None, value: Any, path: str = "") -> Iterator[str]:
    """The path (as validation messages print them) of each member of `value` whose text holds a NUL."""
    if isinstance(value, str):
        if "\x00" in value:
            yield path
        return
    if shape is None:
        return
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members
        for name, item in value.items():
            member = members.get(name)
            if member is not None:
                yield from nul_paths(member, item, f"{path}.{lower_camel(name)}" if path else lower_camel(name))
    elif kind == "list" and isinstance(value, list | tuple):
        for index, item in enumerate(value, 1):
            yield from nul_paths(shape.member, item, f"{path}.{index}.member")
    elif kind == "map" and isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield path
            else:
                yield from nul_paths(shape.value, item, f"{path}.{key}.member")
