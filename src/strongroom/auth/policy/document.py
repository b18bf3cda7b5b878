"""Policy documents: parsing and validating JSON into compiled, immutable statements.

A PolicyDocument is compiled once (action patterns lower-cased into one regex per statement,
resource patterns into one regex unless they hold policy variables, conditions into predicates) and
can be cached and shared; evaluation never re-reads the JSON.

Validation follows the IAM policy grammar and the reasons IAM gives for rejecting a document; which
elements are required or forbidden depends on the PolicyKind (identity, session and boundary
policies must not name a principal, resource and trust policies must; trust policies take no
Resource). Size limits count characters other than whitespace for IAM's own policy kinds, as IAM
does, and every character for resource and session policies.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import Any, Literal

from strongroom.auth.policy.conditions import SYNTAX_ERROR, VENDOR_ERROR, Condition, compile_conditions
from strongroom.auth.policy.errors import MalformedPolicy
from strongroom.auth.policy.matching import arn_regex, compile_actions, compile_alternatives, is_arn
from strongroom.auth.policy.principals import Bindings, PrincipalSet, parse_principals
from strongroom.auth.policy.variables import Template, VariableLookup, has_variables, parse_template, resolve

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
_TOP_LEVEL = ("Version", "Id", "Statement")
_STATEMENT_FIELDS = (
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
)
_ACTION = re.compile(r"^[A-Za-z0-9*?-]+:.*$")
_IAM_SID = re.compile(r"^[0-9A-Za-z]*$")
_WHITESPACE = re.compile(r"\s")


class PolicyKind(Enum):
    """Which role a policy plays in evaluation; it decides the validation rules too."""

    IDENTITY = "identity"
    RESOURCE = "resource"
    SESSION = "session"
    BOUNDARY = "boundary"
    TRUST = "trust"


# (limit, counts whitespace, reason) per kind.
_SIZE_LIMITS: dict[PolicyKind, tuple[int, bool, str]] = {
    PolicyKind.IDENTITY: (6144, False, "Cannot exceed quota for PolicySize: 6144"),
    PolicyKind.BOUNDARY: (6144, False, "Cannot exceed quota for PolicySize: 6144"),
    PolicyKind.TRUST: (2048, False, "Cannot exceed quota for ACLSizePerRole: 2048"),
    PolicyKind.SESSION: (2048, True, "Member must have length less than or equal to 2048"),
    PolicyKind.RESOURCE: (20480, True, "Policy document exceeds the maximum size of 20480 characters."),
}
_NAMES_PRINCIPAL = (PolicyKind.RESOURCE, PolicyKind.TRUST)
_IAM_SID_RULE = (PolicyKind.IDENTITY, PolicyKind.BOUNDARY, PolicyKind.TRUST, PolicyKind.SESSION)


@dataclass(frozen=True, slots=True)
class ResourceMatcher:
    """The patterns of a Resource/NotResource element."""

    static: re.Pattern[str] | None  # set when no pattern holds a variable
    templates: tuple[Template, ...]

    def matches(self, resource: str, lookup: VariableLookup) -> bool | None:
        """Whether any pattern matches; None if a variable cannot be resolved."""
        if self.static is not None:
            return self.static.fullmatch(resource) is not None
        sources = []
        for template in self.templates:
            pieces = resolve(template, lookup)
            if pieces is None:
                return None
            sources.append(arn_regex(pieces))
        return compile_alternatives(tuple(sources), False).fullmatch(resource) is not None


@dataclass(frozen=True, slots=True)
class Statement:
    """One compiled statement. `resources` is None for trust policies, which have no Resource."""

    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: re.Pattern[str]
    not_action: bool
    resources: ResourceMatcher | None
    not_resource: bool
    principals: PrincipalSet | None
    not_principal: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    """A parsed, validated, compiled policy. Immutable; safe to cache and share."""

    kind: PolicyKind
    version: str
    id: str | None
    statements: tuple[Statement, ...]

    @classmethod
    def parse(
        cls, text: str, *, kind: PolicyKind, max_size: int | None = None, bindings: Bindings | None = None
    ) -> PolicyDocument:
        """Parse and validate `text`; raises MalformedPolicy with AWS's reason.

        `max_size` overrides the kind's default size limit (a KMS key policy allows 32768). `bindings`
        are a saved resource policy's principals bound to unique ids (see `principals`).
        """
        return _parse_cached(text, kind, max_size, bindings)


@lru_cache(maxsize=1024)
def _parse_cached(text: str, kind: PolicyKind, max_size: int | None, bindings: Bindings | None) -> PolicyDocument:
    limit, counts_whitespace, reason = _SIZE_LIMITS[kind]
    if max_size is not None:
        limit, reason = max_size, f"Policy document exceeds the maximum size of {max_size} characters."
    size = len(text) if counts_whitespace else len(_WHITESPACE.sub("", text))
    if size > limit:
        raise MalformedPolicy(reason, limit_exceeded=True)
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise MalformedPolicy(SYNTAX_ERROR) from None
    return _compile_document(body, kind, None if bindings is None else dict(bindings))


def _compile_document(body: Any, kind: PolicyKind, bindings: dict[str, str] | None) -> PolicyDocument:
    if not isinstance(body, dict):
        raise MalformedPolicy(SYNTAX_ERROR)
    for field in body:
        if field not in _TOP_LEVEL:
            raise MalformedPolicy(f"Unknown field {field}")
    version = body.get("Version", VERSION_2008)
    if version not in (VERSION_2012, VERSION_2008):
        raise MalformedPolicy("The policy failed legacy parsing")
    policy_id = body.get("Id")
    if policy_id is not None and not isinstance(policy_id, str):
        raise MalformedPolicy(SYNTAX_ERROR)
    if "Statement" not in body:
        raise MalformedPolicy("Missing required field Statement")
    raw_statements = body["Statement"]
    raw_list = raw_statements if isinstance(raw_statements, list) else [raw_statements]
    statements = tuple(_compile_statement(raw, kind, version == VERSION_2012, bindings) for raw in raw_list)
    sids = [statement.sid for statement in statements if statement.sid]
    if len(sids) != len(set(sids)):
        raise MalformedPolicy("Statement IDs (SID) in a single policy must be unique.")
    return PolicyDocument(kind, version, policy_id, statements)


def _string_list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise MalformedPolicy(SYNTAX_ERROR)
    return items


def _pick(raw: dict[str, Any], name: str) -> tuple[Any, bool]:
    """The element `name` or `NotName` of a statement, and whether it is the negated form."""
    if name in raw and f"Not{name}" in raw:
        raise MalformedPolicy(SYNTAX_ERROR)
    if f"Not{name}" in raw:
        return raw[f"Not{name}"], True
    return raw.get(name), False


def _compile_actions(raw: dict[str, Any]) -> tuple[re.Pattern[str], bool]:
    element, negated = _pick(raw, "Action")
    if element is None:
        raise MalformedPolicy("Policy statement must contain actions.")
    patterns = _string_list(element)
    if not patterns:
        raise MalformedPolicy("Policy statement must contain actions.")
    for pattern in patterns:
        if pattern != "*" and not _ACTION.match(pattern):
            raise MalformedPolicy(VENDOR_ERROR)
    return compile_actions(patterns), negated


def _compile_resources(raw: dict[str, Any], kind: PolicyKind, variables: bool) -> tuple[ResourceMatcher | None, bool]:
    element, negated = _pick(raw, "Resource")
    if kind is PolicyKind.TRUST:
        if element is not None:
            raise MalformedPolicy("Has prohibited field NotResource" if negated else "Has prohibited field Resource")
        return None, False
    if element is None:
        raise MalformedPolicy("Policy statement must contain resources.")
    patterns = _string_list(element)
    if not patterns:
        raise MalformedPolicy("Policy statement must contain resources.")
    for pattern in patterns:
        if pattern != "*" and not is_arn(pattern):
            raise MalformedPolicy(f'Resource {pattern} must be in ARN format or "*".')
    templates = tuple(parse_template(pattern, variables=variables) for pattern in patterns)
    if any(has_variables(template) for template in templates):
        return ResourceMatcher(None, templates), negated
    sources = tuple(arn_regex(list(template)) for template in templates)
    return ResourceMatcher(compile_alternatives(sources, False), templates), negated


def _compile_statement(raw: Any, kind: PolicyKind, variables: bool, bindings: dict[str, str] | None) -> Statement:
    if not isinstance(raw, dict):
        raise MalformedPolicy(SYNTAX_ERROR)
    for field in raw:
        if field not in _STATEMENT_FIELDS:
            raise MalformedPolicy(f"Unknown field {field}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise MalformedPolicy(SYNTAX_ERROR)
    if sid and kind in _IAM_SID_RULE and not _IAM_SID.match(sid):
        raise MalformedPolicy(
            "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies "
            "the regular expression [0-9A-Za-z]*"
        )
    if "Effect" not in raw:
        raise MalformedPolicy("Missing required field Effect")
    effect = raw["Effect"]
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicy(f"Invalid effect: {effect}")
    principal, not_principal = _pick(raw, "Principal")
    if kind in _NAMES_PRINCIPAL:
        if principal is None:
            raise MalformedPolicy("Missing required field Principal")
        principals: PrincipalSet | None = parse_principals(principal, bindings)
    else:
        if principal is not None:
            raise MalformedPolicy("Policy document should not specify a principal.")
        principals = None
    actions, not_action = _compile_actions(raw)
    resources, not_resource = _compile_resources(raw, kind, variables)
    conditions = compile_conditions(raw["Condition"], variables=variables) if "Condition" in raw else ()
    return Statement(
        sid or None, effect, actions, not_action, resources, not_resource, principals, not_principal, conditions
    )
