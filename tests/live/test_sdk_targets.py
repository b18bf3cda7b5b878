"""X-Amz-Target as every AWS SDK sends it: botocore's prefix from the model, and the Smithy-built SDKs'
(JavaScript v3, Go v2, ...) short service-shape name, which differs for CloudTrail."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

SMITHY_CLOUDTRAIL = "CloudTrail_20131101"


def with_target(client: Any, operation: str, target: str) -> Any:
    """`client` sending `target` for `operation`, set before signing as an SDK sets it."""

    def rewrite(request: Any, **_: Any) -> None:
        request.headers.replace_header("X-Amz-Target", target)

    client.meta.events.register(f"before-sign.{client.meta.service_model.endpoint_prefix}.{operation}", rewrite)
    return client


def test_cloudtrail_answers_the_short_target_the_javascript_and_go_sdks_send(server):
    kms = server.client("kms")
    description = f"target {uuid.uuid4()}"
    key_id = kms.create_key(Description=description)["KeyMetadata"]["KeyId"]
    short = with_target(server.client("cloudtrail"), "LookupEvents", f"{SMITHY_CLOUDTRAIL}.LookupEvents")
    full = server.client("cloudtrail")
    attributes = [{"AttributeKey": "ResourceName", "AttributeValue": key_id}]
    by_short = short.lookup_events(LookupAttributes=attributes)["Events"]
    by_full = full.lookup_events(LookupAttributes=attributes)["Events"]
    assert [event["EventName"] for event in by_short] == ["CreateKey"]
    assert by_short == by_full
    # The short form is recorded as the same operation.
    own = full.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "LookupEvents"}],
                             MaxResults=5)["Events"]
    assert own and all(event["EventSource"] == "cloudtrail.amazonaws.com" for event in own)


@pytest.mark.parametrize("target", [
    "CloudTrail_20131101.NoSuchOperation",
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.NoSuchOperation",
    "v20131101.CloudTrail_20131101.LookupEvents",  # neither form: a fragment of the long one
])
def test_targets_of_neither_form_are_unknown_operations(server, target):
    client = with_target(server.client("cloudtrail"), "LookupEvents", target)
    with pytest.raises(ClientError) as raised:
        client.lookup_events()
    assert raised.value.response["Error"]["Code"] == "UnknownOperationException"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
