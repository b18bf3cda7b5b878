"""Parameter names as AWS reads them: validation, the path-form key, ARNs, and `name:selector` references.

A name is a root name (`x`, `/x`: one parameter) or a path of up to 15 levels (`/a/b/c`). The key
used in the store is the path form; the ARN is `arn:<partition>:ssm:<region>:<account>:parameter`
followed by the key. Reads also accept the ARN, and a `:version` or `:label` selector.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.lru import LRUCache
from strongroom.regions import arn

MAX_LEVELS = 15
# AWS counts the ARN prefix (arn:aws:ssm:<region>:<account>:parameter/) against this.
MAX_NAME_WITH_ARN = 1011

_SEGMENT = re.compile(r"[a-zA-Z0-9_.\-]+")
_PARAMETER_ARN = re.compile(r"arn:(aws[a-z-]*):ssm:([a-z0-9-]+):(\d{12}):parameter(/.*)")
_RESERVED = ("aws", "ssm")

NAME_RULES = (
    "Parameter name: can't be prefixed with \"ssm\" (case-insensitive). If formed as a path, it can consist of "
    "sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following "
    "3 symbols .-_"
)
RESERVED_PREFIX = "Parameter name: can't be prefixed with \"aws\" or \"ssm\" (case-insensitive)."
PATH_RULES = (
    "The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward "
    "slash \"/\". It can't be prefixed with \\\"aws\\\" or \\\"ssm\\\" (case-insensitive). It must use only "
    "letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are "
    "not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: "
    "/get/parameters2-/by1./path0_."
)
HIERARCHY_LIMIT = (
    "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for "
    "parameter names in the Amazon Web Services Systems Manager User Guide."
)


def _segments(name: str) -> list[str] | None:
    """The levels of `name`, or None when it is not a well-formed name."""
    if "/" not in name:
        return [name] if _SEGMENT.fullmatch(name) else None
    if not name.startswith("/"):
        return None
    parts = name[1:].split("/")
    if not all(_SEGMENT.fullmatch(part) for part in parts):
        return None
    return parts


def key_of(name: str) -> str:
    """The store's key for a valid name: its path form."""
    return name if name.startswith("/") else f"/{name}"


def parent_of(key: str) -> str:
    head = key.rsplit("/", 1)[0]
    return head or "/"


def parameter_arn(ctx: RequestContext, key: str, account_id: str | None = None) -> str:
    return parameter_arn_in(ctx.region, account_id or ctx.account_id, key)


def parameter_arn_in(region: str, account_id: str, key: str) -> str:
    return arn("ssm", region, account_id, f"parameter{key}")


def check_name(ctx: RequestContext, name: str, *, writing: bool = True) -> str:
    """Validate a name a parameter is created or named by; its key.

    `/aws/...` names are AWS's own (public parameters, Secrets Manager references): reading one is
    allowed (and finds nothing stored), writing one is denied.
    """
    parts = _segments(name)
    if parts is None:
        raise ServiceError("ValidationException", NAME_RULES)
    if parts[0].lower().startswith(_RESERVED):
        if name.startswith("/") and parts[0].lower() == "aws":
            if not writing:
                return name
            raise ServiceError("AccessDeniedException", f"No access to reserved parameter name: {name}.")
        raise ServiceError("ValidationException", RESERVED_PREFIX)
    if len(parts) > MAX_LEVELS:
        raise ServiceError("HierarchyLevelLimitExceededException", HIERARCHY_LIMIT)
    key = key_of(name)
    if len(parameter_arn(ctx, key)) > MAX_NAME_WITH_ARN:
        raise ServiceError(
            "ValidationException",
            "Parameter name must be 1011 characters or less, including the ARN prefix "
            f"arn:aws:ssm:{ctx.region}:{ctx.account_id}:parameter/.",
        )
    return key


def check_path(path: str) -> str:
    """Validate a hierarchy path (GetParametersByPath, Path filters); the path without a trailing slash."""
    trimmed = path.rstrip("/") if path != "/" else path
    if trimmed == "/":
        return "/"
    parts = _segments(trimmed)
    if not trimmed.startswith("/") or parts is None:
        raise ServiceError("ValidationException", PATH_RULES)
    if parts[0].lower().startswith(_RESERVED) and parts[0].lower() != "aws":
        raise ServiceError("ValidationException", PATH_RULES)
    if len(parts) > MAX_LEVELS:
        raise ServiceError("HierarchyLevelLimitExceededException", HIERARCHY_LIMIT)
    return trimmed


@dataclass(frozen=True)
class Reference:
    """What a read names: a parameter (by name or ARN) and optionally a version or label selector."""

    asked: str  # the name as asked, without the selector
    key: str
    account_id: str
    version: int | None = None
    label: str | None = None

    @property
    def selector(self) -> str | None:
        if self.version is not None:
            return f":{self.version}"
        if self.label is not None:
            return f":{self.label}"
        return None


def parse_reference(ctx: RequestContext, text: str, *, selectors: bool = True) -> Reference:
    """A name, an ARN, `name:version` or `name:label` as GetParameter reads them."""
    # Reads name the same few parameters over and over, and a read parses its name twice (the
    # authorized resource, the handler): valid references are kept per process, by everything a
    # parse depends on. Invalid ones raise every time.
    memo_key = (ctx.account_id, ctx.region, text, selectors)
    found = _references.get(memo_key)
    if found is None:
        found = _parse_reference(ctx, text, selectors=selectors)
        _references.put(memo_key, found)
    return found


_references: LRUCache[tuple[str, str, str, bool], Reference] = LRUCache(4096)


def _parse_reference(ctx: RequestContext, text: str, *, selectors: bool) -> Reference:
    account_id = ctx.account_id
    body = text
    match = _PARAMETER_ARN.fullmatch(text)
    if match is not None:
        _partition, region, account_id, body = match.groups()
        if region != ctx.region:
            raise ServiceError("ValidationException", NAME_RULES)
    name, _, selector = body.partition(":")
    if selector and not selectors:
        raise ServiceError("ValidationException", NAME_RULES)
    key = check_name(ctx, name, writing=False) if match is None else _arn_key(name)
    asked = text.rsplit(":", 1)[0] if selector else text
    if not selector:
        return Reference(asked, key, account_id)
    if selector.isdigit():
        return Reference(asked, key, account_id, version=int(selector))
    return Reference(asked, key, account_id, label=selector)


def _arn_key(path: str) -> str:
    parts = _segments(path)
    if parts is None or len(parts) > MAX_LEVELS:
        raise ServiceError("ValidationException", NAME_RULES)
    return path
