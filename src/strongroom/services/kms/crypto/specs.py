"""The key-spec table: which usages each KeySpec allows, the algorithm lists KMS reports for it, and limits.

Every check raises the error AWS answers for the same mistake. Sources: botocore's `kms` model for the
names, the KMS developer guide and recorded AWS responses for the pairings and texts (see the notes at
each function where a text is inferred from AWS's pattern rather than recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.services.kms.crypto import errors

ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"
ENCAPSULATE_DECAPSULATE = "ENCAPSULATE_DECAPSULATE"

RAW = "RAW"
DIGEST = "DIGEST"
EXTERNAL_MU = "EXTERNAL_MU"

_RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
# The order DescribeKey reports them in.
_RSA_SIGNING = (
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
)

# The regions where AWS offers SM2 (and SM4 behind SYMMETRIC_DEFAULT).
CHINA_REGIONS = frozenset({"cn-north-1", "cn-northwest-1"})


@dataclass(frozen=True, slots=True)
class KeySpecInfo:
    """What one KeySpec may do. Algorithm tuples are in the order KMS lists them."""

    name: str
    usages: tuple[str, ...]
    encryption_algorithms: tuple[str, ...] = ()
    signing_algorithms: tuple[str, ...] = ()
    mac_algorithms: tuple[str, ...] = ()
    key_agreement_algorithms: tuple[str, ...] = ()
    encapsulation_algorithms: tuple[str, ...] = ()
    china_only: bool = False

    def algorithms_for(self, key_usage: str) -> tuple[str, ...]:
        return {
            ENCRYPT_DECRYPT: self.encryption_algorithms,
            SIGN_VERIFY: self.signing_algorithms,
            GENERATE_VERIFY_MAC: self.mac_algorithms,
            KEY_AGREEMENT: self.key_agreement_algorithms,
            ENCAPSULATE_DECAPSULATE: self.encapsulation_algorithms,
        }.get(key_usage, ())


def _rsa(name: str) -> KeySpecInfo:
    return KeySpecInfo(name, (ENCRYPT_DECRYPT, SIGN_VERIFY), _RSA_ENCRYPTION, _RSA_SIGNING)


def _nist(name: str, ecdsa: str) -> KeySpecInfo:
    return KeySpecInfo(
        name, (SIGN_VERIFY, KEY_AGREEMENT), signing_algorithms=(ecdsa,), key_agreement_algorithms=("ECDH",)
    )


def _hmac(name: str, algorithm: str) -> KeySpecInfo:
    return KeySpecInfo(name, (GENERATE_VERIFY_MAC,), mac_algorithms=(algorithm,))


def _ml_dsa(name: str) -> KeySpecInfo:
    return KeySpecInfo(name, (SIGN_VERIFY,), signing_algorithms=("ML_DSA_SHAKE_256",))


def _ml_kem(name: str) -> KeySpecInfo:
    return KeySpecInfo(name, (ENCAPSULATE_DECAPSULATE,), encapsulation_algorithms=("ML_KEM",))


KEY_SPECS: dict[str, KeySpecInfo] = {
    info.name: info
    for info in (
        KeySpecInfo("SYMMETRIC_DEFAULT", (ENCRYPT_DECRYPT,), encryption_algorithms=("SYMMETRIC_DEFAULT",)),
        _rsa("RSA_2048"),
        _rsa("RSA_3072"),
        _rsa("RSA_4096"),
        _nist("ECC_NIST_P256", "ECDSA_SHA_256"),
        _nist("ECC_NIST_P384", "ECDSA_SHA_384"),
        _nist("ECC_NIST_P521", "ECDSA_SHA_512"),
        KeySpecInfo("ECC_SECG_P256K1", (SIGN_VERIFY,), signing_algorithms=("ECDSA_SHA_256",)),
        KeySpecInfo(
            "ECC_NIST_EDWARDS25519", (SIGN_VERIFY,), signing_algorithms=("ED25519_SHA_512", "ED25519_PH_SHA_512")
        ),
        _ml_dsa("ML_DSA_44"),
        _ml_dsa("ML_DSA_65"),
        _ml_dsa("ML_DSA_87"),
        _ml_kem("ML_KEM_512"),
        _ml_kem("ML_KEM_768"),
        _ml_kem("ML_KEM_1024"),
        _hmac("HMAC_224", "HMAC_SHA_224"),
        _hmac("HMAC_256", "HMAC_SHA_256"),
        _hmac("HMAC_384", "HMAC_SHA_384"),
        _hmac("HMAC_512", "HMAC_SHA_512"),
        KeySpecInfo(
            "SM2",
            (ENCRYPT_DECRYPT, SIGN_VERIFY, KEY_AGREEMENT),
            encryption_algorithms=("SM2PKE",),
            signing_algorithms=("SM2DSA",),
            key_agreement_algorithms=("ECDH",),
            china_only=True,
        ),
    )
}

# The KeyMetadata / GetPublicKey member that carries the algorithm list of each usage.
ALGORITHM_MEMBERS = {
    ENCRYPT_DECRYPT: "EncryptionAlgorithms",
    SIGN_VERIFY: "SigningAlgorithms",
    GENERATE_VERIFY_MAC: "MacAlgorithms",
    KEY_AGREEMENT: "KeyAgreementAlgorithms",
    ENCAPSULATE_DECAPSULATE: "EncapsulationAlgorithms",
}

# The usage each cryptographic operation needs.
OPERATION_USAGE = {
    "Encrypt": ENCRYPT_DECRYPT,
    "Decrypt": ENCRYPT_DECRYPT,
    "ReEncrypt": ENCRYPT_DECRYPT,
    "GenerateDataKey": ENCRYPT_DECRYPT,
    "GenerateDataKeyWithoutPlaintext": ENCRYPT_DECRYPT,
    "GenerateDataKeyPair": ENCRYPT_DECRYPT,
    "GenerateDataKeyPairWithoutPlaintext": ENCRYPT_DECRYPT,
    "Sign": SIGN_VERIFY,
    "Verify": SIGN_VERIFY,
    "GenerateMac": GENERATE_VERIFY_MAC,
    "VerifyMac": GENERATE_VERIFY_MAC,
    "DeriveSharedSecret": KEY_AGREEMENT,
    "Encapsulate": ENCAPSULATE_DECAPSULATE,
    "Decapsulate": ENCAPSULATE_DECAPSULATE,
}

RSA_MODULUS_BITS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
HMAC_KEY_BYTES = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
SYMMETRIC_KEY_BYTES = 32

# Hash output length of each OAEP algorithm, for the plaintext limit k - 2*hLen - 2.
_OAEP_HASH_BYTES = {"RSAES_OAEP_SHA_1": 20, "RSAES_OAEP_SHA_256": 32}

# Length a DIGEST message must have, per signing algorithm. SM2DSA digests are SM3 (32 bytes).
DIGEST_LENGTHS = {
    "RSASSA_PSS_SHA_256": 32,
    "RSASSA_PSS_SHA_384": 48,
    "RSASSA_PSS_SHA_512": 64,
    "RSASSA_PKCS1_V1_5_SHA_256": 32,
    "RSASSA_PKCS1_V1_5_SHA_384": 48,
    "RSASSA_PKCS1_V1_5_SHA_512": 64,
    "ECDSA_SHA_256": 32,
    "ECDSA_SHA_384": 48,
    "ECDSA_SHA_512": 64,
    "ED25519_PH_SHA_512": 64,
    "SM2DSA": 32,
}
EXTERNAL_MU_BYTES = 64


def key_spec_info(key_spec: str) -> KeySpecInfo:
    """The table row; the model's enum check has already refused names outside it."""
    info = KEY_SPECS.get(key_spec)
    if info is None:
        raise errors.validation(f"KeySpec {key_spec} is not a valid key spec.")
    return info


