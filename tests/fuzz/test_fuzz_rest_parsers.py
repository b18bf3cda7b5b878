"""The REST protocols (rest-json, rest-xml), which no served service speaks today, fuzzed in process:
every operation of one model of each, its mutants put on the wire by botocore's own serializer, then
parsed and validated as the pipeline does. Only the protocol's own errors may come out, never a crash
nor a 5xx.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.serialize import create_serializer

from strongroom.errors import ServiceError
from strongroom.wire.http import Headers, HttpRequest
from strongroom.wire.parse import parse_request
from strongroom.wire.specs import load_service, protocol_of
from strongroom.wire.validate import validate_input
from tests.fuzz.inputs import mutants

REST_MODELS = [("guardduty", "rest-json"), ("s3", "rest-xml")]


def _wire(serialized: dict[str, Any]) -> HttpRequest:
    query = serialized["query_string"]
    text = urlencode(query, doseq=True) if isinstance(query, dict) else str(query or "")
    path = serialized["url_path"]
    if "?" in path:  # a URI template with a literal query part (S3's `?tagging` and the like)
        path, literal = path.split("?", 1)
        text = f"{literal}&{text}" if text else literal
    body = serialized["body"]
    body = body.encode() if isinstance(body, str) else bytes(body or b"")
    headers = Headers((name, str(value)) for name, value in serialized["headers"].items())
    return HttpRequest(serialized["method"], path, text, headers, body)


@pytest.mark.parametrize(("service_name", "protocol"), REST_MODELS)
def test_rest_requests_answer_only_the_protocols_errors(service_name: str, protocol: str, fuzz_seed: int) -> None:
    model = load_service(service_name)
    assert protocol_of(model) == protocol
    serializer = create_serializer(protocol, include_validation=False)
    rng = random.Random(fuzz_seed)
    parsed = refused = unsent = 0
    for name in model.operation_names:
        operation = model.operation_model(name)
        for mutant in mutants(operation.input_shape, rng, 4):
            try:
                request = _wire(serializer.serialize_to_request(mutant.value, operation))
            except Exception:  # the client side cannot write some wrong types (or lone surrogates): not under test
                unsent += 1
                continue
            try:
                _, params = parse_request(model, request)
                validate_input(model, operation, params)
                parsed += 1
            except ServiceError as error:
                assert error.status is not None and 400 <= error.status < 500, f"{name} [{mutant.label}]: {error!r}"
                refused += 1
    print(f"{service_name}: {parsed} parsed and valid, {refused} refused, {unsent} not serializable")
    assert parsed > 0 and refused > 0
