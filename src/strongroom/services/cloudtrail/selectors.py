"""Event selectors: which records a trail logs. PutEventSelectors, GetEventSelectors, and the matcher.

A trail has either basic selectors (management events by read/write type, data events by resource
type and ARN prefix) or advanced ones (field selectors on eventCategory, eventSource, eventName,
readOnly, resources.type, resources.ARN, ...); a record is logged if any selector matches it.
Without custom selectors a trail logs every management event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.cloudtrail.plugin import find_trail, service, trail_resource, transaction
from strongroom.services.cloudtrail.tables import CloudTrailTrail

DEFAULT_SELECTORS: list[dict[str, Any]] = [{
    "ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
    "ExcludeManagementEventSources": [],
}]
MAX_BASIC_SELECTORS = 5
MAX_DATA_RESOURCE_VALUES = 250
MAX_ADVANCED_SELECTORS = 500
DATA_RESOURCE_TYPES = frozenset({"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"})
ADVANCED_FIELDS = frozenset({
    "eventCategory", "eventSource", "eventName", "eventType", "readOnly", "resources.type", "resources.ARN",
    "userIdentity.arn", "errorCode", "sessionCredentialFromConsole", "vpcEndpointId", "eventTypeName",
})
MANAGEMENT_FIELDS = frozenset({"eventCategory", "readOnly", "eventSource"})
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
GLOBAL_EVENT_SOURCES = frozenset({"iam.amazonaws.com", "cloudfront.amazonaws.com", "route53.amazonaws.com"})


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidEventSelectorsException", message)


def has_custom_selectors(trail: CloudTrailTrail) -> bool:
    return trail.event_selectors is not None or trail.advanced_event_selectors is not None


def check_basic(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(selectors) > MAX_BASIC_SELECTORS:
        raise _invalid(f"You can have no more than {MAX_BASIC_SELECTORS} event selectors for a trail.")
    normalized = []
    values = 0
    for selector in selectors:
        resources = []
        for resource in selector.get("DataResources", []):
            if resource.get("Type") not in DATA_RESOURCE_TYPES:
                raise _invalid(f"Value {resource.get('Type')} for parameter DataResources.Type is invalid.")
            values += len(resource.get("Values", []))
            resources.append({"Type": resource["Type"], "Values": list(resource.get("Values", []))})
        normalized.append({
            "ReadWriteType": selector.get("ReadWriteType", "All"),
            "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
            "DataResources": resources,
            "ExcludeManagementEventSources": list(selector.get("ExcludeManagementEventSources", [])),
        })
    if values > MAX_DATA_RESOURCE_VALUES:
        raise _invalid(f"You can specify no more than {MAX_DATA_RESOURCE_VALUES} data resource values for a trail.")
    return normalized


def check_advanced(selectors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if len(selectors) > MAX_ADVANCED_SELECTORS:
        raise _invalid(f"You can have no more than {MAX_ADVANCED_SELECTORS} advanced event selectors.")
    for selector in selectors:
        fields = selector["FieldSelectors"]
        names = [field["Field"] for field in fields]
        for field in fields:
            if field["Field"] not in ADVANCED_FIELDS:
                raise _invalid(f"Invalid field {field['Field']} in advanced event selector.")
            if not any(field.get(operator) for operator in OPERATORS):
                raise _invalid(f"Field {field['Field']} must specify at least one operator.")
        category = next((field for field in fields if field["Field"] == "eventCategory"), None)
        if category is None or not category.get("Equals"):
            raise _invalid("Each advanced event selector must have an eventCategory field with the Equals operator.")
        if len(set(names)) != len(names):
            raise _invalid("Each field can only appear once in an advanced event selector.")
        if "Management" in category["Equals"] and set(names) - MANAGEMENT_FIELDS:
            raise _invalid("For management events, only eventCategory, readOnly and eventSource fields are allowed.")
    return selectors


@service.operation("PutEventSelectors", resources=trail_resource("TrailName"))
def put_event_selectors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    basic, advanced = params.get("EventSelectors"), params.get("AdvancedEventSelectors")
    if (basic is None) == (advanced is None):
        raise _invalid("You must specify either EventSelectors or AdvancedEventSelectors, but not both.")
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["TrailName"], change=True, lock=True)
        if basic is not None:
            trail.event_selectors = orjson.dumps(check_basic(basic)).decode()
            trail.advanced_event_selectors = None
        elif advanced is not None:  # always, since exactly one of the two is given
            trail.advanced_event_selectors = orjson.dumps(check_advanced(advanced)).decode()
            trail.event_selectors = None
        return {"TrailARN": trail.arn, **_selectors_of(trail)}


@service.operation("GetEventSelectors", resources=trail_resource("TrailName"))
def get_event_selectors(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["TrailName"])
        return {"TrailARN": trail.arn, **_selectors_of(trail)}


def _selectors_of(trail: CloudTrailTrail) -> dict[str, Any]:
    if trail.advanced_event_selectors is not None:
        return {"AdvancedEventSelectors": orjson.loads(trail.advanced_event_selectors)}
    if trail.event_selectors is not None:
        return {"EventSelectors": orjson.loads(trail.event_selectors)}
    return {"EventSelectors": DEFAULT_SELECTORS}


class TrailFilter:
    """Decides, for one trail, whether it logs a record (its regions, global events and selectors)."""

    def __init__(self, trail: CloudTrailTrail) -> None:
        self.home_region = trail.home_region
        self.multi_region = trail.multi_region
        self.include_global = trail.include_global_events
        self.basic = orjson.loads(trail.event_selectors) if trail.event_selectors else None
        self.advanced = orjson.loads(trail.advanced_event_selectors) if trail.advanced_event_selectors else None
        if self.basic is None and self.advanced is None:
            self.basic = DEFAULT_SELECTORS

    def in_scope(self, region: str) -> bool:
        return self.multi_region or region == self.home_region

    def logs(self, record: dict[str, Any]) -> bool:
        if record.get("eventSource") in GLOBAL_EVENT_SOURCES and not self.include_global:
            return False
        if self.advanced is not None:
            return any(_advanced_match(selector, record) for selector in self.advanced)
        return any(_basic_match(selector, record) for selector in self.basic or [])


def _basic_match(selector: dict[str, Any], record: dict[str, Any]) -> bool:
    read_only = bool(record.get("readOnly"))
    kind = selector.get("ReadWriteType", "All")
    if (kind == "ReadOnly" and not read_only) or (kind == "WriteOnly" and read_only):
        return False
    if record.get("managementEvent", True):
        return bool(selector.get("IncludeManagementEvents", True)) and (
            record.get("eventSource") not in selector.get("ExcludeManagementEventSources", []))
    for data in selector.get("DataResources", []):
        for resource in record.get("resources") or []:
            if resource.get("type") != data["Type"]:
                continue
            resource_arn = str(resource.get("ARN", ""))
            for value in data.get("Values", []):
                everything = value.count(":") <= 2  # "arn:aws:s3": every resource of the type
                if everything or resource_arn.startswith(value):
                    return True
    return False


def _field_values(field: str, record: dict[str, Any]) -> list[str]:
    if field == "resources.type":
        return [str(item.get("type", "")) for item in record.get("resources") or []]
    if field == "resources.ARN":
        return [str(item.get("ARN", "")) for item in record.get("resources") or []]
    if field == "userIdentity.arn":
        return [str((record.get("userIdentity") or {}).get("arn", ""))]
    if field == "eventCategory":
        return [str(record.get("eventCategory", "Management"))]
    value = record.get(field)
    if isinstance(value, bool):
        return ["true" if value else "false"]
    return [] if value is None else [str(value)]


def _advanced_match(selector: dict[str, Any], record: dict[str, Any]) -> bool:
    for field in selector["FieldSelectors"]:
        # A multi-valued field (a record's resources) matches when one of its values does.
        values = _field_values(field["Field"], record)
        if not any(_field_match(field, value) for value in values):
            return False
    return True


def _field_match(field: dict[str, Any], value: str) -> bool:
    positive: list[tuple[list[str] | None, Callable[[str], bool]]] = [
        (field.get("Equals"), lambda v: value == v),
        (field.get("StartsWith"), value.startswith),
        (field.get("EndsWith"), value.endswith),
    ]
    negative: list[tuple[list[str] | None, Callable[[str], bool]]] = [
        (field.get("NotEquals"), lambda v: value == v),
        (field.get("NotStartsWith"), value.startswith),
        (field.get("NotEndsWith"), value.endswith),
    ]
    for candidates, test in positive:
        if candidates and not any(test(candidate) for candidate in candidates):
            return False
    return not any(candidates and any(test(candidate) for candidate in candidates) for candidates, test in negative)
