"""The table-driven vectors: every expected decision and malformed-policy reason from AWS's documentation."""

from __future__ import annotations

import pytest
from policy_vector_data import evaluation_inputs, expected, load, policy_text, request_of

from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind, evaluate

DECISION_FILES = ("conditions.json", "elements.json", "evaluation.json")
DECISION_VECTORS = [vector for name in DECISION_FILES for vector in load(name)]
MALFORMED_VECTORS = load("malformed.json")


def test_every_vector_cites_an_aws_page() -> None:
    for vector in DECISION_VECTORS + MALFORMED_VECTORS:
        assert vector["source"].startswith("https://docs.aws.amazon.com/"), vector["name"]
    assert len(DECISION_VECTORS) + len(MALFORMED_VECTORS) >= 150


def test_vector_names_are_unique() -> None:
    names = [vector["name"] for vector in DECISION_VECTORS + MALFORMED_VECTORS]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("vector", DECISION_VECTORS, ids=[v["name"] for v in DECISION_VECTORS])
def test_decision(vector: dict) -> None:
    decision = evaluate(request_of(vector), **evaluation_inputs(vector))
    effect, kind, sid = expected(vector)
    assert (decision.effect, decision.policy_kind, decision.statement_sid) == (effect, kind, sid)


@pytest.mark.parametrize("vector", MALFORMED_VECTORS, ids=[v["name"] for v in MALFORMED_VECTORS])
def test_malformed(vector: dict) -> None:
    text = vector["text"] if "text" in vector else policy_text(vector["policy"])
    kind = PolicyKind(vector["kind"])
    if vector["reason"] is None:
        assert PolicyDocument.parse(text, kind=kind).kind is kind
        return
    with pytest.raises(MalformedPolicy) as raised:
        PolicyDocument.parse(text, kind=kind)
    assert raised.value.reason == vector["reason"]
