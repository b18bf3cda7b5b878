"""Checks a parsed request against its operation's input shape, as AWS does before any handler.

`validate_input(service, operation, params)` raises `ServiceError` with AWS's Coral-style text,
e.g. `1 validation error detected: Value '' at 'keyId' failed to satisfy constraint: Member must
have length greater than or equal to 1`, coded `ValidationException` (json / rest protocols) or
`ValidationError` (query protocol: IAM, STS), HTTP 400. At most 10 violations are reported.

Each operation's checker is compiled once per process (see `validation.compiler`) and cached by
service and operation name; checking a valid request walks only the constrained members.
Type mismatches are the parser's concern: a value of an unexpected type is left unchecked.
A valid request usually passes on a quicker predicate (`validation.acceptance`) and never meets
the checker, which words the report whenever that predicate does not say yes.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import OperationModel, ServiceModel, StructureShape

from strongroom.errors import ServiceError
from strongroom.wire.specs import protocol_of
from strongroom.wire.validation.acceptance import Accept, AcceptanceCompiler
from strongroom.wire.validation.compiler import Checker, ShapeCompiler
from strongroom.wire.validation.nul import NUL_CONSTRAINT, nul_paths
from strongroom.wire.validation.render import ValueRenderer, lower_camel
from strongroom.wire.validation.violations import EnoughViolations, Violations


@dataclass(frozen=True)
class OperationValidator:
    """The compiled checks of one operation's input, and the error code its protocol uses."""

    check: Checker | None
    error_code: str
    # True only for params the checker would find nothing in; False means "ask the checker".
    accepts: Accept | None = None

    def violations(self, params: Any) -> Violations:
        """Everything (up to AWS's reporting limit) that `params` breaks."""
        found = Violations()
        if self.check is not None and params is not None:
            with contextlib.suppress(EnoughViolations):  # the report is full
                self.check(params, "", found)
        return found


# Members AWS cannot do without that the botocore model (as shipped) leaves optional: AWS answers their
# absence with its usual `Member must not be null`, before any handler, and so does the validator.
REQUIRED_BEYOND_MODEL: dict[tuple[str, str], tuple[str, ...]] = {
    ("kms", "Decrypt"): ("CiphertextBlob",),
}

# Top-level strings AWS holds to a least length that the botocore model does not state. A sensitive one
# is left out of the message, as AWS leaves PutParameter's Value out: "Value at 'value' failed to
# satisfy constraint: Member must have length greater than or equal to 1".
LEAST_LENGTH_BEYOND_MODEL: dict[tuple[str, str], dict[str, int]] = {
    ("ssm", "PutParameter"): {"Value": 1},
}

_compilers: dict[str, tuple[ShapeCompiler, AcceptanceCompiler]] = {}
_validators: dict[tuple[str, str], OperationValidator] = {}
_compile_lock = threading.Lock()


def _error_code(service: ServiceModel) -> str:
    return "ValidationError" if protocol_of(service) == "query" else "ValidationException"


def validator_for(service: ServiceModel, operation: OperationModel) -> OperationValidator:
    """The cached validator of `operation`, compiled on first use."""
    cache_key = (service.service_name, operation.name)
    validator = _validators.get(cache_key)
    if validator is not None:
        return validator
    with _compile_lock:
        validator = _validators.get(cache_key)
        if validator is None:
            compilers = _compilers.get(service.service_name)
            if compilers is None:
                checks = ShapeCompiler(ValueRenderer(service.endpoint_prefix))
                compilers = checks, AcceptanceCompiler(checks)
                _compilers[service.service_name] = compilers
            checks, acceptance = compilers
            shape = operation.input_shape
            check = checks.checker(shape) if shape is not None else None
            accepts = acceptance.acceptor(shape) if shape is not None else None
            rules = _rules_beyond_model(cache_key, shape)
            if rules:
                check, accepts = _also_holding(rules, check, accepts)
            validator = OperationValidator(check, _error_code(service), accepts)
            _validators[cache_key] = validator
    return validator


@dataclass(frozen=True)
class _TopLevelRule:
    """One constraint AWS holds a top-level member to that the model does not state."""

    name: str
    segment: str  # the member as violations name it
    breaks: Callable[[Any], bool]  # of the member's value (None when absent)
    render: Callable[[Any], str] | None  # None: a sensitive value, never printed
    constraint: str


def _rules_beyond_model(operation: tuple[str, str], shape: StructureShape | None) -> list[_TopLevelRule]:
    """The rules of REQUIRED_BEYOND_MODEL and LEAST_LENGTH_BEYOND_MODEL for `operation`."""
    rules = [_TopLevelRule(name, lower_camel(name), _absent, str, "Member must not be null")
             for name in REQUIRED_BEYOND_MODEL.get(operation, ())]
    for name, length in LEAST_LENGTH_BEYOND_MODEL.get(operation, {}).items():
        sensitive = shape is not None and shape.members[name].metadata.get("sensitive")
        rules.append(_TopLevelRule(
            name, lower_camel(name), functools.partial(_shorter_than, length), None if sensitive else str,
            f"Member must have length greater than or equal to {length}",
        ))
    return rules


def _absent(value: Any) -> bool:
    return value is None


def _shorter_than(length: int, value: Any) -> bool:
    return isinstance(value, str) and len(value) < length


def _also_holding(rules: list[_TopLevelRule], check: Checker | None, accepts: Accept | None) -> tuple[Checker, Accept]:
    """`check` and `accepts` that also hold the top-level members to `rules`."""

    def checked(value: Any, path: str, violations: Violations) -> None:
        if isinstance(value, Mapping):
            for rule in rules:
                member = value.get(rule.name)
                if rule.breaks(member):
                    violations.add(rule.segment, member, rule.render, rule.constraint)
        if check is not None:
            check(value, path, violations)

    def accepted(value: Any) -> bool:
        if value.__class__ is not dict or any(rule.breaks(value.get(rule.name)) for rule in rules):
            return False
        return accepts is None or accepts(value)

    return checked, accepted


def validate_input(service: ServiceModel, operation: OperationModel, params: dict[str, Any]) -> None:
    """Raise `ServiceError` (400) when `params` breaks the constraints of the operation's input."""
    validator = validator_for(service, operation)
    if validator.check is None or (validator.accepts is not None and validator.accepts(params)):
        return
    found = validator.violations(params)
    if found.lines:
        raise ServiceError(validator.error_code, found.message(), status=400)


def nul_refusal(service: ServiceModel, operation: OperationModel, params: Any) -> ServiceError:
    """The validation error answering a call whose NUL characters the store cannot hold (see
    `validation.nul`): one violation per member holding one, the values never echoed."""
    found = Violations()
    with contextlib.suppress(EnoughViolations):
        for path in dict.fromkeys(nul_paths(operation.input_shape, params)):
            found.add(path, "", None, NUL_CONSTRAINT)
    if not found.lines:
        return ServiceError(_error_code(service), "The request holds a null character (U+0000).", status=400)
    return ServiceError(_error_code(service), found.message(), status=400)

