"""The matcher against (pattern, event, match?) cases from the EventBridge User Guide (see README.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.services.events.patterns import InvalidEventPattern, parse_event_pattern

# The EC2 instance state-change event of "Creating Amazon EventBridge event patterns".
EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}

# The Auto Scaling event of "Content filtering in Amazon EventBridge event patterns".
SCALING = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {
        "eventVersion": "",
        "responseElements": None,
        "requestParameters": None,
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
    },
}

# The event of "Event patterns with arrays".
ARRAYS = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": [
        "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f",
    ],
    "detail": {"instance-id": "i-b188560f", "state": "terminated"},
}


def with_detail(base: dict[str, Any], **detail: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(base))
    event["detail"] = detail
    return event


def with_field(base: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    event = json.loads(json.dumps(base))
    event[name] = value
    return event


STATE_PENDING = with_detail(EC2, state="pending")
STATE_INIT = with_detail(EC2, state="initializing")
STATE_INIT_UPPER = with_detail(EC2, state="INITIALIZING")
NO_STATE = with_detail(EC2, **{"instance-id": "i-1"})
NESTED_COUNT = with_detail(EC2, **{"c-count": {"c1": 100}})
PNG = with_detail(EC2, FileName="image.png")
PNG_UPPER = with_detail(EC2, FileName="IMAGE.PNG")
TXT = with_detail(EC2, FileName="notes.txt")
LIB = with_detail(EC2, FilePath="/usr/lib/libssl.so")
BIN = with_detail(EC2, FilePath="/usr/bin/java")
SERVICE_EVENTB = with_detail(EC2, service="EventBridge")
SERVICE_LOWER = with_detail(EC2, service="eventbridge")
SERVICE_OTHER = with_detail(EC2, service="Lambda")
IP_IN = with_detail(EC2, sourceIPAddress="10.0.0.123")
IP_OUT = with_detail(EC2, sourceIPAddress="10.0.1.5")
IP6_IN = with_detail(EC2, sourceIPAddress="2001:db8::1:2")
IP6_OUT = with_detail(EC2, sourceIPAddress="2001:db9::1")
REGION_US = with_field(EC2, "region", "us-east-1")
REGION_EU = with_field(EC2, "region", "eu-west-1")
BUS_ARN = with_detail(EC2, EventBusArn="arn:aws:events:us-east-1:123456789012:event-bus/orders")
BUS_ARN_WEST = with_detail(EC2, EventBusArn="arn:aws:events:us-west-2:123456789012:event-bus/orders")
STAR_TITLE = with_detail(EC2, title="Title*Here")
LOCATION = with_detail(EC2, Location="New York", Day="Monday")
LOCATION_TUE = with_detail(EC2, Location="New York", Day="Tuesday")
EMPTY_LAST = with_detail(EC2, LastName="")
NULL_FIELD = with_detail(EC2, responseElements=None)
LIMIT_123 = with_detail(EC2, **{"x-limit": 123})
LIMIT_124 = with_detail(EC2, **{"x-limit": 124})
LIMITS = with_detail(EC2, **{"x-limit": 200})
STATE_LIST = with_detail(EC2, state=["pending", "running"])
INSTANCES = with_detail(EC2, instances=[{"id": "i-1", "state": "running"}, {"id": "i-2", "state": "stopped"}])
BOOL_TRUE = with_detail(EC2, encrypted=True)
BOOL_ONE = with_detail(EC2, encrypted=1)

C = "content"
P = "patterns"
O = "operators"  # noqa: E741
A = "arrays"
N = "null"

CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # Fields ANDed, values ORed, exact matching, nesting.
    (P, {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
         "detail": {"state": ["terminated"]}}, EC2, True),
    (P, {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"],
         "detail": {"state": ["terminated"]}}, STATE_PENDING, False),
    (P, {"source": ["aws.ec2"]}, EC2, True),
    (P, {"source": ["aws.s3"]}, EC2, False),
    (P, {"source": ["aws.s3", "aws.ec2"]}, EC2, True),
    (P, {"source": ["AWS.EC2"]}, EC2, False),
    (P, {"detail": {"state": ["running", "terminated"]}}, EC2, True),
    (P, {"detail": {"state": ["running", "stopped"]}}, EC2, False),
    (P, {"detail": {"instance-id": ["i-1234567890abcdef0"], "state": ["terminated"]}}, EC2, True),
    (P, {"detail": {"instance-id": ["i-0"], "state": ["terminated"]}}, EC2, False),
    (P, {"detail": {"missing": ["x"]}}, EC2, False),
    (P, {"account": ["111122223333"], "region": ["us-west-1"]}, EC2, True),
    (P, {"account": ["111122223333"], "region": ["us-east-1"]}, EC2, False),
    (P, {"state": ["terminated"]}, EC2, False),
    (P, {"detail": {"state": {"name": ["terminated"]}}}, EC2, False),
    (P, {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}, EC2, True),
    (P, {"version": ["0"]}, EC2, True),
    (P, {"version": [0]}, EC2, False),
    (O, {"Location": ["New York"], "Day": ["Monday"]}, LOCATION, False),
    (O, {"detail": {"Location": ["New York"], "Day": ["Monday"]}}, LOCATION, True),
    (O, {"detail": {"Location": ["New York"], "Day": ["Monday"]}}, LOCATION_TUE, False),
    # Arrays.
    (A, {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
                       "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
                       "arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}, ARRAYS, True),
    (A, {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}, ARRAYS, True),
    (A, {"resources": ["arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f"]}, ARRAYS, True),
    (A, {"resources": ["arn:aws:ec2:us-east-1:999999999999:instance/i-b188560f"]}, ARRAYS, False),
    (A, {"resources": [{"prefix": "arn:aws:ec2:us-east-1:111122223333:"}]}, ARRAYS, True),
    (A, {"resources": [{"exists": False}]}, SCALING, True),
    (A, {"resources": [{"exists": True}]}, SCALING, False),
    (A, {"detail": {"state": ["running"]}}, STATE_LIST, True),
    (A, {"detail": {"state": ["stopped"]}}, STATE_LIST, False),
    (A, {"detail": {"state": [{"anything-but": "pending"}]}}, STATE_LIST, True),
    (A, {"detail": {"instances": {"id": ["i-1"], "state": ["running"]}}}, INSTANCES, True),
    (A, {"detail": {"instances": {"id": ["i-1"], "state": ["stopped"]}}}, INSTANCES, False),
    (A, {"detail": {"instances": {"state": ["stopped"]}}}, INSTANCES, True),
    # Null values and empty strings.
    (N, {"detail": {"eventVersion": [""], "responseElements": [None]}}, SCALING, True),
    (N, {"detail": {"responseElements": [None]}}, SCALING, True),
    (N, {"detail": {"responseElements": [None]}}, EC2, False),
    (N, {"detail": {"eventVersion": [None]}}, SCALING, False),
    (N, {"detail": {"requestParameters": [""]}}, SCALING, False),
    (O, {"detail": {"LastName": [""]}}, EMPTY_LAST, True),
    (O, {"detail": {"LastName": [""]}}, EC2, False),
    (N, {"detail": {"responseElements": [{"exists": True}]}}, NULL_FIELD, True),
    # Prefix, and prefix ignoring case.
    (C, {"time": [{"prefix": "2017-12-22"}]}, EC2, True),
    (C, {"time": [{"prefix": "2017-10-02"}]}, EC2, False),
    (O, {"region": [{"prefix": "us-"}]}, REGION_US, True),
    (O, {"region": [{"prefix": "us-"}]}, REGION_EU, False),
    (C, {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}, SERVICE_EVENTB, True),
    (C, {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}, SERVICE_LOWER, True),
    (C, {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}}, SERVICE_OTHER, False),
    (C, {"detail": {"service": [{"prefix": "EventB"}]}}, SERVICE_LOWER, False),
    (C, {"detail": {"c-count": [{"prefix": "5"}]}}, SCALING, False),
    # Suffix, and suffix ignoring case.
    (C, {"detail": {"FileName": [{"suffix": ".png"}]}}, PNG, True),
    (C, {"detail": {"FileName": [{"suffix": ".png"}]}}, TXT, False),
    (C, {"detail": {"FileName": [{"suffix": ".png"}]}}, PNG_UPPER, False),
    (C, {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}, PNG_UPPER, True),
    (C, {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}, TXT, False),
    # Equals-ignore-case.
    (C, {"detail-type": [{"equals-ignore-case": "ec2 instance state-change notification"}]}, EC2, True),
    (C, {"detail-type": [{"equals-ignore-case": "ec2 instance launch successful"}]}, EC2, False),
    (O, {"detail": {"service": [{"equals-ignore-case": "EVENTBRIDGE"}]}}, SERVICE_EVENTB, True),
    # Anything-but.
    (C, {"detail": {"state": [{"anything-but": "initializing"}]}}, STATE_PENDING, True),
    (C, {"detail": {"state": [{"anything-but": "initializing"}]}}, STATE_INIT, False),
    (C, {"detail": {"state": [{"anything-but": "initializing"}]}}, NO_STATE, False),
    (C, {"detail": {"x-limit": [{"anything-but": 123}]}}, LIMIT_124, True),
    (C, {"detail": {"x-limit": [{"anything-but": 123}]}}, LIMIT_123, False),
    (C, {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}, STATE_PENDING, True),
    (C, {"detail": {"state": [{"anything-but": ["stopped", "pending"]}]}}, STATE_PENDING, False),
    (C, {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, LIMIT_123, True),
    (C, {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}}, LIMITS, False),
    (C, {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, STATE_PENDING, True),
    (C, {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, STATE_INIT, False),
    (O, {"region": [{"anything-but": {"prefix": "us-"}}]}, REGION_EU, True),
    (O, {"region": [{"anything-but": {"prefix": "us-"}}]}, REGION_US, False),
    (C, {"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, PNG, True),
    (C, {"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, TXT, False),
    (C, {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}}, STATE_INIT_UPPER, False),
    (C, {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}}, STATE_PENDING, True),
    (C, {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]}},
     STATE_INIT_UPPER, False),
    (C, {"detail": {"state": [{"anything-but": {"equals-ignore-case": ["initializing", "stopped"]}}]}},
     STATE_PENDING, True),
    (C, {"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, BIN, True),
    (C, {"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}}, LIB, False),
    (C, {"detail": {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}}, BIN, False),
    (C, {"detail": {"FilePath": [{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}]}}, PNG, False),
    # Numeric.
    (C, {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "d-count": [{"numeric": ["<", 10]}],
                    "x-limit": [{"numeric": ["=", 3.018e2]}]}}, SCALING, True),
    (C, {"detail": {"c-count": [{"numeric": [">", 0, "<", 5]}]}}, SCALING, False),
    (C, {"detail": {"c-count": [{"numeric": [">=", 5]}]}}, SCALING, True),
    (C, {"detail": {"c-count": [{"numeric": [">", 5]}]}}, SCALING, False),
    (C, {"detail": {"d-count": [{"numeric": ["<", 3]}]}}, SCALING, False),
    (C, {"detail": {"d-count": [{"numeric": ["<=", 3]}]}}, SCALING, True),
    (C, {"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}}, SCALING, True),
    (C, {"detail": {"x-limit": [{"numeric": ["=", 301]}]}}, SCALING, False),
    (C, {"detail": {"source-ip": [{"numeric": [">", 0]}]}}, SCALING, False),
    (C, {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, EC2, False),
    (C, {"detail": {"c-count": [5]}}, SCALING, True),
    (C, {"detail": {"c-count": [5.0]}}, SCALING, True),
    (C, {"detail": {"c-count": ["5"]}}, SCALING, False),
    # IP addresses.
    (C, {"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, SCALING, True),
    (C, {"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, SCALING, False),
    (C, {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}, IP_IN, True),
    (C, {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}}, IP_OUT, False),
    (C, {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}}, IP6_IN, True),
    (C, {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}}, IP6_OUT, False),
    (C, {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}}, IP_IN, False),
    (C, {"detail": {"c-count": [{"cidr": "10.0.0.0/24"}]}}, SCALING, False),
    # Exists.
    (C, {"detail": {"state": [{"exists": True}]}}, STATE_PENDING, True),
    (C, {"detail": {"state": [{"exists": True}]}}, NO_STATE, False),
    (C, {"detail": {"state": [{"exists": False}]}}, NO_STATE, True),
    (C, {"detail": {"state": [{"exists": False}]}}, STATE_PENDING, False),
    (C, {"detail": {"c-count": [{"exists": True}]}}, NESTED_COUNT, False),
    (C, {"detail": {"c-count": [{"exists": False}]}}, NESTED_COUNT, True),
    (C, {"detail": {"c-count": {"c1": [{"exists": True}]}}}, NESTED_COUNT, True),
    (C, {"detail": {"state": [{"exists": False}]}}, with_detail(EC2), True),
    (C, {"nothing": {"deeper": [{"exists": False}]}}, EC2, True),
    (C, {"detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": [{"exists": False}]}},
     NO_STATE, True),
    # Wildcard.
    (C, {"detail": {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}}, BUS_ARN, True),
    (C, {"detail": {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}}, BUS_ARN_WEST,
     False),
    (C, {"detail": {"FileName": [{"wildcard": "*.png"}]}}, PNG, True),
    (C, {"detail": {"FileName": [{"wildcard": "*.png"}]}}, TXT, False),
    (C, {"detail": {"FilePath": [{"wildcard": "*/lib/*"}]}}, LIB, True),
    (C, {"detail": {"FilePath": [{"wildcard": "*/lib/*"}]}}, BIN, False),
    (C, {"detail": {"title": [{"wildcard": "Title\\*Here"}]}}, STAR_TITLE, True),
    (C, {"detail": {"title": [{"wildcard": "Title\\*"}]}}, STAR_TITLE, False),
    (C, {"detail": {"title": [{"wildcard": "Title*Here"}]}}, STAR_TITLE, True),
    (C, {"detail": {"FileName": [{"wildcard": "image.png"}]}}, PNG, True),
    # $or.
    (C, {"detail": {"$or": [{"c-count": [{"numeric": [">", 0, "<=", 5]}]}, {"d-count": [{"numeric": ["<", 10]}]},
                            {"x-limit": [{"numeric": ["=", 3.018e2]}]}]}}, SCALING, True),
    (C, {"detail": {"$or": [{"c-count": [{"numeric": [">", 10]}]}, {"d-count": [{"numeric": [">", 10]}]}]}},
     SCALING, False),
    (C, {"source": ["aws.autoscaling"], "$or": [{"detail-type": ["EC2 Instance Launch Successful"]},
                                                {"detail": {"c-count": [{"numeric": [">", 10]}]}}]}, SCALING, True),
    (C, {"source": ["aws.ec2"], "$or": [{"detail-type": ["EC2 Instance Launch Successful"]},
                                        {"detail": {"c-count": [{"numeric": [">", 1]}]}}]}, SCALING, False),
    (C, {"$or": [{"source": ["aws.ec2"]}, {"source": ["aws.autoscaling"]}],
         "detail": {"$or": [{"state": ["terminated"]}, {"c-count": [5]}]}}, SCALING, True),
    (C, {"$or": [{"source": ["aws.ec2"]}, {"source": ["aws.autoscaling"]}],
         "detail": {"$or": [{"state": ["running"]}, {"c-count": [6]}]}}, SCALING, False),
    (C, {"detail": {"$or": [{"state": [{"exists": False}]}, {"state": ["terminated"]}]}}, EC2, True),
    (C, {"detail": {"$or": [{"state": [{"exists": False}]}, {"state": ["terminated"]}]}}, STATE_PENDING, False),
    # Several filters in one array (ORed), and booleans.
    (C, {"detail": {"state": ["pending", {"prefix": "term"}]}}, EC2, True),
    (C, {"detail": {"state": [{"prefix": "run"}, {"suffix": "ing"}]}}, STATE_PENDING, True),
    (C, {"detail": {"state": [{"prefix": "run"}, {"suffix": "ed"}]}}, STATE_PENDING, False),
    (P, {"detail": {"encrypted": [True]}}, BOOL_TRUE, True),
    (P, {"detail": {"encrypted": [True]}}, BOOL_ONE, False),
    (P, {"detail": {"encrypted": [1]}}, BOOL_TRUE, False),
    (P, {"detail": {"encrypted": [False]}}, BOOL_TRUE, False),
    # The content filtering page's combined example.
    (C, {"time": [{"prefix": "2015-11-11"}], "detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                                                        "d-count": [{"numeric": ["<", 10]}],
                                                        "x-limit": [{"anything-but": [100, 200, 300]}]}},
     SCALING, True),
    (C, {"time": [{"prefix": "2015-11-11"}], "detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}],
                                                        "x-limit": [{"anything-but": [301.8]}]}}, SCALING, False),
]


@pytest.mark.parametrize(
    ("source", "pattern", "event", "expected"),
    CASES,
    ids=[f"{index:03d}-{case[0]}" for index, case in enumerate(CASES)],
)
def test_documented_case(source: str, pattern: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert source in ("content", "patterns", "operators", "arrays", "null")
    assert parse_event_pattern(json.dumps(pattern)).matches(event) is expected


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 100


INVALID: list[tuple[str, str]] = [
    ('{"detail": {"pipeline": {"slug": "some-pipeline"}}}', '"slug" must be an object or an array'),
    ('{"source": ["aws.health"], "detail": {}}', "Empty objects are not allowed"),
    ('["aws.ec2"]', "Filter is not an object"),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"source": [{"contains": "x"}]}', "Unrecognized match type contains"),
    ('{"detail": {"m": [{"suffix": [":created"]}]}}', "suffix match pattern must be a string"),
    ('{"detail": {"m": [{"prefix": 5}]}}', "prefix match pattern must be a string"),
    ('{"detail": {"m": [{"exists": "yes"}]}}', "exists match pattern must be either true or false."),
    ('{"detail": {"m": [{"wildcard": "a**b"}]}}', "Consecutive wildcard characters at pos 2"),
    ('{"detail": {"m": [{"numeric": [">", 5, "<", 1]}]}}', "Bottom must be less than top"),
    ('{"detail": {"m": [{"numeric": ["~", 5]}]}}', "Unrecognized numeric range operator: ~"),
    ('{"detail": {"m": [{"numeric": [">", "5"]}]}}', "Value of > must be numeric"),
    ('{"detail": {"m": [{"cidr": "10.0.0.0/33"}]}}', "Nonstandard IP address: 10.0.0.0/33"),
    ('{"detail": {"m": [{"anything-but": []}]}}',
     "Value of anything-but must be an array or single string/number value."),
    ('{"detail": {"m": [["nested"]]}}', "Match value must be String, number, true, false, or null"),
    ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
]


@pytest.mark.parametrize(("text", "reason"), INVALID)
def test_invalid_patterns_give_aws_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidEventPattern) as raised:
        parse_event_pattern(text)
    assert str(raised.value) == f"Event pattern is not valid. Reason: {reason}"


def test_unparsable_json_is_invalid() -> None:
    with pytest.raises(InvalidEventPattern, match=r"^Event pattern is not valid\. Reason: "):
        parse_event_pattern('{"source": [')


def test_or_that_is_not_a_list_of_objects_is_a_field_name() -> None:
    pattern = parse_event_pattern('{"$or": ["a", "b"]}')
    assert pattern.matches({"$or": "a"})
    assert not pattern.matches({"$or": "c"})
