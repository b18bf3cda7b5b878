"""XML request bodies (rest-xml): elements to boto3 values, following the model's XML traits.

Members are matched by local name (namespaces are accepted, not required); `xmlAttribute` members
are read from attributes; a `flattened` list or map repeats its member element instead of wrapping
items in one. Documents with a DTD or entity declarations are refused outright, so no entity is
ever expanded (no XXE, no entity bombs).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from xml.etree import ElementTree

from botocore.model import ListShape, MapShape, Shape, StructureShape

from strongroom.wire.parse._common import MalformedInput, plan_key, text_converter, wire_name

XmlConverter = Callable[[ElementTree.Element], Any]

# How a member's elements appear inside its structure: once, or repeated per list item / map entry.
_SINGLE = "single"
_REPEATED_ITEM = "item"
_REPEATED_ENTRY = "entry"

_FORBIDDEN = (b"<!DOCTYPE", b"<!ENTITY", b"<!doctype", b"<!entity")


def parse_xml_document(body: bytes) -> ElementTree.Element:
    """The root element of `body`; refuses DTDs and entity declarations."""
    if any(marker in body for marker in _FORBIDDEN):
        raise MalformedInput("DTDs and entity declarations are not accepted.")
    try:
        return ElementTree.fromstring(body)  # noqa: S314 - DTDs are refused above, so nothing expands
    except ElementTree.ParseError as exc:
        raise MalformedInput("The XML is not well-formed.") from exc


def local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


class XmlReader:
    """Converters from XML elements to boto3 values, compiled per shape and cached for one model."""

    def __init__(self) -> None:
        self._plans: dict[str, XmlConverter] = {}

    def converter(self, shape: Shape) -> XmlConverter:
        key = plan_key(shape)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(shape, key)
        return plan

    def structure(self, members: dict[str, Shape]) -> XmlConverter:
        """A converter for an element carrying exactly `members` (e.g. the body part of a REST input)."""
        children: dict[str, tuple[str, XmlConverter, str]] = {}
        attributes: dict[str, tuple[str, Callable[[str], Any]]] = {}
        self._fill_structure(members, children, attributes)
        return _structure_of(children, attributes)

    def _compile(self, shape: Shape, key: str) -> XmlConverter:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            children: dict[str, tuple[str, XmlConverter, str]] = {}
            attributes: dict[str, tuple[str, Callable[[str], Any]]] = {}
            plan = _structure_of(children, attributes)
            # Registered before its members compile, so recursive shapes find it.
            self._plans[key] = plan
            self._fill_structure(shape.members, children, attributes)
            return plan
        if kind == "list":
            assert isinstance(shape, ListShape)
            plan = _list_of(self.converter(shape.member))
        elif kind == "map":
            assert isinstance(shape, MapShape)
            plan = _map_of(
                wire_name(shape.key, "key"),
                self.converter(shape.key),
                wire_name(shape.value, "value"),
                self.converter(shape.value),
            )
        else:
            plan = _scalar(text_converter(shape))
        self._plans[key] = plan
        return plan

    def _fill_structure(
        self,
        members: dict[str, Shape],
        children: dict[str, tuple[str, XmlConverter, str]],
        attributes: dict[str, tuple[str, Callable[[str], Any]]],
    ) -> None:
        for name, member in members.items():
            serialized_name = wire_name(member, name)
            if member.serialization.get("xmlAttribute"):
                attributes[local_name(serialized_name.rpartition(":")[2])] = (name, text_converter(member))
                continue
            flattened = bool(member.serialization.get("flattened"))
            if flattened and isinstance(member, ListShape):
                children[serialized_name] = (name, self.converter(member.member), _REPEATED_ITEM)
            elif flattened and isinstance(member, MapShape):
                children[serialized_name] = (name, _entry_of(member, self), _REPEATED_ENTRY)
            else:
                children[serialized_name] = (name, self.converter(member), _SINGLE)


def _structure_of(
    children: dict[str, tuple[str, XmlConverter, str]],
    attributes: dict[str, tuple[str, Callable[[str], Any]]],
) -> XmlConverter:
    def convert(element: ElementTree.Element) -> dict[str, Any]:
        result: dict[str, Any] = {}
        if attributes:
            for attribute, text in element.attrib.items():
                entry = attributes.get(local_name(attribute).rpartition(":")[2])
                if entry is not None:
                    result[entry[0]] = entry[1](text)
        for child in element:
            plan = children.get(local_name(child.tag))
            if plan is None:
                continue
            name, convert_child, form = plan
            if form == _SINGLE:
                result[name] = convert_child(child)
            elif form == _REPEATED_ITEM:
                result.setdefault(name, []).append(convert_child(child))
            else:
                entry_key, entry_value = convert_child(child)
                result.setdefault(name, {})[entry_key] = entry_value
        return result

    return convert


def _list_of(item: XmlConverter) -> XmlConverter:
    def convert(element: ElementTree.Element) -> list[Any]:
        return [item(child) for child in element]

    return convert


def _pair_of(key_name: str, key: XmlConverter, value_name: str, value: XmlConverter) -> XmlConverter:
    def convert(entry: ElementTree.Element) -> tuple[Any, Any]:
        key_element = value_element = None
        for part in entry:
            part_name = local_name(part.tag)
            if part_name == key_name:
                key_element = part
            elif part_name == value_name:
                value_element = part
        if key_element is None or value_element is None:
            raise MalformedInput("map entry without key or value")
        return key(key_element), value(value_element)

    return convert


def _entry_of(shape: MapShape, reader: XmlReader) -> XmlConverter:
    """One entry of a flattened map, as a (key, value) pair."""
    return _pair_of(
        wire_name(shape.key, "key"),
        reader.converter(shape.key),
        wire_name(shape.value, "value"),
        reader.converter(shape.value),
    )


def _map_of(key_name: str, key: XmlConverter, value_name: str, value: XmlConverter) -> XmlConverter:
    pair = _pair_of(key_name, key, value_name, value)

    def convert(element: ElementTree.Element) -> dict[Any, Any]:
        return dict(pair(entry) for entry in element)

    return convert


def _scalar(from_text: Callable[[str], Any]) -> XmlConverter:
    def convert(element: ElementTree.Element) -> Any:
        return from_text(element.text or "")

    return convert
