"""How large a request body each service can legally carry, and the refusal of larger ones.

Each limit is the largest request the service's documented quotas allow, with room for JSON or form
encoding (a character can take six bytes escaped), rounded up:

- KMS: key policies of at most 32 KB, plaintexts of 4 KB, ciphertexts of 6 KB, 50 tags.
- Secrets Manager: a secret value of at most 65,536 bytes, resource policies of 20 KB.
- Parameter Store: parameter values of at most 8 KB (advanced tier), policies of 4 KB.
- EventBridge: PutEvents entries of less than 1 MB together.
- Anything else (IAM and STS policy documents, CloudTrail selectors, the admin routes) shares one cap.

A body over its limit is refused from its Content-Length before any of it is read, and a body sent
without one is refused as soon as the bytes read cross the limit.
"""

from __future__ import annotations

import orjson
from botocore.model import ServiceModel

from strongroom.audit.record import random_uuid
from strongroom.errors import ServiceError
from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize import serialize_error

KIB = 1024
MIB = 1024 * KIB

SERVICE_BODY_LIMITS = {
    "kms": 512 * KIB,
    "secretsmanager": 1 * MIB,
    "ssm": 512 * KIB,
    "events": 2 * MIB,
}
DEFAULT_BODY_LIMIT = 1 * MIB
# Bodies up to this size need no look at which service they are for.
SMALLEST_BODY_LIMIT = min(*SERVICE_BODY_LIMITS.values(), DEFAULT_BODY_LIMIT)


def body_limit(model: ServiceModel | None) -> int:
    if model is None:
        return DEFAULT_BODY_LIMIT
    return SERVICE_BODY_LIMITS.get(model.service_name, DEFAULT_BODY_LIMIT)


def too_large(model: ServiceModel | None, limit: int) -> HttpResponse:
    """The 413 answer, in the service's own protocol, with `Connection: close` (the rest of the body
    is not read)."""
    error = ServiceError("RequestEntityTooLarge", f"Request body exceeds the maximum of {limit} bytes.",
                         status=413)
    request_id = random_uuid()
    if model is not None:
        response = serialize_error(model, None, error, request_id)
    else:
        response = HttpResponse(413, [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)],
                                orjson.dumps({"__type": error.code, "message": error.message}))
    response.headers.append(("Connection", "close"))
    return response
