"""Loading the policy test vectors in tests/vectors/policy (format described in their README)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from strongroom.auth.policy import AuthorizationRequest, PolicyDocument, PolicyKind

VECTOR_DIR = Path(__file__).resolve().parent.parent / "vectors" / "policy"
DEFAULT_REQUEST: dict[str, Any] = {
    "principal_arn": "arn:aws:iam::111122223333:user/alice",
    "principal_account": "111122223333",
    "action": "kms:Decrypt",
    "resource": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}


def load(name: str) -> list[dict[str, Any]]:
    """The vectors of one file, each with the file's defaults filled in."""
    data = json.loads((VECTOR_DIR / name).read_text())
    return [{**data.get("defaults", {}), **vector} for vector in data["vectors"]]


def policy_text(policy: Any) -> str:
    """A policy given as a statement list means a 2012-10-17 document holding those statements."""
    if isinstance(policy, list):
        policy = {"Version": "2012-10-17", "Statement": policy}
    return json.dumps(policy)


def parse(policy: Any, kind: PolicyKind) -> PolicyDocument:
    return PolicyDocument.parse(policy_text(policy), kind=kind)


def request_of(vector: dict[str, Any]) -> AuthorizationRequest:
    fields = {**DEFAULT_REQUEST, **vector.get("request", {})}
    return AuthorizationRequest(**fields, context=vector.get("context", {}))


def evaluation_inputs(vector: dict[str, Any]) -> dict[str, Any]:
    """Keyword arguments for evaluate() built from a vector."""
    identity = vector.get("identity", [])
    if "condition" in vector:
        identity = [[{"Sid": "C", "Effect": "Allow", "Action": "*", "Resource": "*", "Condition": vector["condition"]}]]
    inputs: dict[str, Any] = {
        "identity_policies": [parse(policy, PolicyKind.IDENTITY) for policy in identity],
        "resource_policy_required": vector.get("kms", False),
    }
    if "resource" in vector:
        inputs["resource_policy"] = parse(vector["resource"], PolicyKind(vector.get("resource_kind", "resource")))
    if "boundary" in vector:
        inputs["permissions_boundary"] = parse(vector["boundary"], PolicyKind.BOUNDARY)
    if "session" in vector:
        inputs["session_policies"] = [parse(policy, PolicyKind.SESSION) for policy in vector["session"]]
    return inputs


def expected(vector: dict[str, Any]) -> tuple[str, PolicyKind | None, str | None]:
    """(effect, deciding policy kind, deciding Sid) the vector expects."""
    if "condition" in vector:
        return vector["expect"], PolicyKind.IDENTITY, "C" if vector["expect"] == "Allow" else None
    kind = vector.get("kind")
    return vector["expect"], PolicyKind(kind) if kind else None, vector.get("sid")
