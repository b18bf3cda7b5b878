"""ParameterFilters (GetParametersByPath, DescribeParameters) and DescribeParameters' older Filters, as AWS checks them.

Each filter keeps parameters it matches; all filters must match. Path filters choose the scope
(OneLevel: directly under the path; Recursive: anywhere below it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from strongroom.errors import ServiceError
from strongroom.services.ssm.names import check_path
from strongroom.services.ssm.tables import SsmParameter

EQUALS, BEGINS_WITH, CONTAINS = "Equals", "BeginsWith", "Contains"
RECURSIVE, ONE_LEVEL = "Recursive", "OneLevel"
BY_PATH_KEYS = ("Type", "KeyId", "Label")


@dataclass
class Candidate:
    """A parameter being filtered; labels and tags are loaded only when a filter asks for them."""

    parameter: SsmParameter
    labels: Callable[[], dict[str, int]]
    tags: Callable[[], dict[str, str]]


@dataclass
class Filter:
    key: str
    option: str
    values: list[str] = field(default_factory=list)

    def matches(self, candidate: Candidate) -> bool:
        parameter = candidate.parameter
        if self.key == "Path":
            return any(_in_path(parameter, value, self.option == RECURSIVE) for value in self.values)
        if self.key == "Label":
            return any(label in candidate.labels() for label in self.values)
        if self.key.startswith("tag:"):
            tags = candidate.tags()
            tag_key = self.key[4:]
            return tag_key in tags and (not self.values or tags[tag_key] in self.values)
        if self.key == "Name":
            names = (parameter.name, parameter.display_name)
            return any(_compare(self.option, name, value) for value in self.values for name in names)
        attribute = {"Type": parameter.type, "KeyId": parameter.key_id, "Tier": parameter.tier,
                     "DataType": parameter.data_type}[self.key]
        return attribute is not None and any(_compare(self.option, attribute, value) for value in self.values)


def _compare(option: str, actual: str, wanted: str) -> bool:
    if option == BEGINS_WITH:
        return actual.startswith(wanted)
    if option == CONTAINS:
        return wanted in actual
    if option == EQUALS and actual.startswith("/") and not wanted.startswith("/"):
        return actual == f"/{wanted}" or actual == wanted
    return actual == wanted


def _in_path(parameter: SsmParameter, path: str, recursive: bool) -> bool:
    if recursive:
        return path == "/" or parameter.name.startswith(f"{path}/")
    return parameter.parent == path


def _options_for(key: str) -> tuple[str, ...]:
    if key == "Path":
        return (RECURSIVE, ONE_LEVEL)
    if key == "Name":
        return (EQUALS, BEGINS_WITH, CONTAINS)
    if key == "Label" or key.startswith("tag:"):
        return (EQUALS,)
    return (EQUALS, BEGINS_WITH)


def _invalid_option(option: str, valid: tuple[str, ...]) -> ServiceError:
    return ServiceError(
        "InvalidFilterOption",
        f"The following filter option is not valid: {option}. Valid options include: [{', '.join(valid)}].",
    )


def parse(raw: list[dict[str, Any]], *, allowed_keys: tuple[str, ...] | None = None) -> list[Filter]:
    """Filters as given, checked: known keys and options, values present, no key twice."""
    filters: list[Filter] = []
    seen: set[str] = set()
    for item in raw:
        key = item["Key"]
        if allowed_keys is not None and key not in allowed_keys:
            raise ServiceError(
                "InvalidFilterKey",
                f"The following filter key is not valid: {key}. "
                f"Valid filter keys include: [{', '.join(allowed_keys)}].",
            )
        if key in seen:
            raise ServiceError("ValidationException", f"The following filter is duplicated in the request: {key}. "
                               "A request can contain only one occurrence of a specific filter.")
        seen.add(key)
        valid = _options_for(key)
        option = item.get("Option", ONE_LEVEL if key == "Path" else EQUALS)
        if option not in valid:
            raise _invalid_option(option, valid)
        values = list(item.get("Values", []))
        if not values and not key.startswith("tag:"):
            raise ServiceError("InvalidFilterValue",
                               f"The following filter values are missing : null for filter key {key}.")
        if key == "Path":
            values = [check_path(value) for value in values]
        if key == "Label":
            for value in values:
                if not value or len(value) > 100:
                    raise ServiceError("InvalidFilterValue", f"The following filter value is not valid: {value}.")
        filters.append(Filter(key, option, values))
    return filters


def parse_legacy(raw: list[dict[str, Any]]) -> list[Filter]:
    """DescribeParameters' Filters: Name, Type or KeyId, each equal to one of its values."""
    return [Filter(item["Key"], EQUALS, list(item["Values"])) for item in raw]