def algorithm_lists(key_spec: str, key_usage: str) -> dict[str, list[str]]:
    """The single algorithm-list member DescribeKey and GetPublicKey report for this spec and usage."""
    member = ALGORITHM_MEMBERS.get(key_usage)
    if member is None:
        return {}
    return {member: list(key_spec_info(key_spec).algorithms_for(key_usage))}


def check_usage(key_spec: str, key_usage: str) -> None:
    """CreateKey's pairing check [rec: `KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048`]."""
    if key_usage not in key_spec_info(key_spec).usages:
        raise errors.validation(f"KeyUsage {key_usage} is not compatible with KeySpec {key_spec}")


def check_region(key_spec: str, region: str) -> None:
    """SM2 exists only in the China regions; elsewhere AWS answers UnsupportedOperationException.

    The text is as observed from us-east-1 (third-party report, not an AWS recording of ours).
    """
    if key_spec_info(key_spec).china_only and region not in CHINA_REGIONS:
        raise errors.unsupported(f"KeySpec {key_spec} is not supported in this Region")


def check_operation_usage(key_arn: str, key_usage: str, operation: str) -> None:
    """An operation on a key of the wrong usage.

    [rec] `<arn> key usage is SIGN_VERIFY which is not valid for Encrypt.` (InvalidKeyUsageException)
    """
    needed = OPERATION_USAGE.get(operation)
    if needed is not None and needed != key_usage:
        raise errors.ServiceError(
            "InvalidKeyUsageException", f"{key_arn} key usage is {key_usage} which is not valid for {operation}."
        )


