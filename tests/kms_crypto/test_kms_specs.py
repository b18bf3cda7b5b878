"""The key-spec table against botocore's kms model and AWS's documented pairings, limits and error texts."""

from __future__ import annotations

import pytest

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import (
    KEY_SPECS,
    algorithm_lists,
    check_algorithm,
    check_message,
    check_operation_usage,
    check_region,
    check_rsa_plaintext,
    check_usage,
    rsa_oaep_plaintext_limit,
)
from strongroom.wire.specs import load_service

MODEL = load_service("kms")
ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def enum(shape: str) -> set[str]:
    return set(MODEL.shape_for(shape).enum)


def raises(code: str, message: str | None, call: object, *args: object) -> None:
    with pytest.raises(ServiceError) as caught:
        call(*args)  # type: ignore[operator]
    assert (caught.value.code, caught.value.message) == (code, message)


def test_every_model_key_spec_has_a_row() -> None:
    assert set(KEY_SPECS) == enum("KeySpec")
    assert enum("DataKeyPairSpec") <= set(KEY_SPECS)


def test_table_names_are_the_models() -> None:
    for info in KEY_SPECS.values():
        assert set(info.usages) <= enum("KeyUsageType")
        assert set(info.encryption_algorithms) <= enum("EncryptionAlgorithmSpec")
        assert set(info.signing_algorithms) <= enum("SigningAlgorithmSpec")
        assert set(info.mac_algorithms) <= enum("MacAlgorithmSpec")
        assert set(info.key_agreement_algorithms) <= enum("KeyAgreementAlgorithmSpec")
        assert set(info.encapsulation_algorithms) <= enum("EncapsulationAlgorithmSpec")
        for usage in info.usages:
            assert info.algorithms_for(usage), (info.name, usage)


# (key spec, usage) -> the one list DescribeKey reports, per the KMS developer guide's key-spec tables.
REPORTED = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"]}),
    ("RSA_2048", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]}),
    (
        "RSA_4096",
        "SIGN_VERIFY",
        {
            "SigningAlgorithms": [
                "RSASSA_PKCS1_V1_5_SHA_256",
                "RSASSA_PKCS1_V1_5_SHA_384",
                "RSASSA_PKCS1_V1_5_SHA_512",
                "RSASSA_PSS_SHA_256",
                "RSASSA_PSS_SHA_384",
                "RSASSA_PSS_SHA_512",
            ]
        },
    ),
    ("ECC_NIST_P384", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_384"]}),
    ("ECC_NIST_P521", "KEY_AGREEMENT", {"KeyAgreementAlgorithms": ["ECDH"]}),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", {"SigningAlgorithms": ["ECDSA_SHA_256"]}),
    ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", {"SigningAlgorithms": ["ED25519_SHA_512", "ED25519_PH_SHA_512"]}),
    ("ML_DSA_65", "SIGN_VERIFY", {"SigningAlgorithms": ["ML_DSA_SHAKE_256"]}),
    ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE", {"EncapsulationAlgorithms": ["ML_KEM"]}),
    ("HMAC_384", "GENERATE_VERIFY_MAC", {"MacAlgorithms": ["HMAC_SHA_384"]}),
    ("SM2", "ENCRYPT_DECRYPT", {"EncryptionAlgorithms": ["SM2PKE"]}),
]


@pytest.mark.parametrize(("key_spec", "usage", "expected"), REPORTED)
def test_reported_algorithm_lists(key_spec: str, usage: str, expected: dict[str, list[str]]) -> None:
    assert algorithm_lists(key_spec, usage) == expected


