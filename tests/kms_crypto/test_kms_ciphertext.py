"""The symmetric ciphertext blob: round trips, the clear header, and failure on any change."""

from __future__ import annotations

import os
import uuid

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strongroom.errors import ServiceError
from strongroom.services.kms.crypto import (
    CiphertextHeader,
    decrypt_symmetric,
    encode_context,
    encrypt_symmetric,
    hazmat,
    read_header,
    rsa_encrypt,
)
from strongroom.services.kms.crypto.ciphertext import HEADER_SIZE, MARKER

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
MRK_ID = "mrk-1234abcd12ab34cd56ef1234567890ab"
MATERIAL_ID = "f" * 16 + "0123456789abcdef" * 3
CONTEXT = {"purpose": "test", "tenant": "ünïcödé ✓", "": "empty key"}


@pytest.fixture(scope="module")
def key_material() -> bytes:
    return os.urandom(32)


@pytest.fixture(scope="module")
def blob(key_material: bytes) -> bytes:
    return encrypt_symmetric(key_material, key_id=KEY_ID, material_id=MATERIAL_ID, plaintext=b"secret", context=CONTEXT)


def assert_invalid_ciphertext(call: object, *args: object) -> None:
    with pytest.raises(ServiceError) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == "InvalidCiphertextException"
    assert caught.value.message is None


@pytest.mark.parametrize("size", [1, 2, 15, 16, 17, 1024, 4096])
@pytest.mark.parametrize("key_id", [KEY_ID, MRK_ID])
def test_round_trip(key_material: bytes, size: int, key_id: str) -> None:
    plaintext = os.urandom(size)
    blob = encrypt_symmetric(key_material, key_id=key_id, material_id=MATERIAL_ID, plaintext=plaintext, context=CONTEXT)
    assert blob.startswith(MARKER)
    assert decrypt_symmetric(key_material, blob, dict(reversed(CONTEXT.items()))) == plaintext
    assert read_header(blob) == CiphertextHeader(key_id, MATERIAL_ID)


def test_empty_context_round_trip(key_material: bytes) -> None:
    blob = encrypt_symmetric(key_material, key_id=KEY_ID, material_id=MATERIAL_ID, plaintext=b"x", context={})
    assert decrypt_symmetric(key_material, blob, {}) == b"x"


def test_largest_plaintext_fits_the_model_limit(key_material: bytes) -> None:
    blob = encrypt_symmetric(key_material, key_id=KEY_ID, material_id=MATERIAL_ID, plaintext=b"\0" * 4096, context={})
    assert len(blob) == 4096 + HEADER_SIZE + 16
    assert len(blob) <= 6144


def test_each_encryption_is_fresh(key_material: bytes) -> None:
    blobs = {
        encrypt_symmetric(key_material, key_id=KEY_ID, material_id=MATERIAL_ID, plaintext=b"same", context={})
        for _ in range(50)
    }
    assert len(blobs) == 50
    # salt and nonce both differ each time
    assert len({b[53:69] for b in blobs}) == 50
    assert len({b[69:81] for b in blobs}) == 50


def test_header_is_readable_without_material(blob: bytes) -> None:
    assert read_header(blob) == CiphertextHeader(KEY_ID, MATERIAL_ID)


def test_every_byte_is_authenticated(key_material: bytes, blob: bytes) -> None:
    for index in range(len(blob)):
        for flip in (0x01, 0x80):
            altered = bytearray(blob)
            altered[index] ^= flip
            assert_invalid_ciphertext(decrypt_symmetric, key_material, bytes(altered), CONTEXT)


def test_truncated_or_extended_blobs_fail(key_material: bytes, blob: bytes) -> None:
    for cut in range(len(blob)):
        assert_invalid_ciphertext(decrypt_symmetric, key_material, blob[:cut], CONTEXT)
    assert_invalid_ciphertext(decrypt_symmetric, key_material, blob + b"\0", CONTEXT)


