"""A saved resource policy's principals bound to unique ids: which ARNs are bound, how the bindings are
stored beside the document, and the document as it is read back.

AWS binds each IAM user and role ARN in a resource policy's Principal (or NotPrincipal) to the
principal's unique id when the policy is saved, and shows the ARN again when the policy is read. Once
the principal is deleted there is no ARN to show: the policy reads back with the unique id in its
place, and a principal created again under the same name is not the one it names. A renamed user
keeps its id, so the policy shows its new ARN. The document is kept as it was written; its bindings
are kept beside it (`stored_bindings`), and what is read back is worked out from both
(`shown_policy`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from strongroom.auth.policy.principals import Bindings, bound_kind

_ELEMENTS = ("Principal", "NotPrincipal")


def _statements(body: Any) -> list[Any]:
    statements = body.get("Statement", []) if isinstance(body, dict) else []
    return statements if isinstance(statements, list) else [statements]


def _aws_values(body: Any) -> Iterator[tuple[dict[str, Any], list[str]]]:
    """Each (Principal element, its AWS values) of a document's statements."""
    for statement in _statements(body):
        if not isinstance(statement, dict):
            continue
        for name in _ELEMENTS:
            element = statement.get(name)
            if isinstance(element, dict) and "AWS" in element:
                value = element["AWS"]
                items = value if isinstance(value, list) else [value]
                yield element, [item for item in items if isinstance(item, str)]


def named_principals(text: str) -> list[tuple[str, str]]:
    """The IAM users and roles a (valid) policy document names, as (ARN, "user" or "role"), each once."""
    named: dict[str, str] = {}
    for _element, items in _aws_values(json.loads(text)):
        for item in items:
            kind = bound_kind(item)
            if kind is not None:
                named.setdefault(item, kind)
    return list(named.items())


def stored_bindings(bindings: Mapping[str, str]) -> str | None:
    """How bindings are kept beside their document (None when it names no user or role)."""
    return json.dumps(dict(sorted(bindings.items())), separators=(",", ":")) if bindings else None


def loaded_bindings(stored: str | None) -> Bindings:
    """Bindings as `stored_bindings` keeps them, in the form `PolicyDocument.parse` takes."""
    if not stored:
        return ()
    return tuple(sorted(json.loads(stored).items()))


def kept_bindings(bindings: Bindings, text: str | None) -> str | None:
    """The bindings of an edited document that names no principal the old one did not (its statements
    were only removed, or given account principals): those of its ARNs still named."""
    if text is None:
        return None
    named = {arn for arn, _kind in named_principals(text)}
    return stored_bindings({arn: bound for arn, bound in bindings if arn in named})


def shown_policy(text: str, bindings: Bindings, current: Mapping[str, str]) -> str:
    """The document as read back: each bound ARN shown as the principal's ARN now (`current` maps a
    unique id to the ARN of the principal that has it), or as its unique id once it is deleted. The
    text as written when every bound principal still has the ARN it names."""
    shown = {arn: current.get(bound, bound) for arn, bound in bindings}
    if all(arn == now for arn, now in shown.items()):
        return text
    body = json.loads(text)
    for element, _items in _aws_values(body):
        value = element["AWS"]
        if isinstance(value, list):
            element["AWS"] = [shown.get(item, item) if isinstance(item, str) else item for item in value]
        elif isinstance(value, str):
            element["AWS"] = shown.get(value, value)
    return json.dumps(body)
