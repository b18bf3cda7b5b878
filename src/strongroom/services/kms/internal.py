"""KMS for other services (SSM Parameter Store, Secrets Manager, ...), acting with their caller's permissions.

Each function runs the KMS operation as if the caller had sent it to KMS through the calling service:
the same input validation, the same authorizer (key policy, IAM, grants), the same handler (key state,
usage, key material), with `kms:ViaService = <service>.<region>.amazonaws.com` and `kms:CallerAccount`
in the request context. KMS's own errors (`ServiceError` with KMS codes: NotFoundException,
DisabledException, KMSInvalidStateException, AccessDeniedException, InvalidCiphertextException, ...)
are raised for the calling service to map to its own. Like AWS, each call is recorded as a KMS event
whose source is the calling service, committed with the calling request's own record.

    blob, key_arn = encrypt_as_caller(ctx, key_reference="alias/aws/ssm", plaintext=b"...",
                                      context={"PARAMETER_ARN": arn}, via_service="ssm")
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from strongroom.audit.writer import COMPANIONS, AuditWriteError
from strongroom.context import RequestContext
from strongroom.errors import InternalFailure, ServiceError
from strongroom.services.kms.authorization import VIA_SERVICE
from strongroom.services.kms.managed_keys import managed_key
from strongroom.services.kms.plugin import service
from strongroom.services.kms.store import resolve_key_arn
from strongroom.wire.validate import validate_input


def _kms_context(ctx: RequestContext, operation_name: str, params: dict[str, Any], via_service: str) -> RequestContext:
    """A KMS request context for the caller of `ctx`, made through `via_service`."""
    return dataclasses.replace(
        ctx,
        service=service.model,
        operation=service.model.operation_model(operation_name),
        params=params,
        resources=[],
        extra={VIA_SERVICE: f"{via_service}.{ctx.region}.amazonaws.com"},
        source_ip=f"{via_service}.amazonaws.com",
        user_agent=f"{via_service}.amazonaws.com",
    )


def _audit(kms_ctx: RequestContext, output: dict[str, Any] | None, error: ServiceError | None) -> None:
    from strongroom.audit.record import build_record

    if kms_ctx.runtime is None:
        return
    operation = service.operations.get(kms_ctx.operation.name if kms_ctx.operation is not None else "")
    read_only = operation.read_only if operation is not None else False
    record = build_record(kms_ctx, event_source=service.event_source, read_only=read_only, output=output,
                          error=error)
    companions = kms_ctx.extra.get(COMPANIONS, ())
    if kms_ctx.additional_audit is not None:
        # Committed by the pipeline together with the calling request's own record, before it answers.
        kms_ctx.additional_audit.append((record, companions))
        return
    try:
        kms_ctx.runtime.audit.write_blocking(record, companions)
    except AuditWriteError:
        raise InternalFailure() from None


def _call(ctx: RequestContext, operation_name: str, params: dict[str, Any], via_service: str) -> dict[str, Any]:
    """Validate, authorize and handle one KMS operation for the caller of `ctx`, and record it."""
    kms_ctx = _kms_context(ctx, operation_name, params, via_service)
    operation = service.operations[operation_name]
    assert kms_ctx.operation is not None and service.authorizer is not None
    try:
        validate_input(service.model, kms_ctx.operation, params)
        service.authorizer(kms_ctx, operation, params)
        output = operation.handler(kms_ctx, params)
    except ServiceError as error:
        _audit(kms_ctx, None, error)
        raise
    _audit(kms_ctx, output, None)
    return output


def _with_context(params: dict[str, Any], context: Mapping[str, str]) -> dict[str, Any]:
    if context:
        params["EncryptionContext"] = dict(context)
    return params


def encrypt_as_caller(
    ctx: RequestContext, *, key_reference: str, plaintext: bytes, context: Mapping[str, str], via_service: str
) -> tuple[bytes, str]:
    """Encrypt under the key `key_reference` names (id, ARN, alias name or alias ARN): (ciphertext blob, key ARN)."""
    params = _with_context({"KeyId": key_reference, "Plaintext": plaintext}, context)
    output = _call(ctx, "Encrypt", params, via_service)
    return output["CiphertextBlob"], output["KeyId"]


def decrypt_as_caller(
    ctx: RequestContext, *, blob: bytes, context: Mapping[str, str], via_service: str
) -> tuple[bytes, str]:
    """Decrypt a symmetric ciphertext blob (its key is read from it): (plaintext, key ARN)."""
    output = _call(ctx, "Decrypt", _with_context({"CiphertextBlob": blob}, context), via_service)
    return output["Plaintext"], output["KeyId"]


def generate_data_key_as_caller(
    ctx: RequestContext,
    *,
    key_reference: str,
    context: Mapping[str, str],
    via_service: str,
    number_of_bytes: int = 32,
) -> tuple[bytes, bytes, str]:
    """A new data key: (plaintext data key, the data key encrypted under `key_reference`, key ARN)."""
    params = _with_context({"KeyId": key_reference, "NumberOfBytes": number_of_bytes}, context)
    output = _call(ctx, "GenerateDataKey", params, via_service)
    return output["Plaintext"], output["CiphertextBlob"], output["KeyId"]


def resolve_key_arn_as_caller(ctx: RequestContext, key_reference: str) -> str:
    """The ARN of the key `key_reference` names, in the caller's region; KMS's NotFoundException otherwise.

    Only resolves: using the key is authorized when it is used.
    """
    return resolve_key_arn(ctx, key_reference, aliases=True)


def managed_key_arn(ctx: RequestContext, service_alias: str) -> str:
    """The ARN of the AWS managed key `service_alias` ("alias/aws/ssm") of the caller's account and region.

    Created on first use: KeyManager AWS, rotated yearly, usable only through its service.
    """
    return managed_key(ctx, service_alias).arn