# Every (key spec, usage, algorithm) the table offers: the per-request check is one set lookup.
_OFFERED = frozenset(
    (info.name, usage, algorithm)
    for info in KEY_SPECS.values()
    for usage in ALGORITHM_MEMBERS
    for algorithm in info.algorithms_for(usage)
)


def check_algorithm(key_spec: str, key_usage: str, algorithm: str) -> None:
    """The algorithm must be one the spec lists for its usage.

    [rec] `Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.` (InvalidKeyUsageException)
    """
    if (key_spec, key_usage, algorithm) not in _OFFERED:
        key_spec_info(key_spec)  # a spec outside the table is a ValidationException of its own
        raise errors.incompatible_algorithm(algorithm, key_spec)


def rsa_oaep_plaintext_limit(key_spec: str, algorithm: str) -> int:
    """Largest plaintext RSA-OAEP can take: k - 2*hLen - 2 bytes (214/190, 342/318, 470/446)."""
    return RSA_MODULUS_BITS[key_spec] // 8 - 2 * _OAEP_HASH_BYTES[algorithm] - 2


def check_rsa_plaintext(key_spec: str, algorithm: str, plaintext: bytes) -> None:
    limit = rsa_oaep_plaintext_limit(key_spec, algorithm)
    if len(plaintext) > limit:
        raise errors.validation(
            f"Algorithm {algorithm} and key spec {key_spec} cannot encrypt data larger than {limit} bytes."
        )


def check_message(key_spec: str, algorithm: str, message_type: str, message: bytes) -> None:
    """MessageType rules of Sign and Verify, after the algorithm has been checked against the spec.

    The `Message type X is incompatible with ...` and External Mu texts follow AWS's observed replies
    for ML-DSA and Ed25519 keys (third-party reports); the DIGEST-length text is recorded.
    """
    if message_type == RAW:
        if algorithm == "ED25519_PH_SHA_512":
            raise errors.validation(f"Message type RAW is incompatible with algorithm {algorithm}.")
        return
    if message_type == EXTERNAL_MU:
        if not key_spec.startswith("ML_DSA_"):
            raise errors.validation(f"Message type EXTERNAL_MU is incompatible with key spec {key_spec}.")
        if len(message) != EXTERNAL_MU_BYTES:
            raise errors.validation(f"External Mu is invalid length for algorithm {algorithm}.")
        return
    if message_type != DIGEST:
        raise errors.validation(f"Message type {message_type} is incompatible with key spec {key_spec}.")
    if key_spec.startswith("ML_DSA_"):
        raise errors.validation(f"Message type DIGEST is incompatible with key spec {key_spec}.")
    if algorithm == "ED25519_SHA_512":
        raise errors.validation(f"Message type DIGEST is incompatible with algorithm {algorithm}.")
    if len(message) != DIGEST_LENGTHS[algorithm]:
        raise errors.validation(f"Digest is invalid length for algorithm {algorithm}.")
