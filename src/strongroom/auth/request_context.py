"""The global condition keys of a request, as policies' Condition elements read them.

Built from the authenticated principal, the transport and the parsed input; a handler or resource
resolver adds service keys (`kms:EncryptionContext:...`, `aws:ResourceTag/...`) as a mapping in
`ctx.extra["condition_keys"]`, which win over the global keys of the same name.
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, KeysView, Mapping
from typing import Any

from strongroom.auth.policy import ConditionValue
from strongroom.auth.principal import Principal
from strongroom.context import RequestContext

CONDITION_KEYS = "condition_keys"


class LazyKeys(Mapping[str, ConditionValue]):
    """Condition keys built on first access, then kept.

    Only statements with conditions or policy variables read the keys, and a decision remembered
    for any context (`strongroom.auth.decisions`) reads none, so many requests never build them.
    `build` must give the same keys whenever it runs (it reads nothing that changes during the
    request): a remembered decision is matched on the keys it builds."""

    __slots__ = ("_build", "_keys")

    def __init__(self, build: Callable[[], Mapping[str, ConditionValue]]) -> None:
        self._build = build
        self._keys: Mapping[str, ConditionValue] | None = None

    def materialize(self) -> Mapping[str, ConditionValue]:
        if self._keys is None:
            self._keys = self._build()
        return self._keys

    def __getitem__(self, key: str) -> ConditionValue:
        return self.materialize()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.materialize())

    def __len__(self) -> int:
        return len(self.materialize())

    def __contains__(self, key: object) -> bool:
        return key in self.materialize()

    # The built mapping's own views: Mapping's would look every key up through __getitem__.
    def keys(self) -> KeysView[str]:
        return self.materialize().keys()

    def items(self) -> ItemsView[str, ConditionValue]:
        return self.materialize().items()

    def __repr__(self) -> str:
        return repr(self.materialize())


_PRINCIPAL_TYPES = {"Root": "Account", "IAMUser": "User", "AssumedRole": "AssumedRole"}


def principal_keys(principal: Principal, tags: Mapping[str, str] | None = None) -> dict[str, ConditionValue]:
    """The keys that describe the caller. `tags` overrides the principal's own tags when given."""
    keys: dict[str, ConditionValue] = {
        # For a role session aws:PrincipalArn is the role's ARN, not the session's.
        "aws:PrincipalArn": principal.role_arn or principal.arn,
        "aws:PrincipalAccount": principal.account_id,
        "aws:PrincipalType": _PRINCIPAL_TYPES.get(principal.type, principal.type),
        "aws:userid": principal.user_id,
        "aws:PrincipalIsAWSService": False,
    }
    if principal.type == "IAMUser" and principal.user_name is not None:
        keys["aws:username"] = principal.user_name
    for key, value in (principal.tags if tags is None else tags).items():
        keys[f"aws:PrincipalTag/{key}"] = value
    if principal.session_created_at is not None:
        # Present, and false, only for temporary credentials: Strongroom has no MFA devices.
        keys["aws:MultiFactorAuthPresent"] = False
        keys["aws:TokenIssueTime"] = principal.session_created_at
    if principal.source_identity is not None:
        keys["aws:SourceIdentity"] = principal.source_identity
    return keys


def request_tags(params: Mapping[str, Any]) -> dict[str, str]:
    """The tags a request asks to set, from its `Tags` member in any of AWS's shapes.

    Lists of {Key, Value} (IAM, STS), lists of {TagKey, TagValue} (KMS), or a map (REST services).
    """
    given = params.get("Tags")
    if isinstance(given, Mapping):
        return {str(key): str(value) for key, value in given.items()}
    tags: dict[str, str] = {}
    if isinstance(given, list):
        for tag in given:
            if not isinstance(tag, Mapping):
                continue
            key = tag.get("Key", tag.get("TagKey"))
            if key is not None:
                tags[str(key)] = str(tag.get("Value", tag.get("TagValue", "")))
    return tags


def tag_keys(tags: Mapping[str, str]) -> dict[str, ConditionValue]:
    """aws:RequestTag/<key> for each tag, and the multivalued aws:TagKeys (only when there are tags)."""
    if not tags:
        return {}
    keys: dict[str, ConditionValue] = {f"aws:RequestTag/{key}": value for key, value in tags.items()}
    keys["aws:TagKeys"] = list(tags)
    return keys


def condition_context(
    ctx: RequestContext, *, principal_tags: Mapping[str, str] | None = None
) -> dict[str, ConditionValue]:
    """Every condition key of the request `ctx` describes (its principal must be set)."""
    principal = ctx.principal
    if principal is None:
        raise RuntimeError("condition keys of an unauthenticated request")
    when = ctx.received_at
    keys = principal_keys(principal, principal_tags)
    keys.update(
        {
            "aws:CurrentTime": when,
            "aws:EpochTime": int(when.timestamp()),
            # Strongroom serves plain HTTP; a proxy's X-Forwarded-Proto is a client-settable header
            # and so cannot prove anything about the transport.
            "aws:SecureTransport": False,
            "aws:UserAgent": ctx.user_agent,
            "aws:ViaAWSService": False,
        }
    )
    # Unknown values are left out rather than given as "", which no operator should match.
    if ctx.source_ip:
        keys["aws:SourceIp"] = ctx.source_ip
    if ctx.region:
        keys["aws:RequestedRegion"] = ctx.region
    keys.update(tag_keys(request_tags(ctx.params)))
    service_keys = ctx.extra.get(CONDITION_KEYS)
    if isinstance(service_keys, LazyKeys):
        service_keys = service_keys.materialize()
    if isinstance(service_keys, Mapping):
        keys.update(service_keys)
    return keys
