"""Signing, MAC and key-agreement operations, and GetPublicKey: Sign, Verify, GenerateMac, VerifyMac,
DeriveSharedSecret, GetPublicKey. Only public keys ever leave the server.
"""

from __future__ import annotations

from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import crypto
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.key_use import stop_if_dry_run, use_key
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.store import ALIAS_OPERATIONS

_KEY = key_resource()
_KEY_OR_ALIAS = key_resource(aliases=True)


def _resource(operation: str) -> Any:
    return _KEY_OR_ALIAS if operation in ALIAS_OPERATIONS else _KEY


@service.operation("Sign", resources=_resource("Sign"))
def sign(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "Sign")
    algorithm = params["SigningAlgorithm"]
    message_type = params.get("MessageType", specs.RAW)
    specs.check_algorithm(key.spec, specs.SIGN_VERIFY, algorithm)
    specs.check_message(key.spec, algorithm, message_type, params["Message"])
    stop_if_dry_run(params)
    signature = crypto.sign(key.spec, key.material, algorithm, params["Message"], message_type)
    return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}


@service.operation("Verify", resources=_resource("Verify"))
def verify(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "Verify")
    algorithm = params["SigningAlgorithm"]
    message_type = params.get("MessageType", specs.RAW)
    specs.check_algorithm(key.spec, specs.SIGN_VERIFY, algorithm)
    specs.check_message(key.spec, algorithm, message_type, params["Message"])
    stop_if_dry_run(params)
    # Raises KMSInvalidSignatureException (no message) for a false signature, as AWS does.
    crypto.verify(key.spec, key.material, algorithm, params["Message"], params["Signature"], message_type)
    return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}


@service.operation("GenerateMac", resources=_resource("GenerateMac"))
def generate_mac(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "GenerateMac")
    algorithm = params["MacAlgorithm"]
    specs.check_algorithm(key.spec, specs.GENERATE_VERIFY_MAC, algorithm)
    stop_if_dry_run(params)
    mac = crypto.generate_mac(key.spec, key.material, algorithm, params["Message"])
    return {"Mac": mac, "MacAlgorithm": algorithm, "KeyId": key.arn}


@service.operation("VerifyMac", resources=_resource("VerifyMac"))
def verify_mac(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "VerifyMac")
    algorithm = params["MacAlgorithm"]
    specs.check_algorithm(key.spec, specs.GENERATE_VERIFY_MAC, algorithm)
    stop_if_dry_run(params)
    # Raises KMSInvalidMacException (no message) for a MAC that does not match.
    crypto.verify_mac(key.spec, key.material, algorithm, params["Message"], params["Mac"])
    return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}


@service.operation("DeriveSharedSecret", resources=_resource("DeriveSharedSecret"))
def derive_shared_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("Recipient") is not None:
        raise ServiceError("UnsupportedOperationException", "Recipient is not supported by this server.")
    key = use_key(ctx, params["KeyId"], "DeriveSharedSecret")
    algorithm = params["KeyAgreementAlgorithm"]
    specs.check_algorithm(key.spec, specs.KEY_AGREEMENT, algorithm)
    stop_if_dry_run(params)
    secret = crypto.derive_shared_secret(key.spec, key.material, params["PublicKey"], algorithm)
    return {"KeyId": key.arn, "SharedSecret": secret, "KeyAgreementAlgorithm": algorithm, "KeyOrigin": key.key.origin}


@service.operation("GetPublicKey", resources=_resource("GetPublicKey"))
def get_public_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "GetPublicKey")
    if key.spec == "SYMMETRIC_DEFAULT" or key.spec in specs.HMAC_KEY_BYTES:
        raise ServiceError("UnsupportedOperationException", f"{key.arn} key spec {key.spec} has no public key.")
    return {
        "KeyId": key.arn,
        "PublicKey": crypto.public_key_der(key.spec, key.material),
        "CustomerMasterKeySpec": key.spec,
        "KeySpec": key.spec,
        "KeyUsage": key.key.key_usage,
        **specs.algorithm_lists(key.spec, key.key.key_usage),
    }
