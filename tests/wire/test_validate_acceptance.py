"""Property: the quick acceptance predicate says yes only where the reporting checker finds nothing,
and it does say yes to inputs built to satisfy the model (so valid requests take the quick path).

Inputs are drawn around every constraint: at the bounds and one past them, outside enums and
patterns, of the wrong type, missing required members, nulls inside lists and maps.
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pytest
from botocore.model import Shape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.wire.specs import load_service
from strongroom.wire.validate import validator_for
from strongroom.wire.validation.compiler import value_bounds
from tests.wire.test_validate_property import OPERATIONS, inputs_of, satisfying

WIDEST_DRAWN = 64  # bounds past this are probed with one fixed value at and past the bound

_WRONG_TYPES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=3),
    st.binary(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)


def _sized(shape: Shape, make: Any) -> st.SearchStrategy[Any]:
    """Values of `make(n)` for sizes at, inside and just outside the shape's length bounds."""
    low, high = shape.metadata.get("min", 0), shape.metadata.get("max")
    sizes = {0, 1, low, max(low - 1, 0), low + 1}
    if high is not None:
        sizes |= {high, high + 1}
    return st.sampled_from(sorted(sizes)).map(make)


def _strings(shape: Shape) -> st.SearchStrategy[Any]:
    meta = shape.metadata
    options = [st.text(max_size=8), _sized(shape, lambda n: "a" * n), _sized(shape, lambda n: "é" * n)]
    if meta.get("enum"):
        options += [st.sampled_from(meta["enum"]), st.sampled_from(meta["enum"]).map(str.lower)]
    return st.one_of(*options)


def _numbers(shape: Shape) -> st.SearchStrategy[Any]:
    # The model's bounds, else the range of the shape's type (integer 32-bit, long 64-bit).
    meta = value_bounds(shape.type_name, shape.metadata)
    edges = [meta[bound] + step for bound in ("min", "max") if bound in meta for step in (-1, 0, 1)]
    options = [
        st.integers(),
        st.integers().map(lambda n: n * 2**64),  # well past any 64-bit bound
        st.floats(allow_nan=True, allow_infinity=True),
        st.just(math.nan),
    ]
    if edges:
        options += [st.sampled_from(edges), st.sampled_from(edges).map(float)]
    return st.one_of(*options)


def around(shape: Shape, depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of `shape` that sit on, inside or past its constraints, or are not of its type."""
    kind = shape.type_name
    if depth > 4:
        return satisfying(shape, depth)
    if kind == "string":
        drawn = _strings(shape)
    elif kind == "blob":
        drawn = st.one_of(_sized(shape, lambda n: b"\x00" * n), st.binary(max_size=8), st.text(max_size=4))
    elif kind in ("integer", "long", "float", "double"):
        drawn = _numbers(shape)
    elif kind == "list":
        items = around(shape.member, depth + 1)
        drawn = st.one_of(
            st.lists(items, max_size=3),
            st.lists(items, max_size=3).map(tuple),
            _sized(shape, lambda n: [None] * n if n <= WIDEST_DRAWN else []),
        )
    elif kind == "map":
        keys = st.one_of(_strings(shape.key), st.integers(), st.none(), st.binary(max_size=2))  # hashable
        entries = st.dictionaries(keys, around(shape.value, depth + 1), max_size=3)
        drawn = st.one_of(entries, _sized(shape, lambda n: {str(i): None for i in range(min(n, WIDEST_DRAWN))}))
    elif kind == "structure":
        members = {name: around(member, depth + 1) for name, member in shape.members.items()}
        drawn = st.one_of(
            satisfying(shape, depth), st.fixed_dictionaries({}, optional=members), st.fixed_dictionaries(members)
        )
    else:
        drawn = satisfying(shape, depth)
    return st.one_of(drawn, satisfying(shape, depth), _WRONG_TYPES)


@cache
def inputs_around(service_name: str, operation_name: str) -> st.SearchStrategy[Any]:
    # Built once per operation: some patterns' strategies take seconds to build.
    return around(load_service(service_name).operation_model(operation_name).input_shape)


HOT_OPERATIONS = [("kms", name) for name in ("Sign", "Verify", "ReEncrypt", "GenerateMac", "PutKeyPolicy")]
HOT_OPERATIONS += [("ssm", "GetInventory"), ("events", "PutEvents"), ("secretsmanager", "GetSecretValue")]
CASES = OPERATIONS + HOT_OPERATIONS


@pytest.mark.parametrize(("service_name", "operation_name"), CASES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_accepted_inputs_have_no_violation(service_name: str, operation_name: str, data: st.DataObject) -> None:
    service = load_service(service_name)
    operation = service.operation_model(operation_name)
    params = data.draw(inputs_around(service_name, operation_name), label="params")
    validator = validator_for(service, operation)
    assert validator.accepts is not None
    if validator.accepts(params):
        assert validator.violations(params).lines == []


@pytest.mark.parametrize(("service_name", "operation_name"), CASES)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(data=st.data())
def test_inputs_satisfying_the_model_take_the_quick_path(
    service_name: str, operation_name: str, data: st.DataObject
) -> None:
    service = load_service(service_name)
    operation = service.operation_model(operation_name)
    params = data.draw(inputs_of(service_name, operation_name), label="params")
    validator = validator_for(service, operation)
    assert validator.accepts is not None
    assert validator.accepts(params)


def test_recursive_shapes_are_judged_at_every_depth() -> None:
    ssm = load_service("ssm")
    validator = validator_for(ssm, ssm.operation_model("GetInventory"))
    assert validator.accepts is not None

    def nested(depth: int, innermost: list[Any]) -> dict[str, Any]:
        level: dict[str, Any] = {"Expression": "AWS:Application.Name", "Aggregators": innermost}
        for _ in range(depth):
            level = {"Expression": "x", "Aggregators": [level]}
        return {"Aggregators": [level]}

    assert validator.accepts(nested(4, [{"Expression": "y"}]))
    assert not validator.accepts(nested(4, []))  # too short a list, four levels down
    assert not validator.accepts(nested(4, [{"Expression": ""}]))
