"""The KMS errors this package raises, with AWS's codes and texts in one place.

Texts marked [rec] were seen in responses from real AWS; the others follow the same pattern and are
noted as such where they are defined.
"""

from __future__ import annotations

from strongroom.errors import ServiceError as ServiceError  # re-exported for the recipe modules


def invalid_ciphertext() -> ServiceError:
    """Any failure to parse, authenticate or decrypt a ciphertext; AWS sends no message [rec]."""
    return ServiceError("InvalidCiphertextException", None)


def invalid_signature() -> ServiceError:
    """Verify found the signature false; no message [rec]."""
    return ServiceError("KMSInvalidSignatureException", None)


def invalid_mac() -> ServiceError:
    """VerifyMac found the MAC false; no message [rec]."""
    return ServiceError("KMSInvalidMacException", None)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def incompatible_algorithm(algorithm: str, key_spec: str) -> ServiceError:
    """An algorithm the key spec does not offer [rec for HMAC keys]."""
    return ServiceError("InvalidKeyUsageException", f"Algorithm {algorithm} is incompatible with key spec {key_spec}.")


def unsupported(message: str) -> ServiceError:
    return ServiceError("UnsupportedOperationException", message)


def internal(message: str) -> ServiceError:
    """Our own invariant broke (e.g. stored material of the wrong shape): the client learns nothing useful."""
    return ServiceError("KMSInternalException", message, status=500, sender_fault=False)
