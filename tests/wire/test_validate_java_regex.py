"""Model patterns keep their Java meaning; values print the way AWS's Java validators print them."""

from __future__ import annotations

import datetime

import pytest

from strongroom.wire.specs import load_service
from strongroom.wire.validation.java_regex import java_pattern
from strongroom.wire.validation.render import ValueRenderer, java_double, lower_camel, render_value


def matches(java_source: str, value: str) -> bool:
    pattern = java_pattern(java_source)
    assert pattern is not None, java_source
    return pattern.fullmatch(value) is not None


@pytest.mark.parametrize(
    ("java_source", "value", "expected"),
    [
        # Java's matches(): the whole value, not a substring
        ("[a-z]+", "abc", True),
        ("[a-z]+", "abc1", False),
        ("(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", "/a/", True),
        ("(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)", "/a", False),
        # \w \d \s are ASCII in Java
        ("[\\w+=,.@-]+", "name_1+=,.@-", True),
        ("[\\w+=,.@-]+", "zoë", False),
        ("\\d+", "٣", False),
        ("\\s", "\u00a0", False),
        ("[^\\w]", "é", True),
        # Unicode categories stay Unicode
        ("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", "Größe 値 ٣\u00a0", True),
        ("[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", "a#b", False),
        ("\\p{IsLu}\\p{javaLowerCase}", "Ab", True),
        ("\\P{L}", "a", False),
        # POSIX classes are ASCII in Java
        ("\\p{Alpha}+", "abc", True),
        ("\\p{Alpha}+", "é", False),
        ("[\\p{Punct}]", "!", True),
        # UTF-16 surrogate pairs in the model mean supplementary code points
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "ok 😀", True),
        ("[\\u0020-\\uD7FF\\uE000-\\uFFFD\\uD800\\uDC00-\\uDBFF\\uDFFF\\t]*", "\x01", False),
        # `\u10000` is \u1000 then '0' in Java, so STS's RoleArn pattern excludes emoji
        ("[\\u0020-\\u007E\\u10000-\\u10FFFF]+", "arn 😀", False),
        ("\\x{1F600}", "😀", True),
        ("\\Qa.b\\E", "a.b", True),
        ("\\Qa.b\\E", "axb", False),
        # `.` stops at any Java line terminator
        (".+", "a\rb", False),
        (".+", "a\u2028b", False),
        ("(?s).*", "a\r\nb\u2028", True),
        # nested classes are unions, && intersections
        ("[a-c[x-z]]+", "bay", True),
        ("[a-z&&[^aeiou]]+", "xyz", True),
        ("[a-z&&[^aeiou]]+", "bad", False),
        ("[a|b]", "|", True),
        ("^(?!\\s*$).+", "  ", False),
        ("^(?!\\s*$).+", " x", True),
    ],
)
def test_java_pattern_semantics(java_source: str, value: str, expected: bool) -> None:
    assert matches(java_source, value) is expected


def test_unusable_pattern_yields_none() -> None:
    assert java_pattern("[a-z") is None
    assert java_pattern("\\") is None


@pytest.mark.parametrize("service_name", ["kms", "sts", "iam", "secretsmanager", "ssm", "acm", "acm-pca", "cloudtrail"])
def test_every_pattern_of_our_services_compiles(service_name: str) -> None:
    service = load_service(service_name)
    sources = {
        service.shape_for(name).metadata.get("pattern")
        for name in service.shape_names
        if service.shape_for(name).metadata.get("pattern")
    }
    assert sources
    assert [source for source in sources if java_pattern(source) is None] == []


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1.0"),
        (0.0, "0.0"),
        (-0.5, "-0.5"),
        (0.001, "0.001"),
        (0.0001, "1.0E-4"),
        (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"),
        (9999999.0, "9999999.0"),
        (float("inf"), "Infinity"),
    ],
)
def test_doubles_print_like_java(number: float, text: str) -> None:
    assert java_double(number) == text


def test_values_render_like_java_to_string() -> None:
    assert render_value(None) == "null"
    assert render_value(True) == "true"
    assert render_value(42) == "42"
    assert render_value(b"abc") == "java.nio.HeapByteBuffer[pos=0 lim=3 cap=3]"
    moment = datetime.datetime(2024, 1, 1, 1, 2, 3, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert render_value(moment) == "Mon Jan 01 00:02:03 UTC 2024"


def test_collections_render_like_java_collections() -> None:
    ssm = load_service("ssm")
    target_maps = ssm.operation_model("StartAutomationExecution").input_shape.members["TargetMaps"]
    renderer = ValueRenderer("ssm")
    assert renderer.render([{"k": ["a", "b"]}, {}], target_maps) == "[{k=[a, b]}, {}]"
    tags = ssm.operation_model("PutParameter").input_shape.members["Tags"]
    rendered = renderer.render([{"Key": "k", "Value": "v"}], tags)
    assert rendered.startswith("[com.amazonaws.ssm.Tag@") and rendered.endswith("]")
    assert rendered == renderer.render([{"Key": "k", "Value": "v"}], tags)  # stable


def test_paths_lower_the_first_letter_only() -> None:
    assert lower_camel("KeyId") == "keyId"
    assert lower_camel("SSEKMSKeyId") == "sSEKMSKeyId"
    assert lower_camel("userName") == "userName"