ALLOWED = {
    "SYMMETRIC_DEFAULT": {"ENCRYPT_DECRYPT"},
    "RSA_2048": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
    "RSA_3072": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
    "RSA_4096": {"ENCRYPT_DECRYPT", "SIGN_VERIFY"},
    "ECC_NIST_P256": {"SIGN_VERIFY", "KEY_AGREEMENT"},
    "ECC_NIST_P384": {"SIGN_VERIFY", "KEY_AGREEMENT"},
    "ECC_NIST_P521": {"SIGN_VERIFY", "KEY_AGREEMENT"},
    "ECC_SECG_P256K1": {"SIGN_VERIFY"},
    "ECC_NIST_EDWARDS25519": {"SIGN_VERIFY"},
    "ML_DSA_44": {"SIGN_VERIFY"},
    "ML_DSA_65": {"SIGN_VERIFY"},
    "ML_DSA_87": {"SIGN_VERIFY"},
    "ML_KEM_512": {"ENCAPSULATE_DECAPSULATE"},
    "ML_KEM_768": {"ENCAPSULATE_DECAPSULATE"},
    "ML_KEM_1024": {"ENCAPSULATE_DECAPSULATE"},
    "HMAC_224": {"GENERATE_VERIFY_MAC"},
    "HMAC_256": {"GENERATE_VERIFY_MAC"},
    "HMAC_384": {"GENERATE_VERIFY_MAC"},
    "HMAC_512": {"GENERATE_VERIFY_MAC"},
    "SM2": {"ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"},
}


@pytest.mark.parametrize("key_spec", sorted(ALLOWED))
def test_usage_pairings(key_spec: str) -> None:
    for usage in sorted(enum("KeyUsageType")):
        if usage in ALLOWED[key_spec]:
            check_usage(key_spec, usage)
        else:
            raises(
                "ValidationException",
                f"KeyUsage {usage} is not compatible with KeySpec {key_spec}",
                check_usage,
                key_spec,
                usage,
            )


def test_recorded_usage_error_text() -> None:
    raises(
        "ValidationException",
        "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048",
        check_usage,
        "RSA_2048",
        "KEY_AGREEMENT",
    )


def test_operation_on_key_of_another_usage() -> None:
    raises(
        "InvalidKeyUsageException",
        f"{ARN} key usage is SIGN_VERIFY which is not valid for Encrypt.",
        check_operation_usage,
        ARN,
        "SIGN_VERIFY",
        "Encrypt",
    )
    raises(
        "InvalidKeyUsageException",
        f"{ARN} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.",
        check_operation_usage,
        ARN,
        "ENCRYPT_DECRYPT",
        "GenerateMac",
    )
    check_operation_usage(ARN, "KEY_AGREEMENT", "DeriveSharedSecret")


@pytest.mark.parametrize(
    ("key_spec", "usage", "algorithm"),
    [
        ("HMAC_256", "GENERATE_VERIFY_MAC", "HMAC_SHA_512"),
        ("RSA_2048", "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT"),
        ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "RSAES_OAEP_SHA_256"),
        ("ECC_NIST_P256", "SIGN_VERIFY", "ECDSA_SHA_384"),
        ("ECC_SECG_P256K1", "KEY_AGREEMENT", "ECDH"),
        ("RSA_3072", "SIGN_VERIFY", "ECDSA_SHA_256"),
    ],
)
def test_incompatible_algorithm(key_spec: str, usage: str, algorithm: str) -> None:
    raises(
        "InvalidKeyUsageException",
        f"Algorithm {algorithm} is incompatible with key spec {key_spec}.",
        check_algorithm,
        key_spec,
        usage,
        algorithm,
    )


# KMS developer guide, RSA key specs for encryption: maximum plaintext per spec and OAEP hash.
OAEP_LIMITS = [
    ("RSA_2048", "RSAES_OAEP_SHA_1", 214),
    ("RSA_2048", "RSAES_OAEP_SHA_256", 190),
    ("RSA_3072", "RSAES_OAEP_SHA_1", 342),
    ("RSA_3072", "RSAES_OAEP_SHA_256", 318),
    ("RSA_4096", "RSAES_OAEP_SHA_1", 470),
    ("RSA_4096", "RSAES_OAEP_SHA_256", 446),
]


@pytest.mark.parametrize(("key_spec", "algorithm", "limit"), OAEP_LIMITS)
def test_oaep_limits(key_spec: str, algorithm: str, limit: int) -> None:
    assert rsa_oaep_plaintext_limit(key_spec, algorithm) == limit
    check_rsa_plaintext(key_spec, algorithm, b"\0" * limit)
    raises(
        "ValidationException",
        f"Algorithm {algorithm} and key spec {key_spec} cannot encrypt data larger than {limit} bytes.",
        check_rsa_plaintext,
        key_spec,
        algorithm,
        b"\0" * (limit + 1),
    )


