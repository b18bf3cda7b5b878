"""Property: inputs built to satisfy every constraint of the model are never rejected.

The generator below is deliberately independent of the validator: it reads the shapes itself and
produces values inside each bound, drawing pattern-constrained strings from the pattern (with
Unicode categories narrowed to sample ranges, so every drawn string is a valid one).
"""

from __future__ import annotations

import datetime
import re
from functools import cache
from typing import Any

import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.wire.specs import load_service
from strongroom.wire.validate import LEAST_LENGTH_BEYOND_MODEL, REQUIRED_BEYOND_MODEL, validate_input
from strongroom.wire.validation.java_regex import translate

# A few characters of each Unicode category, enough to exercise \p{..} with valid text.
CATEGORY_SAMPLES = {
    "L": "a-zA-Zà-öø-ÿА-я",
    "Z": " \\u00a0\\u2003",
    "N": "0-9\\u0660-\\u0669",
    "P": "!-#%-*,-/:;?@_{}\\u00a1",
    "M": "\\u0300-\\u036f",
    "S": "$+<->^`|~",
}
LONGEST_DRAWN = 40  # generated strings/blobs/lists stay short to keep the test fast


def stdlib_regex(java_source: str) -> str:
    """The pattern in `re` syntax, with \\p{X} replaced by a sample subset of category X."""
    python_source, _ = translate(java_source)
    out, depth, index = [], 0, 0
    while index < len(python_source):
        char = python_source[index]
        if char == "\\" and python_source.startswith(("p{", "P{"), index + 1):
            end = python_source.index("}", index)
            body = CATEGORY_SAMPLES[python_source[index + 3 : end]]
            assert python_source[index + 1] == "p", "negated categories are not sampled"
            out.append(body if depth else f"[{body}]")
            index = end + 1
            continue
        if char == "\\":
            out.append(python_source[index : index + 2])
            index += 2
            continue
        depth += {"[": 1, "]": -1}.get(char, 0) if (char == "[" or depth) else 0
        out.append(char)
        index += 1
    return "".join(out)


def strings(shape: Shape) -> st.SearchStrategy[str]:
    meta = shape.metadata
    if meta.get("enum"):
        return st.sampled_from(meta["enum"])
    low, high = meta.get("min", 0), meta.get("max", LONGEST_DRAWN)
    if meta.get("pattern"):
        drawn = st.from_regex(re.compile(stdlib_regex(meta["pattern"])), fullmatch=True)
        return drawn.filter(lambda text: low <= len(text) <= high)
    return st.text(min_size=low, max_size=min(high, low + LONGEST_DRAWN))


def satisfying(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of `shape` inside every bound the model sets."""
    meta, kind = shape.metadata, shape.type_name
    low = meta.get("min", 0)
    if kind == "string":
        return strings(shape)
    if kind == "blob":
        return st.binary(min_size=low, max_size=min(meta.get("max", LONGEST_DRAWN), low + LONGEST_DRAWN))
    if kind in ("integer", "long"):
        return st.integers(min_value=meta.get("min"), max_value=meta.get("max"))
    if kind in ("float", "double"):
        return st.floats(min_value=meta.get("min"), max_value=meta.get("max"), allow_nan=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "timestamp":
        return st.datetimes(timezones=st.just(datetime.UTC))
    high = min(meta.get("max", 3), low + 3)
    if kind == "list":
        return st.lists(satisfying(shape.member, depth + 1), min_size=low, max_size=high)
    if kind == "map":
        keys, values = satisfying(shape.key, depth + 1), satisfying(shape.value, depth + 1)
        return st.dictionaries(keys, values, min_size=low, max_size=high)
    required = set(shape.required_members)
    members = shape.members.items()
    return st.fixed_dictionaries(
        {name: satisfying(member, depth + 1) for name, member in members if name in required},
        optional={}
        if depth > 3
        else {name: satisfying(member, depth + 1) for name, member in members if name not in required},
    )


@cache
def inputs_of(service_name: str, operation_name: str) -> st.SearchStrategy[Any]:
    shape = load_service(service_name).operation_model(operation_name).input_shape
    inputs = satisfying(shape)
    # Strings AWS holds to a least length beyond the model (see LEAST_LENGTH_BEYOND_MODEL) are long enough.
    least = LEAST_LENGTH_BEYOND_MODEL.get((service_name, operation_name), {})
    if least:
        inputs = inputs.map(lambda params: {
            name: value.ljust(least[name], "x") if name in least and isinstance(value, str) else value
            for name, value in params.items()
        })
    # What AWS requires beyond the model as shipped (see REQUIRED_BEYOND_MODEL) is always given.
    extra = REQUIRED_BEYOND_MODEL.get((service_name, operation_name), ())
    if not extra:
        return inputs
    given = st.fixed_dictionaries({name: satisfying(shape.members[name], 1) for name in extra})
    return st.tuples(inputs, given).map(lambda drawn: {**drawn[0], **drawn[1]})


OPERATIONS = [
    ("kms", "Encrypt"),
    ("kms", "Decrypt"),
    ("kms", "CreateKey"),
    ("kms", "TagResource"),
    ("kms", "CreateAlias"),
    ("kms", "ScheduleKeyDeletion"),
    ("kms", "GenerateDataKey"),
    ("kms", "CreateGrant"),
    ("secretsmanager", "CreateSecret"),
    ("secretsmanager", "ListSecrets"),
    ("secretsmanager", "GetRandomPassword"),
    ("ssm", "PutParameter"),
    ("ssm", "GetParametersByPath"),
    ("ssm", "StartAutomationExecution"),
    ("iam", "CreateUser"),
    ("iam", "TagUser"),
    ("iam", "CreateRole"),
    ("iam", "ListUsers"),
    ("iam", "UntagUser"),
    ("sts", "AssumeRole"),
]


@pytest.mark.parametrize(("service_name", "operation_name"), OPERATIONS)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_inputs_satisfying_the_model_are_accepted(service_name: str, operation_name: str, data: st.DataObject) -> None:
    params = data.draw(inputs_of(service_name, operation_name), label="params")
    service = load_service(service_name)
    validate_input(service, service.operation_model(operation_name), params)
