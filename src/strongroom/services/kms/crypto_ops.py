"""Encryption operations: Encrypt, Decrypt, ReEncrypt, GenerateDataKey[WithoutPlaintext],
GenerateDataKeyPair[WithoutPlaintext], GenerateRandom.

Symmetric ciphertexts name their key and key material in a clear header, so Decrypt needs no KeyId
for them and keeps working with older material after rotation. Asymmetric (RSA) Decrypt needs the
KeyId and the algorithm.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import crypto
from strongroom.services.kms.crypto import specs
from strongroom.services.kms.key_use import (
    KeyInUse,
    ciphertext_key_arn,
    stop_if_dry_run,
    use_key,
    use_material,
)
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.store import resolve_key_arn

SYMMETRIC = "SYMMETRIC_DEFAULT"
DATA_KEY_BYTES = {"AES_128": 16, "AES_256": 32}
INCORRECT_KEY_TEXT = "The key ID in the request does not identify a CMK that can perform this operation."


def _no_context_for_asymmetric(key: KeyInUse, context: Mapping[str, str] | None) -> None:
    if context and key.spec != SYMMETRIC:
        raise ServiceError("ValidationException", "EncryptionContext is not supported for asymmetric KMS keys.")


def _refuse_recipient(params: dict[str, Any]) -> None:
    # Nitro Enclaves attestation is not offered; failing is safer than answering in plaintext.
    if params.get("Recipient") is not None:
        raise ServiceError("UnsupportedOperationException", "Recipient is not supported by this server.")


def _encrypt(key: KeyInUse, plaintext: bytes, context: Mapping[str, str], algorithm: str) -> bytes:
    """Ciphertext of `plaintext` under the key; every caller has checked the algorithm against the key's spec
    (and `crypto.rsa_encrypt` checks it again, with the plaintext's size)."""
    if key.spec == SYMMETRIC:
        return crypto.encrypt_symmetric(
            key.material, key_id=key.key_id, material_id=key.material_id, plaintext=plaintext, context=context
        )
    return crypto.rsa_encrypt(key.spec, key.material, algorithm, plaintext)


def _open(
    ctx: RequestContext, blob: bytes, reference: str | None, context: Mapping[str, str], algorithm: str,
    operation: str, params: dict[str, Any],
) -> tuple[KeyInUse, bytes]:
    """Decrypt `blob` for Decrypt or ReEncrypt: the key used and the plaintext."""
    named: KeyInUse | None = None
    if reference is not None:
        named = use_key(ctx, reference, operation)
        if named.spec != SYMMETRIC:
            _no_context_for_asymmetric(named, context)
            specs.check_algorithm(named.spec, specs.ENCRYPT_DECRYPT, algorithm)
            stop_if_dry_run(params)
            return named, crypto.rsa_decrypt(named.spec, named.material, algorithm, blob)
    specs.check_algorithm(SYMMETRIC, specs.ENCRYPT_DECRYPT, algorithm)
    header = crypto.read_header(blob)
    if named is not None and header.key_id != named.key_id:
        raise ServiceError("IncorrectKeyException", INCORRECT_KEY_TEXT)
    key = use_material(ctx, header.key_id, header.material_id, operation)
    stop_if_dry_run(params)
    return key, crypto.decrypt_symmetric(key.material, blob, context)


def _ciphertext_key(member: str, blob_member: str) -> Any:
    """Resolver: the key named by `member`, else the key the ciphertext's header names."""
    named = key_resource(member, aliases=True)

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        if params.get(member) is not None:
            return named(ctx, params)
        try:
            header = crypto.read_header(params[blob_member])
        except ServiceError:
            return ["*"]  # the handler answers InvalidCiphertextException
        return [ciphertext_key_arn(ctx, header.key_id)]

    return resolve


@service.operation("Encrypt", resources=key_resource(aliases=True))
def encrypt(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    key = use_key(ctx, params["KeyId"], "Encrypt")
    context = params.get("EncryptionContext") or {}
    _no_context_for_asymmetric(key, context)
    algorithm = params.get("EncryptionAlgorithm", SYMMETRIC)
    specs.check_algorithm(key.spec, specs.ENCRYPT_DECRYPT, algorithm)
    if key.spec != SYMMETRIC:
        specs.check_rsa_plaintext(key.spec, algorithm, params["Plaintext"])
    stop_if_dry_run(params)
    blob = _encrypt(key, params["Plaintext"], context, algorithm)
    return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}


@service.operation("Decrypt", resources=_ciphertext_key("KeyId", "CiphertextBlob"))
def decrypt(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_recipient(params)
    algorithm = params.get("EncryptionAlgorithm", SYMMETRIC)
    key, plaintext = _open(
        ctx, params["CiphertextBlob"], params.get("KeyId"), params.get("EncryptionContext") or {}, algorithm,
        "Decrypt", params,
    )
    return {
        "KeyId": key.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm, "KeyMaterialId": key.material_id,
    }


def _reencrypt_resources(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    source = _ciphertext_key("SourceKeyId", "CiphertextBlob")(ctx, params)
    return [*source, resolve_key_arn(ctx, params["DestinationKeyId"], aliases=True)]


@service.operation("ReEncrypt", resources=_reencrypt_resources)
def re_encrypt(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    destination = use_key(ctx, params["DestinationKeyId"], "ReEncrypt")
    destination_context = params.get("DestinationEncryptionContext") or {}
    _no_context_for_asymmetric(destination, destination_context)
    destination_algorithm = params.get("DestinationEncryptionAlgorithm", SYMMETRIC)
    specs.check_algorithm(destination.spec, specs.ENCRYPT_DECRYPT, destination_algorithm)
    source_algorithm = params.get("SourceEncryptionAlgorithm", SYMMETRIC)
    source, plaintext = _open(
        ctx, params["CiphertextBlob"], params.get("SourceKeyId"), params.get("SourceEncryptionContext") or {},
        source_algorithm, "ReEncrypt", params,
    )
    if destination.spec != SYMMETRIC:
        specs.check_rsa_plaintext(destination.spec, destination_algorithm, plaintext)
    return {
        "CiphertextBlob": _encrypt(destination, plaintext, destination_context, destination_algorithm),
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
        "SourceKeyMaterialId": source.material_id,
        "DestinationKeyMaterialId": destination.material_id,
    }


def _data_key_length(params: dict[str, Any]) -> int:
    spec, count = params.get("KeySpec"), params.get("NumberOfBytes")
    if (spec is None) == (count is None):
        raise ServiceError("ValidationException", "Please specify either number of bytes or key spec.")
    return DATA_KEY_BYTES[spec] if spec is not None else int(params["NumberOfBytes"])


def _symmetric_key_for(ctx: RequestContext, params: dict[str, Any], operation: str) -> KeyInUse:
    key = use_key(ctx, params["KeyId"], operation)
    # Data keys are wrapped only by symmetric keys; AWS names the algorithm the request implies.
    specs.check_algorithm(key.spec, specs.ENCRYPT_DECRYPT, SYMMETRIC)
    return key


def _generate_data_key(ctx: RequestContext, params: dict[str, Any], operation: str) -> dict[str, Any]:
    _refuse_recipient(params)
    length = _data_key_length(params)
    key = _symmetric_key_for(ctx, params, operation)
    stop_if_dry_run(params)
    plaintext = secrets.token_bytes(length)
    blob = _encrypt(key, plaintext, params.get("EncryptionContext") or {}, SYMMETRIC)
    return {"CiphertextBlob": blob, "Plaintext": plaintext, "KeyId": key.arn, "KeyMaterialId": key.material_id}


@service.operation("GenerateDataKey", resources=key_resource(aliases=True))
def generate_data_key(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _generate_data_key(ctx, params, "GenerateDataKey")


@service.operation("GenerateDataKeyWithoutPlaintext", resources=key_resource(aliases=True))
def generate_data_key_without_plaintext(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    answer = _generate_data_key(ctx, params, "GenerateDataKeyWithoutPlaintext")
    del answer["Plaintext"]
    return answer


def _generate_data_key_pair(ctx: RequestContext, params: dict[str, Any], operation: str) -> dict[str, Any]:
    _refuse_recipient(params)
    pair_spec = params["KeyPairSpec"]
    specs.check_region(pair_spec, ctx.region)
    key = _symmetric_key_for(ctx, params, operation)
    stop_if_dry_run(params)
    private_der, public_der = crypto.generate_data_key_pair(pair_spec)
    blob = _encrypt(key, private_der, params.get("EncryptionContext") or {}, SYMMETRIC)
    return {
        "PrivateKeyCiphertextBlob": blob,
        "PrivateKeyPlaintext": private_der,
        "PublicKey": public_der,
        "KeyId": key.arn,
        "KeyPairSpec": pair_spec,
        "KeyMaterialId": key.material_id,
    }


@service.operation("GenerateDataKeyPair", resources=key_resource(aliases=True))
def generate_data_key_pair(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return _generate_data_key_pair(ctx, params, "GenerateDataKeyPair")


@service.operation("GenerateDataKeyPairWithoutPlaintext", resources=key_resource(aliases=True))
def generate_data_key_pair_without_plaintext(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    answer = _generate_data_key_pair(ctx, params, "GenerateDataKeyPairWithoutPlaintext")
    del answer["PrivateKeyPlaintext"]
    return answer


@service.operation("GenerateRandom")
def generate_random(_ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _refuse_recipient(params)
    if params.get("NumberOfBytes") is None:
        raise ServiceError("ValidationException", "NumberOfBytes is required.")
    if params.get("CustomKeyStoreId") is not None:
        raise ServiceError(
            "CustomKeyStoreNotFoundException", f"Custom key store {params['CustomKeyStoreId']} does not exist."
        )
    return {"Plaintext": secrets.token_bytes(params["NumberOfBytes"])}
