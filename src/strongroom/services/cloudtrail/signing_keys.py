"""Digest signing keys, one RSA key pair per region, and ListPublicKeys.

Key pairs are generated with `cryptography` (OpenSSL's generator, seeded from the OS CSPRNG); the
private half is stored only as the barrier sealed it. Public halves are published as DER PKCS#1
RSAPublicKey, the form validators load, with a fingerprint that digests name.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.cloudtrail.plugin import runtime_of, service, transaction
from strongroom.services.cloudtrail.tables import CloudTrailSigningKey
from strongroom.services.cloudtrail.times import aware

if TYPE_CHECKING:
    from strongroom.barrier import Barrier
    from strongroom.runtime import Runtime

KEY_BITS = 2048
SIGNATURE_ALGORITHM = "SHA256withRSA"

_private_keys: dict[str, rsa.RSAPrivateKey] = {}
_private_keys_lock = threading.Lock()


def fingerprint_of(public_der: bytes) -> str:
    """32 hex digits naming a public key (the first half of its DER's SHA-256)."""
    return hashlib.sha256(public_der).hexdigest()[:32]


def _locator(region: str, key_number: int) -> str:
    return f"cloudtrail/signing-key/{region}/{key_number}"


def current_key(runtime: Runtime, session: Session, region: str, now: datetime) -> CloudTrailSigningKey:
    """The region's signing key, created on first use (concurrent creators agree on one)."""
    key = _newest(session, region)
    if key is not None:
        return key
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    public_der = private.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    sealed = runtime.barrier.seal(
        private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
        _locator(region, 1),
    )
    candidate = CloudTrailSigningKey(region=region, key_number=1, fingerprint=fingerprint_of(public_der),
                                     public_der=public_der, sealed_private=sealed, valid_from=now)
    try:
        with session.begin_nested():
            session.add(candidate)
    except IntegrityError:
        pass  # another worker created it first: use theirs
    key = _newest(session, region)
    assert key is not None
    return key


def _newest(session: Session, region: str) -> CloudTrailSigningKey | None:
    return session.scalar(select(CloudTrailSigningKey).where(CloudTrailSigningKey.region == region)
                          .order_by(CloudTrailSigningKey.key_number.desc()).limit(1))


def _private_key(barrier: Barrier, key: CloudTrailSigningKey) -> rsa.RSAPrivateKey:
    with _private_keys_lock:
        cached = _private_keys.get(key.fingerprint)
    if cached is not None:
        return cached
    loaded = serialization.load_der_private_key(barrier.open(key.sealed_private, _locator(key.region, key.key_number)),
                                                password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    with _private_keys_lock:
        _private_keys[key.fingerprint] = loaded
    return loaded


def sign(barrier: Barrier, key: CloudTrailSigningKey, message: bytes) -> bytes:
    """RSA PKCS#1 v1.5 over SHA-256 of `message`."""
    return _private_key(barrier, key).sign(message, padding.PKCS1v15(), hashes.SHA256())


@service.operation("ListPublicKeys")
def list_public_keys(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    now = runtime.clock.now()
    end = aware(params["EndTime"]) if params.get("EndTime") else now
    start = aware(params["StartTime"]) if params.get("StartTime") else end
    if start > end:
        raise ServiceError("InvalidTimeRangeException", "Start time must be before end time.")
    with transaction(ctx) as session:
        current_key(runtime, session, ctx.region, now)
        keys = list(session.scalars(select(CloudTrailSigningKey).where(CloudTrailSigningKey.region == ctx.region)
                                    .order_by(CloudTrailSigningKey.key_number)))
    listed = []
    for key in keys:
        valid_until = aware(key.valid_until) if key.valid_until else now
        if aware(key.valid_from) <= end and valid_until >= start:
            listed.append({"Value": key.public_der, "ValidityStartTime": aware(key.valid_from),
                           "ValidityEndTime": valid_until, "Fingerprint": key.fingerprint})
    return {"PublicKeyList": listed}
