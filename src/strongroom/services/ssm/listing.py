"""GetParametersByPath and DescribeParameters: parameters in name order, filtered, a page at a time.

Candidates are read from the store in name order after the page token, narrowed in SQL by path,
then by the filters; a page may hold fewer than MaxResults and still carry a NextToken, as AWS's do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.ssm import filters, policies
from strongroom.services.ssm.filters import Candidate, Filter
from strongroom.services.ssm.names import check_path, parameter_arn, parameter_arn_in
from strongroom.services.ssm.plugin import note_parameter, path_resource, service
from strongroom.services.ssm.reads import Rendered, fill_value, render
from strongroom.services.ssm.store import (
    INVALID_TOKEN,
    aware,
    decode_token,
    encode_token,
    labels_by_version,
    transaction,
    version_row,
)
from strongroom.services.ssm.tables import SsmParameter, SsmParameterTag

BY_PATH_PAGE = 10
DESCRIBE_PAGE = 50
SCAN_BATCH = 200
# A page stops after reading this many candidates, so a filter that matches little can't hold a request long.
SCAN_LIMIT = 5000


def _labels(session: Session, parameter: SsmParameter) -> Callable[[], dict[str, int]]:
    def load() -> dict[str, int]:
        return {label: version for version, labels in labels_by_version(session, parameter).items()
                for label in labels}
    return load


def _tags(session: Session, parameter: SsmParameter) -> Callable[[], dict[str, str]]:
    def load() -> dict[str, str]:
        return {row.tag_key: row.tag_value for row in session.scalars(select(SsmParameterTag).where(
            SsmParameterTag.account_id == parameter.account_id, SsmParameterTag.region == parameter.region,
            SsmParameterTag.name == parameter.name,
        ))}
    return load


def scan(
    session: Session, ctx: RequestContext, narrowing: list[ColumnElement[bool]], checks: list[Filter],
    limit: int, token: str | None,
) -> tuple[list[Candidate], str | None]:
    """Up to `limit` matching parameters after `token`, and the token of the next page (None at the end)."""
    position = decode_token(token)
    if position is not None and not position.startswith("/"):
        raise ServiceError("InvalidNextToken", INVALID_TOKEN)
    found: list[Candidate] = []
    read = 0
    while True:
        query = select(SsmParameter).where(
            SsmParameter.account_id == ctx.account_id, SsmParameter.region == ctx.region, *narrowing,
        )
        if position is not None:
            query = query.where(SsmParameter.name > position)
        batch = list(session.scalars(query.order_by(SsmParameter.name).limit(SCAN_BATCH)))
        for parameter in batch:
            position, read = parameter.name, read + 1
            candidate = Candidate(parameter, _labels(session, parameter), _tags(session, parameter))
            if all(check.matches(candidate) for check in checks):
                found.append(candidate)
                if len(found) > limit:
                    return found[:limit], encode_token(found[limit - 1].parameter.name)
            if read >= SCAN_LIMIT and found:
                return found, encode_token(position)
        if len(batch) < SCAN_BATCH:
            return found, None


def _path_narrowing(path: str, recursive: bool) -> list[ColumnElement[bool]]:
    if not recursive:
        return [SsmParameter.parent == path]
    if path == "/":
        return []
    return [SsmParameter.name.startswith(f"{path}/", autoescape=True)]


@service.operation("GetParametersByPath", resources=path_resource)
def get_parameters_by_path(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    path = check_path(params["Path"])
    note_parameter(ctx, parameter_arn(ctx, path))
    recursive = bool(params.get("Recursive", False))
    checks = filters.parse(params.get("ParameterFilters", []), allowed_keys=filters.BY_PATH_KEYS)
    checks.append(Filter("Path", filters.RECURSIVE if recursive else filters.ONE_LEVEL, [path]))
    label_filter = next((check for check in checks if check.key == "Label"), None)
    rendered: list[Rendered] = []
    with transaction(ctx) as session:
        page, next_token = scan(session, ctx, _path_narrowing(path, recursive), checks,
                                params.get("MaxResults", BY_PATH_PAGE), params.get("NextToken"))
        for candidate in page:
            parameter, version, selector = candidate.parameter, candidate.parameter.version, None
            if label_filter is not None:
                # The version the asked label names, as a `name:label` read would answer.
                labels = candidate.labels()
                selector = next(label for label in label_filter.values if label in labels)
                version = labels[selector]
            row = version_row(session, parameter, version)
            if row is None:
                continue
            item = render(parameter, row, parameter.display_name)
            if selector is not None:
                item.output["Selector"] = f":{selector}"
            rendered.append(item)
    with_decryption = bool(params.get("WithDecryption", False))
    result: dict[str, Any] = {"Parameters": [fill_value(ctx, item, with_decryption) for item in rendered]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


@service.operation("DescribeParameters")
def describe_parameters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("Filters") and params.get("ParameterFilters"):
        raise ServiceError("ValidationException",
                           "You can use either Filters or ParameterFilters in a single request.")
    if params.get("Shared"):
        # Parameters shared from other accounts (AWS RAM) aren't served: none are shared with anyone.
        return {"Parameters": []}
    checks = filters.parse_legacy(params["Filters"]) if params.get("Filters") else \
        filters.parse(params.get("ParameterFilters", []))
    narrowing: list[ColumnElement[bool]] = []
    path_filter = next((check for check in checks if check.key == "Path"), None)
    if path_filter is not None and len(path_filter.values) == 1:
        narrowing = _path_narrowing(path_filter.values[0], path_filter.option == filters.RECURSIVE)
    with transaction(ctx) as session:
        page, next_token = scan(session, ctx, narrowing, checks, params.get("MaxResults", DESCRIBE_PAGE),
                                params.get("NextToken"))
        described = [_metadata(session, candidate.parameter) for candidate in page]
    result: dict[str, Any] = {"Parameters": described}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


def _metadata(session: Session, parameter: SsmParameter) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "Name": parameter.display_name, "ARN": parameter_arn_in(parameter.region, parameter.account_id,
                                                                parameter.name),
        "Type": parameter.type, "LastModifiedDate": aware(parameter.modified_at),
        "LastModifiedUser": parameter.modified_by, "Version": parameter.version, "Tier": parameter.tier,
        "Policies": policies.statuses(session, parameter, parameter.policies), "DataType": parameter.data_type,
    }
    for member, value in (("KeyId", parameter.key_id), ("Description", parameter.description),
                          ("AllowedPattern", parameter.allowed_pattern)):
        if value is not None:
            metadata[member] = value
    return metadata
