"""XML bodies (query and rest-xml protocols): shapes compiled once into writers that append XML text.

A writer appends the element(s) for one value to a list of strings that is joined once at the end.
Names come from the model (`locationName`), lists are wrapped in `member` elements unless `flattened`,
maps are `entry/key/value`, `xmlAttribute` members go into the start tag and `xmlNamespace` becomes an
`xmlns` declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from strongroom.wire.serialize.cache import CompiledShapes
from strongroom.wire.serialize.scalars import (
    TEXT_TIMESTAMP_FORMATS,
    base64_text,
    float_text,
    xml_attribute,
    xml_text,
)

Parts = list[str]
Writer = Callable[[Parts, Any], None]
Formatter = Callable[[Any], str]
AttributeWriter = Callable[[Mapping[str, Any]], str]

_BODY_EXCLUDED_LOCATIONS = frozenset({"header", "headers", "statusCode", "uri", "querystring"})


def namespace_declaration(namespace: Any) -> str:
    """The `xmlns` attribute text (with its leading space) for a model `xmlNamespace` value."""
    if not namespace:
        return ""
    if isinstance(namespace, str):
        return f' xmlns="{xml_attribute(namespace)}"'
    uri = xml_attribute(namespace.get("uri", ""))
    prefix = namespace.get("prefix")
    return f' xmlns:{prefix}="{uri}"' if prefix else f' xmlns="{uri}"'


def _string_text(value: Any) -> str:
    return xml_text(value if isinstance(value, str) else str(value))


def _boolean_text(value: Any) -> str:
    return "true" if value else "false"


def _integer_text(value: Any) -> str:
    return str(int(value))


def untyped_text(value: Any) -> str:
    """Text for a value outside any shape (an unmodeled error field)."""
    if isinstance(value, bool):
        return _boolean_text(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64_text(value)
    if isinstance(value, datetime):
        return TEXT_TIMESTAMP_FORMATS["iso8601"](value)
    return _string_text(value)


class XmlPlanner:
    """Compiles and caches the XML writers of one service's shapes."""

    def __init__(self, service: ServiceModel) -> None:
        self.service = service
        self._children: CompiledShapes[Writer] = CompiledShapes()
        self._attributes: dict[str, AttributeWriter | None] = {}

    def formatter(self, shape: Shape) -> Formatter:
        """Escaped text of a scalar value of `shape`."""
        type_name = shape.type_name
        if type_name == "boolean":
            return _boolean_text
        if type_name in ("integer", "long"):
            return _integer_text
        if type_name in ("float", "double"):
            return float_text
        if type_name == "timestamp":
            return TEXT_TIMESTAMP_FORMATS[shape.serialization.get("timestampFormat", "iso8601")]
        if type_name == "blob":
            return base64_text
        return _string_text

    def element(self, tag: str, shape: Shape) -> Writer:
        """A writer of the element `tag` holding a value of `shape` (repeated elements when flattened)."""
        namespace = namespace_declaration(shape.serialization.get("xmlNamespace"))
        type_name = shape.type_name
        if type_name == "structure":
            assert isinstance(shape, StructureShape)
            return self._structure_element(tag, namespace, shape)
        if type_name == "list":
            assert isinstance(shape, ListShape)
            return self._list_element(tag, namespace, shape)
        if type_name == "map":
            assert isinstance(shape, MapShape)
            return self._map_element(tag, namespace, shape)
        start, end = f"<{tag}{namespace}>", f"</{tag}>"
        text = self.formatter(shape)

        def write_scalar(parts: Parts, value: Any) -> None:
            parts.append(start + text(value) + end)

        return write_scalar

    def _structure_element(self, tag: str, namespace: str, shape: StructureShape) -> Writer:
        start, end = f"<{tag}{namespace}", f"</{tag}>"
        children = self.children(shape)
        attributes = self.attributes(shape)

        def write_structure(parts: Parts, value: Mapping[str, Any]) -> None:
            parts.append(start + (attributes(value) if attributes is not None else "") + ">")
            children(parts, value)
            parts.append(end)

        return write_structure

    def _list_element(self, tag: str, namespace: str, shape: ListShape) -> Writer:
        member = shape.member
        member_name = member.serialization.get("name")
        if shape.serialization.get("flattened"):
            # Flattened: the items are repeated siblings named after the list member (or the list itself).
            item = self.element(member_name or tag, member)

            def write_flat_list(parts: Parts, values: Any) -> None:
                for value in values:
                    if value is not None:
                        item(parts, value)

            return write_flat_list
        wrapped = self.element(member_name or "member", member)
        start, end = f"<{tag}{namespace}>", f"</{tag}>"

        def write_list(parts: Parts, values: Any) -> None:
            parts.append(start)
            for value in values:
                if value is not None:
                    wrapped(parts, value)
            parts.append(end)

        return write_list

    def _map_element(self, tag: str, namespace: str, shape: MapShape) -> Writer:
        key = self.element(shape.key.serialization.get("name", "key"), shape.key)
        value_writer = self.element(shape.value.serialization.get("name", "value"), shape.value)
        if shape.serialization.get("flattened"):
            start, end = f"<{tag}{namespace}>", f"</{tag}>"

            def write_flat_map(parts: Parts, entries: Mapping[str, Any]) -> None:
                for entry_key, entry_value in entries.items():
                    if entry_value is not None:
                        parts.append(start)
                        key(parts, entry_key)
                        value_writer(parts, entry_value)
                        parts.append(end)

            return write_flat_map
        start, end = f"<{tag}{namespace}>", f"</{tag}>"

        def write_map(parts: Parts, entries: Mapping[str, Any]) -> None:
            parts.append(start)
            for entry_key, entry_value in entries.items():
                if entry_value is not None:
                    parts.append("<entry>")
                    key(parts, entry_key)
                    value_writer(parts, entry_value)
                    parts.append("</entry>")
            parts.append(end)

        return write_map

    def attributes(self, shape: StructureShape) -> AttributeWriter | None:
        """The start-tag attributes of a structure value, or None when the shape has none."""
        if shape.name in self._attributes:
            return self._attributes[shape.name]
        bound = [
            (name, member.serialization.get("name", name), self.formatter(member))
            for name, member in shape.members.items()
            if member.serialization.get("xmlAttribute")
        ]
        writer: AttributeWriter | None = None
        if bound:

            def writer(value: Mapping[str, Any]) -> str:
                text = ""
                for name, attribute, formatter in bound:
                    member_value = value.get(name)
                    if member_value is not None:
                        text += f' {attribute}="{xml_attribute(formatter(member_value))}"'
                return text

        self._attributes[shape.name] = writer
        return writer

    def children(self, shape: StructureShape, *, body_only: bool = False) -> Writer:
        """A writer of a structure value's child elements; `body_only` leaves out HTTP-bound members."""
        key = f"{shape.name}#body" if body_only else shape.name
        found = self._children.ready(key)
        if found is not None:
            return found
        with self._children.compiling():
            return self._compile_children(key, shape, body_only)

    def _compile_children(self, key: str, shape: StructureShape, body_only: bool) -> Writer:
        found = self._children.lookup(key)
        if found is not None:
            return found
        table: dict[str, Writer] = {}

        def write_children(parts: Parts, value: Mapping[str, Any]) -> None:
            for name, member_value in value.items():
                if member_value is not None:
                    writer = table.get(name)
                    if writer is not None:
                        writer(parts, member_value)

        # Registered before the members compile, so recursive shapes find it.
        self._children.register(key, write_children)
        for name, member in shape.members.items():
            serialization = member.serialization
            if serialization.get("xmlAttribute"):
                continue
            if body_only and serialization.get("location") in _BODY_EXCLUDED_LOCATIONS:
                continue
            table[name] = self.element(serialization.get("name", name), member)
        return write_children


def write_untyped(parts: Parts, fields: Mapping[str, Any]) -> None:
    """Elements for values no shape describes, each as `<Name>text</Name>`."""
    for name, value in fields.items():
        if value is not None:
            parts.append(f"<{name}>{untyped_text(value)}</{name}>")
