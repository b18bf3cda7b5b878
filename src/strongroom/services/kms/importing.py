"""Imported key material (keys of Origin EXTERNAL): GetParametersForImport, ImportKeyMaterial,
DeleteImportedKeyMaterial, and the scheduled task that deletes material whose ValidTo has passed.

GetParametersForImport makes an RSA wrapping key pair; its private half is kept sealed for 24 hours.
The import token handed out is itself a sealed value bound to the key (it names the stored pair and
its expiry), so a token of another key, or a forged one, cannot be opened. Material is unwrapped with
RSA-OAEP, or for the RSA_AES_KEY_WRAP algorithms as RSA-OAEP(AES-256 key) || AES-KWP (RFC 5649).

Every imported material is remembered with a sealed SHA-256 fingerprint, so that after it is deleted
or expires, only that same material can be imported again under its id.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap_with_padding
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.barrier import BarrierError
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms import states
from strongroom.services.kms.crypto import check_material, hazmat, specs
from strongroom.services.kms.events import MATERIAL_EXPIRATION, emit_key_event
from strongroom.services.kms.metadata import aware
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.rotation import PENDING_ROTATION
from strongroom.services.kms.rotation_tables import KmsImportedMaterial, KmsImportToken
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import (
    CURRENT,
    current_material,
    forget_material,
    material_cache,
    material_locator,
    note_key,
    resolve_key,
    runtime_of,
    transaction,
)
from strongroom.services.kms.tables import KmsKey, KmsKeyMaterial

if TYPE_CHECKING:
    from strongroom.barrier import Barrier
    from strongroom.runtime import Runtime

IMPORT_TOKEN_LIFETIME = timedelta(hours=24)
MAX_VALID_TO = timedelta(days=365)
WRAPPING_KEY_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
# Wrapping algorithm -> (OAEP hash, whether the material is AES-KWP wrapped under an RSA-wrapped AES key).
WRAPPING_ALGORITHMS = {
    "RSAES_OAEP_SHA_1": ("SHA_1", False),
    "RSAES_OAEP_SHA_256": ("SHA_256", False),
    "RSA_AES_KEY_WRAP_SHA_1": ("SHA_1", True),
    "RSA_AES_KEY_WRAP_SHA_256": ("SHA_256", True),
}
EXPIRES = "KEY_MATERIAL_EXPIRES"
DOES_NOT_EXPIRE = "KEY_MATERIAL_DOES_NOT_EXPIRE"
IMPORTED = "IMPORTED"
PENDING_IMPORT = "PENDING_IMPORT"
NEW_KEY_MATERIAL = "NEW_KEY_MATERIAL"
EXISTING_KEY_MATERIAL = "EXISTING_KEY_MATERIAL"


# --- sealing helpers ----------------------------------------------------------------------------


def _token_locator(key: KmsKey) -> str:
    return f"kms-import-token/{key.account_id}/{key.region}/{key.key_id}"


def _wrapping_key_locator(key: KmsKey, token_id: str) -> str:
    return f"{_token_locator(key)}/{token_id}"


def _fingerprint_locator(key: KmsKey, material_id: str) -> str:
    return f"{material_locator(key, material_id)}/fingerprint"


def _fingerprint(material: bytes) -> bytes:
    return hashlib.sha256(material).digest()


def _same_material(barrier: Barrier, key: KmsKey, record: KmsImportedMaterial, material: bytes) -> bool:
    known = barrier.open(record.sealed_fingerprint, _fingerprint_locator(key, record.material_id))
    return hmac.compare_digest(known, _fingerprint(material))


def _external_key(ctx: RequestContext, session: Session, reference: str) -> KmsKey:
    key = resolve_key(ctx, session, reference)
    note_key(ctx, key)
    if key.origin != "EXTERNAL":
        raise ServiceError(
            "UnsupportedOperationException", f"{key.arn} origin is {key.origin} which is not valid for this operation."
        )
    return key


# --- GetParametersForImport ---------------------------------------------------------------------


def _check_wrapping(ctx: RequestContext, key: KmsKey, algorithm: str, wrapping_spec: str) -> None:
    if wrapping_spec == "SM2" or algorithm == "SM2PKE":
        specs.check_region("SM2", ctx.region)
        raise ServiceError("UnsupportedOperationException", "SM2 wrapping is not supported by this server.")
    if algorithm == "RSAES_PKCS1_V1_5":
        raise ServiceError(
            "ValidationException",
            "The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_1, "
            "RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.",
        )
    if key.key_spec in specs.RSA_MODULUS_BITS and not WRAPPING_ALGORITHMS[algorithm][1]:
        raise ServiceError(
            "ValidationException",
            f"Wrapping algorithm {algorithm} cannot wrap key material of key spec {key.key_spec}. "
            "Use RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256.",
        )


@service.operation("GetParametersForImport", resources=key_resource())
def get_parameters_for_import(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    algorithm, wrapping_spec = params["WrappingAlgorithm"], params["WrappingKeySpec"]
    with transaction(ctx) as session:
        key = _external_key(ctx, session, params["KeyId"])
        check_state(key.arn, key.state, OperationClass.MANAGE)
    _check_wrapping(ctx, key, algorithm, wrapping_spec)
    private = rsa.generate_private_key(public_exponent=65537, key_size=WRAPPING_KEY_BITS[wrapping_spec])
    token_id = secrets.token_hex(16)
    expires_at = ctx.clock.now() + IMPORT_TOKEN_LIFETIME
    barrier = runtime_of(ctx).barrier
    with transaction(ctx) as session:
        session.add(
            KmsImportToken(
                token_id=token_id,
                account_id=key.account_id,
                region=key.region,
                key_id=key.key_id,
                wrapping_algorithm=algorithm,
                wrapping_key_spec=wrapping_spec,
                expires_at=expires_at,
                sealed_private_key=barrier.seal(
                    hazmat.private_pkcs8_der(private), _wrapping_key_locator(key, token_id)
                ),
            )
        )
    token = barrier.seal(json.dumps({"id": token_id, "exp": expires_at.isoformat()}).encode(), _token_locator(key))
    return {
        "KeyId": key.arn,
        "ImportToken": token,
        "PublicKey": private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "ParametersValidTo": expires_at,
    }


# --- ImportKeyMaterial --------------------------------------------------------------------------


def _invalid_token() -> ServiceError:
    return ServiceError("InvalidImportTokenException", "The import token is invalid for this KMS key.")


def _open_token(ctx: RequestContext, session: Session, key: KmsKey, token: bytes) -> KmsImportToken:
    barrier = runtime_of(ctx).barrier
    try:
        claims = json.loads(barrier.open_token(token, _token_locator(key)))
        token_id, expires_at = str(claims["id"]), datetime.fromisoformat(claims["exp"])
    except (BarrierError, ValueError, KeyError, TypeError):
        raise _invalid_token() from None
    if expires_at <= ctx.clock.now():
        raise ServiceError("ExpiredImportTokenException", "The import token has expired.")
    row = session.get(KmsImportToken, token_id)
    if row is None or (row.account_id, row.region, row.key_id) != (key.account_id, key.region, key.key_id):
        raise _invalid_token()
    return row


def _unwrap(ctx: RequestContext, key: KmsKey, row: KmsImportToken, wrapped: bytes) -> bytes:
    barrier = runtime_of(ctx).barrier
    private = hazmat.load_private_der(barrier.open(row.sealed_private_key, _wrapping_key_locator(key, row.token_id)))
    assert isinstance(private, rsa.RSAPrivateKey)
    hash_name, key_wrapped = WRAPPING_ALGORITHMS[row.wrapping_algorithm]
    try:
        if not key_wrapped:
            return hazmat.rsa_oaep_decrypt(private, hash_name, wrapped)
        split = private.key_size // 8
        aes_key = hazmat.rsa_oaep_decrypt(private, hash_name, wrapped[:split])
        return aes_key_unwrap_with_padding(aes_key, wrapped[split:])
    except (ValueError, InvalidUnwrap):
        raise ServiceError("InvalidCiphertextException", None) from None


def _expiration(ctx: RequestContext, params: dict[str, Any]) -> tuple[str, datetime | None]:
    model = params.get("ExpirationModel", EXPIRES)
    valid_to = params.get("ValidTo")
    if model == DOES_NOT_EXPIRE:
        if valid_to is not None:
            raise ServiceError(
                "ValidationException",
                "A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE",
            )
        return model, None
    if valid_to is None:
        raise ServiceError(
            "ValidationException", "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"
        )
    valid_to, now = aware(valid_to), ctx.clock.now()
    if valid_to <= now:
        raise ServiceError("ValidationException", "The validTo date must be in the future.")
    if valid_to > now + MAX_VALID_TO:
        raise ServiceError("ValidationException", "The validTo date must be no more than 365 days from now.")
    return model, valid_to


def _records(session: Session, key: KmsKey) -> list[KmsImportedMaterial]:
    return list(
        session.scalars(
            select(KmsImportedMaterial).where(
                KmsImportedMaterial.account_id == key.account_id,
                KmsImportedMaterial.region == key.region,
                KmsImportedMaterial.key_id == key.key_id,
            )
        )
    )


def _material_row(session: Session, key: KmsKey, material_id: str) -> KmsKeyMaterial | None:
    return session.get(KmsKeyMaterial, (key.account_id, key.region, key.key_id, material_id))


def _reimport_target(
    session: Session, key: KmsKey, records: list[KmsImportedMaterial], material_id: str | None
) -> KmsImportedMaterial:
    if material_id is None:
        current = current_material(session, key)
        material_id = current.material_id if current is not None else records[0].material_id
    record = next((r for r in records if r.material_id == material_id), None)
    if record is None:
        raise ServiceError("NotFoundException", f"Key material {material_id} is not associated with {key.arn}.")
    return record


def _import_new(
    session: Session, barrier: Barrier, key: KmsKey, records: list[KmsImportedMaterial], material: bytes, now: datetime
) -> tuple[str, str]:
    """A first import (CURRENT) or, for symmetric keys, new material awaiting on-demand rotation."""
    from strongroom.services.kms.keys import new_material_id  # keys does not import this module

    if records:
        if key.key_spec != "SYMMETRIC_DEFAULT":
            raise ServiceError(
                "UnsupportedOperationException", "You cannot change the key material of asymmetric or HMAC KMS keys."
            )
        pending = session.scalar(
            select(KmsKeyMaterial).where(
                KmsKeyMaterial.account_id == key.account_id,
                KmsKeyMaterial.region == key.region,
                KmsKeyMaterial.key_id == key.key_id,
                KmsKeyMaterial.state == PENDING_ROTATION,
            )
        )
        new_id = new_material_id()
        if pending is not None:
            raise ServiceError(
                "KMSInvalidStateException",
                f"New key material (id: {new_id}) cannot be imported into KMS key {key.arn}, because another key "
                f"material (id: {pending.material_id}) is pending rotation.",
            )
        if any(_same_material(barrier, key, r, material) for r in records):
            raise ServiceError(
                "IncorrectKeyMaterialException", "This key material was already imported into this KMS key."
            )
        state = PENDING_ROTATION
    else:
        new_id, state = new_material_id(), CURRENT
    session.add(
        KmsKeyMaterial(
            account_id=key.account_id,
            region=key.region,
            key_id=key.key_id,
            material_id=new_id,
            sealed_material=barrier.seal(material, material_locator(key, new_id)),
            created_at=now,
            state=state,
        )
    )
    return new_id, state


@service.operation("ImportKeyMaterial", resources=key_resource())
def import_key_material(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    model, valid_to = _expiration(ctx, params)
    barrier, now = runtime_of(ctx).barrier, ctx.clock.now()
    with transaction(ctx) as session:
        key = _external_key(ctx, session, params["KeyId"])
        check_state(key.arn, key.state, OperationClass.MANAGE)
        token = _open_token(ctx, session, key, params["ImportToken"])
        material = _unwrap(ctx, key, token, params["EncryptedKeyMaterial"])
        check_material(key.key_spec, material)
        records = _records(session, key)
        import_type = params.get("ImportType") or (EXISTING_KEY_MATERIAL if records else NEW_KEY_MATERIAL)
        if import_type == NEW_KEY_MATERIAL and params.get("KeyMaterialId") is not None:
            raise ServiceError("ValidationException", "KeyMaterialId can only be specified with EXISTING_KEY_MATERIAL.")
        if import_type == EXISTING_KEY_MATERIAL:
            if not records:
                raise ServiceError("ValidationException", f"{key.arn} has no key material to reimport.")
            record = _reimport_target(session, key, records, params.get("KeyMaterialId"))
            if not _same_material(barrier, key, record, material):
                raise ServiceError(
                    "IncorrectKeyMaterialException",
                    "The key material does not match the key material previously imported into this KMS key.",
                )
            row = _material_row(session, key, record.material_id)
            assert row is not None
            row.sealed_material = barrier.seal(material, material_locator(key, record.material_id))
            material_id = record.material_id
        else:
            material_id, _state = _import_new(session, barrier, key, records, material, now)
            record = KmsImportedMaterial(
                account_id=key.account_id,
                region=key.region,
                key_id=key.key_id,
                material_id=material_id,
                sealed_fingerprint=barrier.seal(_fingerprint(material), _fingerprint_locator(key, material_id)),
                imported_at=now,
            )
            session.add(record)
            records.append(record)
        record.import_state, record.expiration_model, record.valid_to = IMPORTED, model, valid_to
        if "KeyMaterialDescription" in params:
            record.description = params["KeyMaterialDescription"]
        if key.state == states.PENDING_IMPORT and all(r.import_state == IMPORTED for r in records):
            key.state = states.ENABLED
    forget_material(key)
    return {"KeyId": key.arn, "KeyMaterialId": material_id}


# --- deletion and expiry ------------------------------------------------------------------------


def _drop_material(session: Session, key: KmsKey, record: KmsImportedMaterial) -> None:
    """Destroy one imported material; the key waits for its reimport unless it is being deleted."""
    row = _material_row(session, key, record.material_id)
    if row is not None and row.state == PENDING_ROTATION:
        # Never used: forgotten entirely, the key keeps working with its current material.
        session.delete(row)
        session.delete(record)
        return
    if row is not None:
        row.sealed_material = b""  # the sealed copy is gone; the row keeps its place in the rotation history
    record.import_state = PENDING_IMPORT
    if key.state in (states.ENABLED, states.DISABLED):
        key.state = states.PENDING_IMPORT
    material_cache.forget_key(key.account_id, key.region, key.key_id)


@service.operation("DeleteImportedKeyMaterial", resources=key_resource())
def delete_imported_key_material(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        key = _external_key(ctx, session, params["KeyId"])
        check_state(key.arn, key.state, OperationClass.ANY_STATE)
        records = _records(session, key)
        if not records:
            return {"KeyId": key.arn, "KeyMaterialId": ""}
        record = _reimport_target(session, key, records, params.get("KeyMaterialId"))
        _drop_material(session, key, record)
        material_id = record.material_id
    return {"KeyId": key.arn, "KeyMaterialId": material_id}


@service.task("expire-imported-material")
def expire_imported_material(runtime: Runtime) -> None:
    """Delete imported material whose ValidTo has passed, and forget import parameters past their 24 hours."""
    now = runtime.clock.now()
    with runtime.database.session() as session:
        session.execute(delete(KmsImportToken).where(KmsImportToken.expires_at <= now))
        due = session.execute(
            select(
                KmsImportedMaterial.account_id,
                KmsImportedMaterial.region,
                KmsImportedMaterial.key_id,
                KmsImportedMaterial.material_id,
            ).where(
                KmsImportedMaterial.import_state == IMPORTED,
                KmsImportedMaterial.expiration_model == EXPIRES,
                KmsImportedMaterial.valid_to <= now,
            )
        ).all()
    for account_id, region, key_id, material_id in due:
        with runtime.database.session() as session:
            key = session.get(KmsKey, (account_id, region, key_id), with_for_update=True)
            record = session.get(KmsImportedMaterial, (account_id, region, key_id, material_id))
            if key is None or record is None or record.import_state != IMPORTED or record.valid_to is None:
                continue  # reimported, deleted or expired by another worker meanwhile
            if aware(record.valid_to) > now:
                continue
            _drop_material(session, key, record)
            emit_key_event(runtime, session, MATERIAL_EXPIRATION, account_id=account_id, region=region, key_id=key_id,
                           time=now)
