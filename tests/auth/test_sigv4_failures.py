"""Each authentication failure becomes the AWS error of the caller's protocol."""

from __future__ import annotations

import pytest

from strongroom.auth.failures import AuthFailure, AuthFailureKind, auth_error
from strongroom.errors import ServiceError

K = AuthFailureKind
MISMATCH_TEXT = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)

EXPECTED = {
    "json": {
        K.MISSING_TOKEN: ("MissingAuthenticationTokenException", 400),
        K.INCOMPLETE_SIGNATURE: ("IncompleteSignatureException", 400),
        K.UNKNOWN_ACCESS_KEY: ("UnrecognizedClientException", 400),
        K.SIGNATURE_MISMATCH: ("InvalidSignatureException", 400),
        K.REQUEST_EXPIRED: ("InvalidSignatureException", 400),
        K.PRESIGNED_EXPIRED: ("InvalidSignatureException", 400),
        K.INVALID_REGION: ("InvalidSignatureException", 400),
        K.PAYLOAD_HASH_MISMATCH: ("InvalidSignatureException", 400),
        K.TOKEN_EXPIRED: ("ExpiredTokenException", 400),
        K.INVALID_TOKEN: ("UnrecognizedClientException", 400),
    },
    "query": {
        K.MISSING_TOKEN: ("MissingAuthenticationToken", 403),
        K.INCOMPLETE_SIGNATURE: ("IncompleteSignature", 400),
        K.UNKNOWN_ACCESS_KEY: ("InvalidClientTokenId", 403),
        K.SIGNATURE_MISMATCH: ("SignatureDoesNotMatch", 403),
        K.REQUEST_EXPIRED: ("SignatureDoesNotMatch", 403),
        K.PRESIGNED_EXPIRED: ("SignatureDoesNotMatch", 403),
        K.INVALID_REGION: ("SignatureDoesNotMatch", 403),
        K.PAYLOAD_HASH_MISMATCH: ("SignatureDoesNotMatch", 403),
        K.TOKEN_EXPIRED: ("ExpiredToken", 403),
        K.INVALID_TOKEN: ("InvalidClientTokenId", 403),
    },
    "rest-xml": {
        K.MISSING_TOKEN: ("AccessDenied", 403),
        K.INCOMPLETE_SIGNATURE: ("AuthorizationHeaderMalformed", 400),
        K.UNKNOWN_ACCESS_KEY: ("InvalidAccessKeyId", 403),
        K.SIGNATURE_MISMATCH: ("SignatureDoesNotMatch", 403),
        K.REQUEST_EXPIRED: ("RequestTimeTooSkewed", 403),
        K.PRESIGNED_EXPIRED: ("AccessDenied", 403),
        K.INVALID_REGION: ("AuthorizationHeaderMalformed", 400),
        K.PAYLOAD_HASH_MISMATCH: ("XAmzContentSHA256Mismatch", 400),
        K.TOKEN_EXPIRED: ("ExpiredToken", 400),
        K.INVALID_TOKEN: ("InvalidToken", 400),
    },
}
CASES = [(protocol, kind, *answer) for protocol, table in EXPECTED.items() for kind, answer in table.items()]


def test_every_kind_has_an_answer_in_every_protocol() -> None:
    for protocol in ("json", "rest-json", "query", "rest-xml", "ec2", "smithy-rpc-v2-cbor"):
        for kind in AuthFailureKind:
            assert isinstance(auth_error(kind, "text", protocol), ServiceError)


@pytest.mark.parametrize(("protocol", "kind", "code", "status"), CASES)
def test_code_and_status(protocol: str, kind: AuthFailureKind, code: str, status: int) -> None:
    error = auth_error(kind, "some text", protocol)
    assert (error.code, error.status) == (code, status)
    assert error.message


def test_rest_json_answers_the_json_codes_with_403() -> None:
    for kind in AuthFailureKind:
        rest, plain = auth_error(kind, "m", "rest-json"), auth_error(kind, "m", "json")
        assert (rest.code, rest.message, rest.status) == (plain.code, plain.message, 403)


def test_caller_messages_pass_through_where_aws_words_them_per_request() -> None:
    expired = "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)"
    assert auth_error(K.REQUEST_EXPIRED, expired, "json").message == expired
    assert auth_error(K.REQUEST_EXPIRED, expired, "query").message == expired
    region = "Credential should be scoped to a valid region."
    assert auth_error(K.INVALID_REGION, region, "json").message == region
    assert auth_error(K.MISSING_TOKEN, "Missing Authentication Token", "json").message == "Missing Authentication Token"


def test_fixed_texts() -> None:
    assert auth_error(K.SIGNATURE_MISMATCH, "anything", "json").message == MISMATCH_TEXT
    assert auth_error(K.SIGNATURE_MISMATCH, "anything", "query").message == MISMATCH_TEXT
    invalid = "The security token included in the request is invalid."
    assert auth_error(K.UNKNOWN_ACCESS_KEY, "anything", "json").message == invalid
    assert auth_error(K.UNKNOWN_ACCESS_KEY, "anything", "query").message == invalid
    assert auth_error(K.TOKEN_EXPIRED, "x", "json").message == "The security token included in the request is expired"
    assert auth_error(K.PRESIGNED_EXPIRED, "x", "rest-xml").message == "Request has expired"
    assert auth_error(K.REQUEST_EXPIRED, "x", "rest-xml").message == (
        "The difference between the request time and the current time is too large."
    )


def test_s3_names_malformed_presigned_queries_differently() -> None:
    assert auth_error(K.INCOMPLETE_SIGNATURE, "m", "rest-xml", presigned=True).code == (
        "AuthorizationQueryParametersError"
    )
    assert auth_error(K.INCOMPLETE_SIGNATURE, "m", "json", presigned=True).code == "IncompleteSignatureException"


def test_auth_failure_carries_kind_message_and_form() -> None:
    failure = AuthFailure(K.PRESIGNED_EXPIRED, "Request has expired", presigned=True)
    assert (failure.kind, failure.message, failure.presigned) == (K.PRESIGNED_EXPIRED, "Request has expired", True)
    assert not AuthFailure(K.MISSING_TOKEN, "Missing Authentication Token").presigned