@pytest.mark.parametrize(
    "context",
    [
        {},
        {"purpose": "test", "tenant": "ünïcödé ✓"},
        {**CONTEXT, "extra": "entry"},
        {**CONTEXT, "purpose": "Test"},
        {**CONTEXT, "purpose": "test "},
        {"Purpose": "test", "tenant": "ünïcödé ✓", "": "empty key"},
        # the same characters split differently between key and value
        {"purposet": "est", "tenant": "ünïcödé ✓", "": "empty key"},
        {"purpose": "test", "tenant": "ünïcödé ✓", "e": "mpty key"},
    ],
)
def test_any_context_change_fails(key_material: bytes, blob: bytes, context: dict[str, str]) -> None:
    assert_invalid_ciphertext(decrypt_symmetric, key_material, blob, context)


def test_context_encoding_is_unambiguous() -> None:
    assert encode_context({"ab": "c"}) != encode_context({"a": "bc"})
    assert encode_context({"a": "b", "c": "d"}) != encode_context({"a": "bc", "": "d"})
    assert encode_context({"b": "1", "a": "2"}) == encode_context({"a": "2", "b": "1"})


def test_wrong_material_fails(blob: bytes) -> None:
    assert_invalid_ciphertext(decrypt_symmetric, os.urandom(32), blob, CONTEXT)
    assert_invalid_ciphertext(decrypt_symmetric, b"short", blob, CONTEXT)


def test_context_that_is_not_utf8_fails_as_ciphertext(key_material: bytes, blob: bytes) -> None:
    assert_invalid_ciphertext(decrypt_symmetric, key_material, blob, {"purpose": "\udcff"})


def test_encrypting_with_a_context_that_is_not_utf8_is_a_validation_error(key_material: bytes) -> None:
    with pytest.raises(ServiceError) as caught:
        encrypt_symmetric(key_material, key_id=KEY_ID, material_id=MATERIAL_ID, plaintext=b"x", context={"k": "\ud800"})
    assert caught.value.code == "ValidationException"


@pytest.mark.parametrize(
    "junk",
    [
        b"",
        b"\x01",
        MARKER,
        os.urandom(200),
        # AWS-looking blob prefix
        bytes.fromhex("0102020078") + os.urandom(180),
    ],
)
def test_unparseable_blobs_are_invalid_ciphertext(key_material: bytes, junk: bytes) -> None:
    assert_invalid_ciphertext(read_header, junk)
    assert_invalid_ciphertext(decrypt_symmetric, key_material, junk, {})


def test_unknown_key_id_kind_is_invalid(blob: bytes) -> None:
    altered = bytearray(blob)
    altered[4] = 7
    assert_invalid_ciphertext(read_header, bytes(altered))


def test_rsa_ciphertext_is_not_a_symmetric_blob(material) -> None:
    ciphertext = rsa_encrypt("RSA_2048", material("RSA_2048"), "RSAES_OAEP_SHA_256", b"hello")
    assert_invalid_ciphertext(read_header, ciphertext)


@pytest.mark.parametrize(
    "key_id", ["alias/x", KEY_ID.upper(), "mrk-xyz", f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}"]
)
def test_only_key_ids_are_accepted_for_the_header(key_material: bytes, key_id: str) -> None:
    with pytest.raises(ServiceError) as caught:
        encrypt_symmetric(key_material, key_id=key_id, material_id=MATERIAL_ID, plaintext=b"x", context={})
    assert caught.value.code == "KMSInternalException"


# Blobs made by the first release of the format, with salt a5.. and nonce 5a.. under material 00 01 .. 1f:
# every later version must read them and, given the same randomness, write them byte for byte.
GOLDEN_MATERIAL = bytes(range(32))
GOLDEN_SALT, GOLDEN_NONCE = b"\xa5" * 16, b"\x5a" * 12
GOLDEN_BLOBS = [
    (
        KEY_ID,
        CONTEXT,
        b"golden plaintext",
        "53524b01001234abcd12ab34cd56ef1234567890abffffffffffffffff0123456789abcdef0123456789abcdef0123456789abcdef"
        "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a55a5a5a5a5a5a5a5a5a5a5a5a4b0d134b6c40cea6cb6eb244c01cf89dfdbc6f3015ce47bd98"
        "e3a1312f3aca94",
    ),
    (
        MRK_ID,
        {},
        b"",
        "53524b01011234abcd12ab34cd56ef1234567890abffffffffffffffff0123456789abcdef0123456789abcdef0123456789abcdef"
        "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a55a5a5a5a5a5a5a5a5a5a5a5ac063dd3ebcb0dfcd5e9e51a1d6f225ab",
    ),
]


