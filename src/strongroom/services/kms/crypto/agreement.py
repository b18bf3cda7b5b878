"""DeriveSharedSecret: ECDH between a KEY_AGREEMENT key and a peer's public key.

KMS returns the raw shared secret (the x-coordinate of the shared point, field-sized) and leaves key
derivation to the caller. The peer key must be a DER SubjectPublicKeyInfo on the same curve; anything
else is a ValidationException (our text: AWS's exact wording for this case is not recorded here).
"""

from __future__ import annotations

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec

from strongroom.services.kms.crypto import errors, hazmat, material, specs


def derive_shared_secret(
    key_spec: str, key_material: bytes, peer_public_key_der: bytes, algorithm: str = "ECDH"
) -> bytes:
    """The raw ECDH shared secret of this key and the peer: 32, 48 or 66 bytes for P-256, P-384, P-521."""
    specs.check_algorithm(key_spec, specs.KEY_AGREEMENT, algorithm)
    private = material.private_key(key_spec, key_material)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise errors.internal(f"{key_spec} is not an elliptic-curve key spec.")
    peer = _peer_key(key_spec, peer_public_key_der)
    try:
        return hazmat.ecdh(private, peer)
    except ValueError:
        raise _bad_peer_key(key_spec) from None


def _peer_key(key_spec: str, der: bytes) -> ec.EllipticCurvePublicKey:
    # Loading checks the point is on its curve; the curve check below rejects a valid key of another curve.
    try:
        peer = hazmat.load_public_der(der)
    except (ValueError, UnsupportedAlgorithm):
        raise _bad_peer_key(key_spec) from None
    if not isinstance(peer, ec.EllipticCurvePublicKey) or not isinstance(peer.curve, hazmat.CURVES[key_spec]):
        raise _bad_peer_key(key_spec)
    return peer


def _bad_peer_key(key_spec: str) -> errors.ServiceError:
    return errors.validation(
        f"The public key must be a DER-encoded SubjectPublicKeyInfo of an elliptic curve key of key spec {key_spec}."
    )
