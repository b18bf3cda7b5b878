"""The benchmarked operations: how each sets up what it needs on a target (with boto3), and the
parameters of its i-th distinct request.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from bench.targets import RunningTarget

Fixture = dict[str, Any]
REGION = "us-east-1"
# Setup calls run concurrently: Strongroom commits audit records in groups, moto is threaded.
SETUP_THREADS = 8


def client(target: RunningTarget, service: str) -> Any:
    key, secret = target.credentials
    return boto3.client(
        service, endpoint_url=target.endpoint, region_name=REGION,
        aws_access_key_id=key, aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 3}, max_pool_connections=SETUP_THREADS),
    )


def in_parallel(function: Callable[[int], Any], count: int) -> list[Any]:
    with ThreadPoolExecutor(SETUP_THREADS) as pool:
        return list(pool.map(function, range(count)))


@dataclass(frozen=True)
class Operation:
    name: str
    service: str
    operation: str
    # Creates what the requests refer to on a real target; None for the ceiling (which stores nothing).
    setup: Callable[[RunningTarget | None, int], Fixture]
    params: Callable[[Fixture, int], dict[str, Any]]


def _context(kind: str, i: int) -> dict[str, str]:
    return {"bench": kind, "request": str(i)}


def _symmetric_key(target: RunningTarget | None, _n: int) -> Fixture:
    if target is None:
        return {"key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    return {"key_id": client(target, "kms").create_key(Description="bench")["KeyMetadata"]["KeyId"]}


def _ciphertexts(target: RunningTarget | None, n: int) -> Fixture:
    """Ciphertexts made by the target itself (the ceiling gets random bytes of a realistic size)."""
    if target is None:
        return {"blobs": [os.urandom(184) for _ in range(n)]}
    kms = client(target, "kms")
    key_id = kms.create_key(Description="bench")["KeyMetadata"]["KeyId"]

    def encrypt(i: int) -> bytes:
        reply = kms.encrypt(KeyId=key_id, Plaintext=os.urandom(64), EncryptionContext=_context("decrypt", i))
        return bytes(reply["CiphertextBlob"])

    return {"blobs": in_parallel(encrypt, n)}


def _signing_key(target: RunningTarget | None, _n: int) -> Fixture:
    if target is None:
        return {"key_id": "1234abcd-12ab-34cd-56ef-1234567890ab"}
    reply = client(target, "kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Description="bench")
    return {"key_id": reply["KeyMetadata"]["KeyId"]}


def _parameters(target: RunningTarget | None, n: int) -> Fixture:
    names = [f"/bench/parameter-{i}" for i in range(n)]
    if target is not None:
        ssm = client(target, "ssm")
        in_parallel(lambda i: ssm.put_parameter(Name=names[i], Value=os.urandom(24).hex(), Type="SecureString"), n)
    return {"names": names}


def _secrets(target: RunningTarget | None, n: int) -> Fixture:
    names = [f"bench/secret-{i}" for i in range(n)]
    if target is not None:
        secrets = client(target, "secretsmanager")
        in_parallel(lambda i: secrets.create_secret(Name=names[i], SecretString=os.urandom(24).hex()), n)
    return {"names": names}


OPERATIONS = (
    Operation(
        "KMS Encrypt", "kms", "Encrypt", _symmetric_key,
        lambda f, i: {"KeyId": f["key_id"], "Plaintext": os.urandom(64), "EncryptionContext": _context("encrypt", i)},
    ),
    Operation(
        "KMS Decrypt", "kms", "Decrypt", _ciphertexts,
        lambda f, i: {"CiphertextBlob": f["blobs"][i], "EncryptionContext": _context("decrypt", i)},
    ),
    Operation(
        "KMS GenerateDataKey", "kms", "GenerateDataKey", _symmetric_key,
        lambda f, i: {"KeyId": f["key_id"], "KeySpec": "AES_256", "EncryptionContext": _context("datakey", i)},
    ),
    Operation(
        "KMS Sign", "kms", "Sign", _signing_key,
        lambda f, i: {"KeyId": f["key_id"], "Message": os.urandom(32), "MessageType": "RAW",
                      "SigningAlgorithm": "ECDSA_SHA_256"},
    ),
    Operation(
        "SSM GetParameter", "ssm", "GetParameter", _parameters,
        lambda f, i: {"Name": f["names"][i], "WithDecryption": True},
    ),
    Operation(
        "SecretsManager GetSecretValue", "secretsmanager", "GetSecretValue", _secrets,
        lambda f, i: {"SecretId": f["names"][i]},
    ),
)
