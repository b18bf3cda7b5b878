"""KMS cryptography as a pure library: functions over bytes, no HTTP and no storage.

The KMS service resolves keys and their sealed material and calls these; every failure raises
`strongroom.errors.ServiceError` with KMS's modeled error code and AWS's text. Raw primitive calls live
in `hazmat` and are not part of this interface.
"""

from __future__ import annotations

from strongroom.services.kms.crypto.agreement import derive_shared_secret
from strongroom.services.kms.crypto.asymmetric import rsa_decrypt, rsa_encrypt, sign, verify
from strongroom.services.kms.crypto.ciphertext import (
    CiphertextHeader,
    decrypt_symmetric,
    encode_context,
    encrypt_symmetric,
    read_header,
)
from strongroom.services.kms.crypto.encapsulation import decapsulate, encapsulate
from strongroom.services.kms.crypto.mac import generate_mac, verify_mac
from strongroom.services.kms.crypto.material import (
    check_material,
    generate_data_key_pair,
    generate_material,
    public_key_der,
)
from strongroom.services.kms.crypto.specs import (
    KEY_SPECS,
    KeySpecInfo,
    algorithm_lists,
    check_algorithm,
    check_message,
    check_operation_usage,
    check_region,
    check_rsa_plaintext,
    check_usage,
    key_spec_info,
    rsa_oaep_plaintext_limit,
)

__all__ = [
    "KEY_SPECS",
    "CiphertextHeader",
    "KeySpecInfo",
    "algorithm_lists",
    "check_algorithm",
    "check_material",
    "check_message",
    "check_operation_usage",
    "check_region",
    "check_rsa_plaintext",
    "check_usage",
    "decapsulate",
    "decrypt_symmetric",
    "derive_shared_secret",
    "encapsulate",
    "encode_context",
    "encrypt_symmetric",
    "generate_data_key_pair",
    "generate_mac",
    "generate_material",
    "key_spec_info",
    "public_key_der",
    "read_header",
    "rsa_decrypt",
    "rsa_encrypt",
    "rsa_oaep_plaintext_limit",
    "sign",
    "verify",
    "verify_mac",
]
