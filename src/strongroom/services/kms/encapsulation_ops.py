"""Encapsulate and Decapsulate: ML-KEM key encapsulation with ENCAPSULATE_DECAPSULATE keys."""

from __future__ import annotations

from typing import Any

from strongroom.context import RequestContext
from strongroom.services.kms import crypto
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.key_use import stop_if_dry_run, use_key
from strongroom.services.kms.plugin import key_resource, service


@service.operation("Encapsulate", resources=key_resource(aliases=True))
def encapsulate(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "Encapsulate")
    algorithm = params["EncapsulationAlgorithm"]
    specs.check_algorithm(key.spec, specs.ENCAPSULATE_DECAPSULATE, algorithm)
    stop_if_dry_run(params)
    ciphertext, shared_secret = crypto.encapsulate(key.spec, key.material, algorithm)
    return {
        "KeyId": key.arn,
        "SharedSecret": shared_secret,
        "SharedSecretCiphertextBlob": ciphertext,
        "EncapsulationAlgorithm": algorithm,
    }


@service.operation("Decapsulate", resources=key_resource(aliases=True))
def decapsulate(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "Decapsulate")
    algorithm = params["EncapsulationAlgorithm"]
    specs.check_algorithm(key.spec, specs.ENCAPSULATE_DECAPSULATE, algorithm)
    stop_if_dry_run(params)
    shared_secret = crypto.decapsulate(key.spec, key.material, params["SharedSecretCiphertextBlob"], algorithm)
    return {"KeyId": key.arn, "SharedSecret": shared_secret, "EncapsulationAlgorithm": algorithm}
