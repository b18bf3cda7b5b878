"""Condition operators: compiling a statement's Condition block and testing it against a request.

Semantics, following AWS's IAM reference (condition operators, multivalued context keys):

* Within one operator, several values for a key are ORed; several keys, and several operators,
  are ANDed (the statement's whole Condition block must hold).
* Condition keys are case-insensitive; values are case-sensitive unless the operator says otherwise.
* A key missing from the request makes a positive operator false and a negated one (StringNotEquals,
  NotIpAddress, ArnNotLike, ...) true. `...IfExists` makes a missing key true for both.
* A negated operator holds when the context value matches none of the policy values.
* `ForAllValues:` holds when every context value passes (so a missing key or an empty set holds);
  `ForAnyValue:` holds when at least one does (a missing key or an empty set fails). With a negated
  operator "passes" means "matches none of the policy values".
* Without a set qualifier a multivalued context key behaves like `ForAnyValue:` for a positive
  operator and like its negation for a negated one.
* `Null` tests presence: "true" holds when the key is absent (or an empty set), "false" when present.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from strongroom.auth.policy.errors import MalformedPolicy
from strongroom.auth.policy.matching import PatternPiece, arn_pieces, wildcard_set
from strongroom.auth.policy.variables import (
    Template,
    VariableLookup,
    has_variables,
    parse_template,
    pieces_to_text,
    resolve,
    static_pieces,
)

SYNTAX_ERROR = "Syntax errors in policy."
VENDOR_ERROR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."

# A predicate over one coerced context value: does it match any of the policy's values?
Predicate = Callable[[Any], bool]


def as_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


_EPOCH = re.compile(r"^-?\d+(\.\d+)?$")


def _datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        text = value.strip()
        if _EPOCH.match(text):
            return datetime.fromtimestamp(float(text), UTC)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _boolean(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower()
    return None


def _binary(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _ip(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    if isinstance(value, str):
        try:
            return ipaddress.ip_address(value.strip())
        except ValueError:
            return None
    return None


def _string_equals(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
    wanted = frozenset(pieces_to_text(pieces) for pieces in values)
    return wanted.__contains__


def _string_equals_ignore_case(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
    wanted = frozenset(pieces_to_text(pieces).casefold() for pieces in values)
    return lambda text: text.casefold() in wanted


def _string_like(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
    return wildcard_set(tuple(tuple(pieces) for pieces in values)).matches


def _arn_like(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
    return wildcard_set(tuple(arn_pieces(pieces) for pieces in values)).matches


def _comparison(parse: Callable[[Any], Any], compare: Callable[[Any, Any], bool]) -> Callable[..., Predicate]:
    def build(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
        parsed = [item for item in (parse(pieces_to_text(pieces)) for pieces in values) if item is not None]
        return lambda context_value: any(compare(context_value, wanted) for wanted in parsed)

    return build


def _set_of(parse: Callable[[Any], Any]) -> Callable[..., Predicate]:
    def build(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
        wanted = frozenset(item for item in (parse(pieces_to_text(pieces)) for pieces in values) if item is not None)
        return wanted.__contains__

    return build


def _networks(values: Sequence[Sequence[PatternPiece]]) -> Predicate:
    networks = []
    for pieces in values:
        try:
            networks.append(ipaddress.ip_network(pieces_to_text(pieces).strip(), strict=False))
        except ValueError:
            continue
    return lambda address: any(address in network for network in networks)


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """How one operator reads values: build a predicate from policy values, coerce context values."""

    build: Callable[[Sequence[Sequence[PatternPiece]]], Predicate]
    coerce: Callable[[Any], Any]
    negated: bool
    takes_variables: bool


def _operators() -> dict[str, OperatorSpec]:
    table: dict[str, OperatorSpec] = {}
    for name, build in (
        ("Equals", _string_equals),
        ("EqualsIgnoreCase", _string_equals_ignore_case),
        ("Like", _string_like),
    ):
        table[f"String{name}"] = OperatorSpec(build, as_text, False, True)
        table[f"StringNot{name}"] = OperatorSpec(build, as_text, True, True)
    for family, parse in (("Numeric", _number), ("Date", _datetime)):
        table[f"{family}Equals"] = OperatorSpec(_comparison(parse, operator.eq), parse, False, False)
        table[f"{family}NotEquals"] = OperatorSpec(_comparison(parse, operator.eq), parse, True, False)
        for suffix, compare in (
            ("LessThan", operator.lt),
            ("LessThanEquals", operator.le),
            ("GreaterThan", operator.gt),
            ("GreaterThanEquals", operator.ge),
        ):
            table[f"{family}{suffix}"] = OperatorSpec(_comparison(parse, compare), parse, False, False)
    table["Bool"] = OperatorSpec(_set_of(_boolean), _boolean, False, False)
    table["BinaryEquals"] = OperatorSpec(_set_of(_binary), _binary, False, False)
    table["IpAddress"] = OperatorSpec(_networks, _ip, False, False)
    table["NotIpAddress"] = OperatorSpec(_networks, _ip, True, False)
    # AWS documents ArnEquals and ArnLike as the same test; both take wildcards.
    for name in ("ArnEquals", "ArnLike"):
        table[name] = OperatorSpec(_arn_like, as_text, False, True)
        table[name.replace("Arn", "ArnNot")] = OperatorSpec(_arn_like, as_text, True, True)
    return table


OPERATORS = _operators()
FOR_ALL, FOR_ANY = "ForAllValues", "ForAnyValue"


@dataclass(frozen=True, slots=True)
class Condition:
    """One (operator, key) pair of a Condition block, compiled."""

    operator: str  # as written in the policy, for diagnostics
    key: str  # lower-cased
    qualifier: str | None
    if_exists: bool
    is_null_check: bool
    spec: OperatorSpec | None  # None for Null
    templates: tuple[Template, ...]
    static_predicate: Predicate | None  # precompiled when no value holds a variable

    def holds(self, context: Mapping[str, Any], lookup: VariableLookup) -> bool | None:
        """True/False; None when a variable in the values cannot be resolved."""
        raw = context.get(self.key)
        values = list(raw) if isinstance(raw, list | tuple | set | frozenset) else None if raw is None else [raw]
        if self.is_null_check:
            absent = not values
            return any(pieces_to_text(t).lower() == ("true" if absent else "false") for t in self.templates)
        assert self.spec is not None
        if not values:
            if self.if_exists or self.qualifier == FOR_ALL:
                return True
            return self.spec.negated and self.qualifier is None
        predicate = self.static_predicate
        if predicate is None:
            resolved = [resolve(template, lookup) for template in self.templates]
            if any(pieces is None for pieces in resolved):
                return None
            predicate = self.spec.build([pieces for pieces in resolved if pieces is not None])

        def passes(context_value: Any) -> bool:
            coerced = self.spec.coerce(context_value)  # type: ignore[union-attr]
            hit = coerced is not None and predicate(coerced)
            return not hit if self.spec.negated else hit  # type: ignore[union-attr]

        if self.qualifier == FOR_ALL:
            return all(passes(value) for value in values)
        if self.qualifier == FOR_ANY or not self.spec.negated:
            return any(passes(value) for value in values)
        return all(passes(value) for value in values)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedPolicy(SYNTAX_ERROR)


def _split_operator(name: str) -> tuple[str | None, str, bool]:
    qualifier = None
    base = name
    for prefix in (FOR_ALL, FOR_ANY):
        if name.startswith(prefix + ":"):
            qualifier, base = prefix, name[len(prefix) + 1 :]
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    return qualifier, base, if_exists


def compile_conditions(block: Any, *, variables: bool) -> tuple[Condition, ...]:
    """Compile a Condition element; raises MalformedPolicy for what AWS rejects."""
    if not isinstance(block, dict):
        raise MalformedPolicy(SYNTAX_ERROR)
    compiled: list[Condition] = []
    for operator_name, entries in block.items():
        qualifier, base, if_exists = _split_operator(operator_name)
        is_null = base == "Null" and not if_exists
        spec = None if is_null else OPERATORS.get(base)
        if spec is None and not is_null:
            raise MalformedPolicy(f"Invalid Condition type : {operator_name}")
        if not isinstance(entries, dict):
            raise MalformedPolicy(SYNTAX_ERROR)
        for key, raw_values in entries.items():
            if not isinstance(key, str) or ":" not in key or key.startswith(":"):
                raise MalformedPolicy(VENDOR_ERROR)
            items = raw_values if isinstance(raw_values, list) else [raw_values]
            use_variables = variables and spec is not None and spec.takes_variables
            templates = tuple(parse_template(_value_text(item), variables=use_variables) for item in items)
            static = None
            if spec is not None and not any(has_variables(template) for template in templates):
                static = spec.build([static_pieces(template) for template in templates])
            compiled.append(
                Condition(operator_name, key.lower(), qualifier, if_exists, is_null, spec, templates, static)
            )
    return tuple(compiled)