def test_recorded_oaep_limit_text() -> None:
    raises(
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_1 and key spec RSA_2048 cannot encrypt data larger than 214 bytes.",
        check_rsa_plaintext,
        "RSA_2048",
        "RSAES_OAEP_SHA_1",
        b"\0" * 215,
    )


DIGEST_LENGTHS = [
    ("RSA_2048", "RSASSA_PSS_SHA_256", 32),
    ("RSA_2048", "RSASSA_PSS_SHA_384", 48),
    ("RSA_2048", "RSASSA_PSS_SHA_512", 64),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", 32),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384", 48),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", 64),
    ("ECC_NIST_P256", "ECDSA_SHA_256", 32),
    ("ECC_NIST_P384", "ECDSA_SHA_384", 48),
    ("ECC_NIST_P521", "ECDSA_SHA_512", 64),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", 32),
    ("ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", 64),
]


@pytest.mark.parametrize(("key_spec", "algorithm", "length"), DIGEST_LENGTHS)
def test_digest_lengths(key_spec: str, algorithm: str, length: int) -> None:
    check_message(key_spec, algorithm, "DIGEST", b"\0" * length)
    for wrong in (length - 1, length + 1, 20):
        raises(
            "ValidationException",
            f"Digest is invalid length for algorithm {algorithm}.",
            check_message,
            key_spec,
            algorithm,
            "DIGEST",
            b"\0" * wrong,
        )


def test_message_type_rules() -> None:
    raises(
        "ValidationException",
        "Message type DIGEST is incompatible with algorithm ED25519_SHA_512.",
        check_message,
        "ECC_NIST_EDWARDS25519",
        "ED25519_SHA_512",
        "DIGEST",
        b"\0" * 64,
    )
    raises(
        "ValidationException",
        "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512.",
        check_message,
        "ECC_NIST_EDWARDS25519",
        "ED25519_PH_SHA_512",
        "RAW",
        b"message",
    )
    raises(
        "ValidationException",
        "Message type DIGEST is incompatible with key spec ML_DSA_44.",
        check_message,
        "ML_DSA_44",
        "ML_DSA_SHAKE_256",
        "DIGEST",
        b"\0" * 64,
    )
    raises(
        "ValidationException",
        "External Mu is invalid length for algorithm ML_DSA_SHAKE_256.",
        check_message,
        "ML_DSA_65",
        "ML_DSA_SHAKE_256",
        "EXTERNAL_MU",
        b"\0" * 63,
    )
    raises(
        "ValidationException",
        "Message type EXTERNAL_MU is incompatible with key spec ECC_NIST_P256.",
        check_message,
        "ECC_NIST_P256",
        "ECDSA_SHA_256",
        "EXTERNAL_MU",
        b"\0" * 64,
    )
    check_message("ML_DSA_87", "ML_DSA_SHAKE_256", "EXTERNAL_MU", b"\0" * 64)
    check_message("ECC_NIST_P256", "ECDSA_SHA_256", "RAW", b"\0" * 4096)


def test_sm2_only_in_china_regions() -> None:
    raises(
        "UnsupportedOperationException", "KeySpec SM2 is not supported in this Region", check_region, "SM2", "us-east-1"
    )
    check_region("SM2", "cn-north-1")
    check_region("SM2", "cn-northwest-1")
    check_region("RSA_2048", "us-east-1")


def test_check_algorithm_accepts_exactly_what_each_spec_lists() -> None:
    algorithms = {a for info in KEY_SPECS.values() for usage in info.usages for a in info.algorithms_for(usage)}
    usages = {usage for info in KEY_SPECS.values() for usage in info.usages} | {"NOT_A_USAGE"}
    for info in KEY_SPECS.values():
        for usage in usages:
            for algorithm in algorithms:
                if algorithm in info.algorithms_for(usage):
                    check_algorithm(info.name, usage, algorithm)
                else:
                    with pytest.raises(ServiceError) as caught:
                        check_algorithm(info.name, usage, algorithm)
                    assert caught.value.code == "InvalidKeyUsageException"


def test_check_algorithm_with_a_spec_outside_the_table() -> None:
    raises(
        "ValidationException", "KeySpec AES_256 is not a valid key spec.",
        check_algorithm, "AES_256", "ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT",
    )
