"""Blobs read and written with binascii directly must agree exactly with the base64 module's strict
decode and its encode, which the protocols specify (and which botocore uses)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.wire.parse._common import MalformedInput, blob_from_base64
from strongroom.wire.parse.json import JsonReader
from strongroom.wire.serialize.scalars import base64_text
from strongroom.wire.specs import load_service

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Mostly base64's own characters (so padding and length cases come up often), plus the usual intruders.
_NEAR_BASE64 = st.text(alphabet=st.sampled_from([*_ALPHABET, "=", " ", "\n", "-", "_", ".", "é", "\x00"]), max_size=24)
_ENCODED = st.binary(max_size=18).map(lambda raw: base64.b64encode(raw).decode())
_ANY_TEXT = st.one_of(_NEAR_BASE64, st.text(max_size=12), _ENCODED)


def reference_decode(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _blob_converter() -> Any:
    kms = load_service("kms")
    return JsonReader().converter(kms.operation_model("Encrypt").input_shape.members["Plaintext"])


@given(_ANY_TEXT)
def test_text_blobs_decode_exactly_as_strict_b64decode(text: str) -> None:
    expected = reference_decode(text)
    if expected is None:
        with pytest.raises(MalformedInput):
            blob_from_base64(text)
    else:
        assert blob_from_base64(text) == expected


@given(_ANY_TEXT)
def test_json_blobs_decode_exactly_as_strict_b64decode(text: str) -> None:
    convert = _blob_converter()
    expected = reference_decode(text)
    if expected is None:
        with pytest.raises(MalformedInput):
            convert(text)
    else:
        assert convert(text) == expected


@given(st.one_of(st.binary(max_size=64), st.binary(max_size=16).map(bytearray), st.text(max_size=16)))
def test_blobs_encode_exactly_as_b64encode(value: bytes | bytearray | str) -> None:
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    assert base64_text(value) == base64.b64encode(raw).decode("ascii")
