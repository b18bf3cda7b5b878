"""Why a request failed authentication, and how each AWS protocol family answers that failure.

`AuthFailure` is what SigV4 verification (and the credential lookup around it) raises; the
pipeline turns it into the AWS error of the protocol the caller speaks with `auth_error`.
Codes, HTTP statuses and fixed texts below are AWS's own; each line names where it was seen:
[rec] a response recorded from AWS as quoted in a public issue thread, [doc] AWS documentation.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import NamedTuple

from strongroom.errors import ServiceError


class AuthFailureKind(Enum):
    MISSING_TOKEN = auto()
    INCOMPLETE_SIGNATURE = auto()
    UNKNOWN_ACCESS_KEY = auto()
    SIGNATURE_MISMATCH = auto()
    REQUEST_EXPIRED = auto()  # X-Amz-Date too far from the server's clock
    PRESIGNED_EXPIRED = auto()  # past X-Amz-Date + X-Amz-Expires
    INVALID_REGION = auto()
    PAYLOAD_HASH_MISMATCH = auto()
    TOKEN_EXPIRED = auto()
    INVALID_TOKEN = auto()


class AuthFailure(Exception):
    """A request that does not authenticate. `presigned` says it used query-string (presigned) auth."""

    def __init__(self, kind: AuthFailureKind, message: str, *, presigned: bool = False) -> None:
        super().__init__(f"{kind.name}: {message}")
        self.kind = kind
        self.message = message
        self.presigned = presigned


class _Answer(NamedTuple):
    code: str
    status: int
    fixed_message: str | None = None  # the protocol's own text, replacing the caller's


SIGNATURE_MISMATCH_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)
EXPIRED_SESSION_TEXT = "The security token included in the request is expired"
INVALID_CREDENTIALS_TEXT = "The security token included in the request is invalid."

K = AuthFailureKind

# awsJson (Coral) services answer authentication failures with HTTP 400: DynamoDB/Kinesis
# "Status Code: 400; Error Code: UnrecognizedClientException" and MissingAuthenticationTokenException
# "statusCode: 400" [rec: aws-dynamodb-session-tomcat#42, architect/dynalite#105, s3auth#237].
_JSON: dict[AuthFailureKind, _Answer] = {
    K.MISSING_TOKEN: _Answer("MissingAuthenticationTokenException", 400),
    K.INCOMPLETE_SIGNATURE: _Answer("IncompleteSignatureException", 400),
    K.UNKNOWN_ACCESS_KEY: _Answer("UnrecognizedClientException", 400, INVALID_CREDENTIALS_TEXT),
    K.SIGNATURE_MISMATCH: _Answer("InvalidSignatureException", 400, SIGNATURE_MISMATCH_MESSAGE),
    K.REQUEST_EXPIRED: _Answer("InvalidSignatureException", 400),
    K.PRESIGNED_EXPIRED: _Answer("InvalidSignatureException", 400),
    K.INVALID_REGION: _Answer("InvalidSignatureException", 400),
    K.PAYLOAD_HASH_MISMATCH: _Answer("InvalidSignatureException", 400),
    K.TOKEN_EXPIRED: _Answer("ExpiredTokenException", 400, EXPIRED_SESSION_TEXT),
    K.INVALID_TOKEN: _Answer("UnrecognizedClientException", 400, INVALID_CREDENTIALS_TEXT),
}

# restJson services (API Gateway, Lambda) answer the same codes with 403 [rec: iamlive#58 Lambda
# "StatusCode: 403 ... UnrecognizedClientException", go-aws-auth#48 403 MissingAuthenticationTokenException].
_REST_JSON: dict[AuthFailureKind, _Answer] = {kind: answer._replace(status=403) for kind, answer in _JSON.items()}

# query services (IAM, STS): statuses from the Common Errors pages [doc: IAM/RDS APIReference CommonErrors];
# "Signature expired: ..." comes as SignatureDoesNotMatch [rec: aws-cli#6676, devsecops/bootcamp#101];
# ExpiredToken text [rec: prowler#789].
_QUERY: dict[AuthFailureKind, _Answer] = {
    K.MISSING_TOKEN: _Answer("MissingAuthenticationToken", 403),
    K.INCOMPLETE_SIGNATURE: _Answer("IncompleteSignature", 400),
    K.UNKNOWN_ACCESS_KEY: _Answer("InvalidClientTokenId", 403, INVALID_CREDENTIALS_TEXT),
    K.SIGNATURE_MISMATCH: _Answer("SignatureDoesNotMatch", 403, SIGNATURE_MISMATCH_MESSAGE),
    K.REQUEST_EXPIRED: _Answer("SignatureDoesNotMatch", 403),
    K.PRESIGNED_EXPIRED: _Answer("SignatureDoesNotMatch", 403),
    K.INVALID_REGION: _Answer("SignatureDoesNotMatch", 403),
    K.PAYLOAD_HASH_MISMATCH: _Answer("SignatureDoesNotMatch", 403),
    K.TOKEN_EXPIRED: _Answer("ExpiredToken", 403, EXPIRED_SESSION_TEXT),
    K.INVALID_TOKEN: _Answer("InvalidClientTokenId", 403, INVALID_CREDENTIALS_TEXT),
}

# S3 (restXml): codes, statuses and texts from the S3 error code list [doc: AmazonS3/latest/API/ErrorResponses];
# expired presigned URL = AccessDenied "Request has expired" [rec: aws-sdk-js#3493, aws-sdk-php#1333].
_REST_XML: dict[AuthFailureKind, _Answer] = {
    K.MISSING_TOKEN: _Answer("AccessDenied", 403, "Access Denied"),
    K.INCOMPLETE_SIGNATURE: _Answer("AuthorizationHeaderMalformed", 400),
    K.UNKNOWN_ACCESS_KEY: _Answer(
        "InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records."
    ),
    K.SIGNATURE_MISMATCH: _Answer(
        "SignatureDoesNotMatch",
        403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.",
    ),
    K.REQUEST_EXPIRED: _Answer(
        "RequestTimeTooSkewed", 403, "The difference between the request time and the current time is too large."
    ),
    K.PRESIGNED_EXPIRED: _Answer("AccessDenied", 403, "Request has expired"),
    K.INVALID_REGION: _Answer("AuthorizationHeaderMalformed", 400),
    K.PAYLOAD_HASH_MISMATCH: _Answer(
        "XAmzContentSHA256Mismatch", 400, "The provided 'x-amz-content-sha256' header does not match what was computed."
    ),
    K.TOKEN_EXPIRED: _Answer("ExpiredToken", 400, "The provided token has expired."),
    K.INVALID_TOKEN: _Answer("InvalidToken", 400, "The provided token is malformed or otherwise invalid."),
}

_BY_PROTOCOL = {"json": _JSON, "rest-json": _REST_JSON, "query": _QUERY, "ec2": _QUERY, "rest-xml": _REST_XML}

# S3 names malformed query-string authentication differently from a malformed header [doc: S3 error code list].
_S3_QUERY_MALFORMED = "AuthorizationQueryParametersError"


def auth_error(kind: AuthFailureKind, message: str, protocol: str, *, presigned: bool = False) -> ServiceError:
    """The error a service of `protocol` (json, query, rest-json, rest-xml) answers for this failure.

    Protocols botocore knows but that are not listed (e.g. smithy-rpc-v2-cbor) answer as json does.
    """
    answer = _BY_PROTOCOL.get(protocol, _JSON)[kind]
    code = answer.code
    if presigned and protocol == "rest-xml" and code == "AuthorizationHeaderMalformed":
        code = _S3_QUERY_MALFORMED
    return ServiceError(code, answer.fixed_message or message, status=answer.status)
