"""LabelParameterVersion and UnlabelParameterVersion, with AWS's label rules.

A label is 1-100 letters, digits, `.`, `-` or `_`, not starting with a digit nor with "aws" or "ssm"
(any case). Labels breaking the rules are answered in InvalidLabels, not as an error. A label names
one version of a parameter at a time: labelling another version moves it. A version holds at most 10.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.ssm import events
from strongroom.services.ssm.names import parameter_arn, parse_reference
from strongroom.services.ssm.plugin import note_parameter, parameter_resource, service
from strongroom.services.ssm.store import (
    find_parameter,
    label_row,
    not_found,
    transaction,
    version_not_found,
    version_row,
)
from strongroom.services.ssm.tables import SsmParameter, SsmParameterLabel

MAX_LABELS_PER_VERSION = 10
_LABEL = re.compile(r"[a-zA-Z0-9_.\-]{1,100}")
LABEL_LIMIT = "A parameter version can have a maximum of ten labels."


def is_valid_label(label: str) -> bool:
    return bool(_LABEL.fullmatch(label)) and not label[0].isdigit() and not label.lower().startswith(("aws", "ssm"))


def _labels_on(session: Any, parameter: SsmParameter, version: int) -> int:
    return session.scalar(select(func.count()).select_from(SsmParameterLabel).where(
        SsmParameterLabel.account_id == parameter.account_id, SsmParameterLabel.region == parameter.region,
        SsmParameterLabel.name == parameter.name, SsmParameterLabel.version == version,
    )) or 0


@service.operation("LabelParameterVersion", resources=parameter_resource())
def label_parameter_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reference = parse_reference(ctx, params["Name"], selectors=False)
    arn = parameter_arn(ctx, reference.key, reference.account_id)
    note_parameter(ctx, arn)
    labels = list(dict.fromkeys(params["Labels"]))
    invalid = [label for label in labels if not is_valid_label(label)]
    valid = [label for label in labels if label not in invalid]
    with transaction(ctx) as session:
        parameter = find_parameter(session, reference.account_id, ctx.region, reference.key)
        if parameter is None:
            raise not_found(f"Parameter {reference.asked} not found.")
        version = params.get("ParameterVersion", parameter.version)
        if version_row(session, parameter, version) is None:
            raise version_not_found(str(version), reference.asked)
        rows = {label: label_row(session, parameter, label) for label in valid}
        added = [label for label, row in rows.items() if row is None or row.version != version]
        if _labels_on(session, parameter, version) + len(added) > MAX_LABELS_PER_VERSION:
            raise ServiceError("ParameterVersionLabelLimitExceeded", LABEL_LIMIT)
        for label in added:
            row = rows[label]
            if row is None:
                session.add(SsmParameterLabel(account_id=parameter.account_id, region=parameter.region,
                                              name=parameter.name, label=label, version=version))
            else:
                row.version = version
        if valid:
            events.parameter_changed(session, parameter, arn, "LabelParameterVersion", ctx.clock.now())
    return {"InvalidLabels": invalid, "ParameterVersion": version}


@service.operation("UnlabelParameterVersion", resources=parameter_resource())
def unlabel_parameter_version(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reference = parse_reference(ctx, params["Name"], selectors=False)
    note_parameter(ctx, parameter_arn(ctx, reference.key, reference.account_id))
    version = params["ParameterVersion"]
    removed: list[str] = []
    invalid: list[str] = []
    with transaction(ctx) as session:
        parameter = find_parameter(session, reference.account_id, ctx.region, reference.key)
        if parameter is None:
            raise not_found(f"Parameter {reference.asked} not found.")
        if version_row(session, parameter, version) is None:
            raise version_not_found(str(version), reference.asked)
        for label in dict.fromkeys(params["Labels"]):
            row = label_row(session, parameter, label) if is_valid_label(label) else None
            if row is None or row.version != version:
                invalid.append(label)
            else:
                session.delete(row)
                removed.append(label)
    return {"RemovedLabels": removed, "InvalidLabels": invalid}