@pytest.mark.parametrize(("key_id", "context", "plaintext", "blob_hex"), GOLDEN_BLOBS)
def test_blobs_of_the_first_release_still_decrypt(
    key_id: str, context: dict[str, str], plaintext: bytes, blob_hex: str
) -> None:
    blob = bytes.fromhex(blob_hex)
    assert read_header(blob) == CiphertextHeader(key_id, MATERIAL_ID)
    assert decrypt_symmetric(GOLDEN_MATERIAL, blob, context) == plaintext


@pytest.mark.parametrize(("key_id", "context", "plaintext", "blob_hex"), GOLDEN_BLOBS)
def test_the_format_is_unchanged_byte_for_byte(
    monkeypatch: pytest.MonkeyPatch, key_id: str, context: dict[str, str], plaintext: bytes, blob_hex: str
) -> None:
    randomness = bytearray(GOLDEN_SALT + GOLDEN_NONCE)

    def next_random_bytes(length: int) -> bytes:
        taken = bytes(randomness[:length])
        del randomness[:length]
        return taken

    monkeypatch.setattr(hazmat, "random_bytes", next_random_bytes)
    blob = encrypt_symmetric(
        GOLDEN_MATERIAL, key_id=key_id, material_id=MATERIAL_ID, plaintext=plaintext, context=context
    )
    assert not randomness
    assert blob.hex() == blob_hex


def test_the_format_matches_its_description() -> None:
    """The layout and derivation the module docstring states, rebuilt from `cryptography` alone."""
    key_id, context, plaintext, blob_hex = GOLDEN_BLOBS[0]
    header = MARKER + b"\x00" + uuid.UUID(key_id).bytes + bytes.fromhex(MATERIAL_ID) + GOLDEN_SALT + GOLDEN_NONCE
    info = b"strongroom kms symmetric blob v1\x00" + header[4:53]
    message_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=GOLDEN_SALT, info=info).derive(GOLDEN_MATERIAL)
    sealed = AESGCM(message_key).encrypt(GOLDEN_NONCE, plaintext, header + encode_context(context))
    assert (header + sealed).hex() == blob_hex


def test_headers_of_many_keys_stay_apart(key_material: bytes) -> None:
    """More keys than the header memos hold, each read back as itself (and each rejection repeated)."""
    for _ in range(2):
        for index in range(1500):
            key_id = str(uuid.UUID(int=index * 7919 + 1))
            material_id = f"{index:064x}"
            blob = encrypt_symmetric(key_material, key_id=key_id, material_id=material_id, plaintext=b"x", context={})
            assert read_header(blob) == CiphertextHeader(key_id, material_id)
    blob = encrypt_symmetric(key_material, key_id=KEY_ID, material_id=MATERIAL_ID, plaintext=b"", context={})
    altered = bytearray(blob)
    altered[4] = 2
    for _ in range(2):
        assert_invalid_ciphertext(read_header, bytes(altered))


def test_context_entries_are_ordered_by_their_utf8_bytes() -> None:
    """As the format was first written: entries sorted by UTF-8 key bytes, u32-length-prefixed."""
    keys = ["", "a", "B", "ab", "aws:x", "é", "ÿ", "\u0100", "\u07ff", "\u0800", "\uffff", "\U00010000", "😀"]
    keys.append("z" * 300)
    context = {key: f"value of {key}" for key in reversed(keys)}
    entries = sorted((key.encode(), value.encode()) for key, value in context.items())
    expected = len(entries).to_bytes(4, "big") + b"".join(
        len(key).to_bytes(4, "big") + key + len(value).to_bytes(4, "big") + value for key, value in entries
    )
    assert encode_context(context) == expected


@pytest.mark.parametrize("context", [{"k": 1}, {1: "v"}, {1: "v", "k": "v"}, {b"k": "v"}, {"k": "\udc80"}])
def test_contexts_of_other_than_strings_are_refused(context: dict[object, object]) -> None:
    with pytest.raises(ServiceError) as caught:
        encode_context(context)  # type: ignore[arg-type]
    assert caught.value.code == "ValidationException"
