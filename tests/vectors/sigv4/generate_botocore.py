"""Regenerate botocore-signed.json: requests signed by botocore's own SigV4 signers at a fixed instant.

Run from the repository root: `.venv/bin/python tests/vectors/sigv4/generate_botocore.py`.
Two sources: botocore's signer classes over hand-made AWSRequests (odd paths, queries, headers),
and real boto3 clients whose requests are captured just before they would be sent.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.auth
from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

SIGNED_AT = datetime(2024, 5, 17, 9, 30, 0)  # naive UTC, as botocore's clock returns it
ACCESS_KEY_ID = "AKIDEXAMPLESTRONGROOM"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE+token/with=odd+chars"
OUT = Path(__file__).with_name("botocore-signed.json")

SIGNERS = {
    "SigV4Auth": botocore.auth.SigV4Auth,
    "S3SigV4Auth": botocore.auth.S3SigV4Auth,
    "SigV4QueryAuth": botocore.auth.SigV4QueryAuth,
    "S3SigV4QueryAuth": botocore.auth.S3SigV4QueryAuth,
}

JSON_HEADERS = [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "TrentService.Encrypt")]
FORM = [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")]

# name, signer, service, method, url, headers, body (a dict: form fields), session token, presign expiry
HANDMADE: list[tuple[str, str, str, str, str, list[tuple[str, str]], bytes | dict[str, str], str | None, int]] = [
    (
        "kms-json-post",
        "SigV4Auth",
        "kms",
        "POST",
        "https://kms.us-east-1.amazonaws.com/",
        JSON_HEADERS,
        b'{"KeyId": "alias/app", "Plaintext": "aGVsbG8="}',
        None,
        0,
    ),
    (
        "kms-json-post-token",
        "SigV4Auth",
        "kms",
        "POST",
        "https://kms.us-east-1.amazonaws.com/",
        JSON_HEADERS,
        b'{"KeyId": "alias/app"}',
        SESSION_TOKEN,
        0,
    ),
    ("kms-empty-body", "SigV4Auth", "kms", "POST", "https://kms.us-east-1.amazonaws.com/", JSON_HEADERS, b"", None, 0),
    (
        "sts-form-post",
        "SigV4Auth",
        "sts",
        "POST",
        "https://sts.amazonaws.com/",
        FORM,
        b"Action=GetCallerIdentity&Version=2011-06-15",
        None,
        0,
    ),
    (
        "iam-query-get-odd-chars",
        "SigV4Auth",
        "iam",
        "GET",
        "https://iam.amazonaws.com/?Action=ListUsers&PathPrefix=%2Fa%20b%2F%E2%9C%93&Version=2010-05-08"
        "&Marker=x%2By%3Dz%26w&Empty=&Flag",
        [],
        b"",
        None,
        0,
    ),
    (
        "query-repeated-keys",
        "SigV4Auth",
        "iam",
        "GET",
        "https://iam.amazonaws.com/?b=2&a=3&a=1&a=2&A=0",
        [],
        b"",
        None,
        0,
    ),
    (
        "path-space-unicode",
        "SigV4Auth",
        "execute-api",
        "GET",
        "https://api.example.com/stage/a%20b/%C3%A4%E2%82%AC/x",
        [],
        b"",
        None,
        0,
    ),
    ("path-dot-dot", "SigV4Auth", "execute-api", "GET", "https://api.example.com/a/b/../c/./d/", [], b"", None, 0),
    ("path-double-slashes", "SigV4Auth", "execute-api", "GET", "https://api.example.com//a//b//", [], b"", None, 0),
    ("path-encoded-slash", "SigV4Auth", "execute-api", "GET", "https://api.example.com/a%2Fb/c~d", [], b"", None, 0),
    (
        "repeated-and-spaced-headers",
        "SigV4Auth",
        "kms",
        "POST",
        "https://kms.us-east-1.amazonaws.com/",
        [*JSON_HEADERS, ("X-Custom", "  first   value "), ("X-Custom", "second"), ("X-Tabbed", "a\t\tb  c")],
        b"{}",
        None,
        0,
    ),
    ("non-default-port", "SigV4Auth", "kms", "POST", "http://localhost:4566/", JSON_HEADERS, b"{}", None, 0),
    (
        "explicit-content-sha256",
        "SigV4Auth",
        "kms",
        "POST",
        "https://kms.us-east-1.amazonaws.com/",
        [*JSON_HEADERS, ("X-Amz-Content-SHA256", "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")],
        b"{}",
        None,
        0,
    ),
    (
        "unsigned-payload-header",
        "SigV4Auth",
        "kms",
        "POST",
        "https://kms.us-east-1.amazonaws.com/",
        [*JSON_HEADERS, ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
        b'{"anything": 1}',
        None,
        0,
    ),
    (
        "s3-put-unicode-key",
        "S3SigV4Auth",
        "s3",
        "PUT",
        "https://bucket.s3.us-east-1.amazonaws.com/dir/%C3%A4%20%C3%B6/../file%20name.txt",
        [("Content-Type", "text/plain")],
        b"object body",
        None,
        0,
    ),
    (
        "s3-get-double-slash-query",
        "S3SigV4Auth",
        "s3",
        "GET",
        "https://s3.us-east-1.amazonaws.com/bucket//key/./x?list-type=2&prefix=a%2Fb&acl",
        [],
        b"",
        SESSION_TOKEN,
        0,
    ),
    (
        "presigned-sts-get",
        "SigV4QueryAuth",
        "sts",
        "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        [],
        b"",
        None,
        900,
    ),
    (
        "presigned-sts-token",
        "SigV4QueryAuth",
        "sts",
        "GET",
        "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
        [],
        b"",
        SESSION_TOKEN,
        60,
    ),
    (
        "presigned-form-body-moved",
        "SigV4QueryAuth",
        "sts",
        "POST",
        "https://sts.amazonaws.com/",
        FORM,
        {"Action": "GetCallerIdentity", "Version": "2011-06-15"},
        None,
        3600,
    ),
    (
        "presigned-s3-get",
        "S3SigV4QueryAuth",
        "s3",
        "GET",
        "https://bucket.s3.us-east-1.amazonaws.com/photos/%E2%9C%93%20x.jpg?versionId=3%2B4",
        [],
        b"",
        None,
        604800,
    ),
    (
        "presigned-s3-token",
        "S3SigV4QueryAuth",
        "s3",
        "PUT",
        "https://bucket.s3.eu-west-1.amazonaws.com/upload.bin",
        [("Content-Type", "application/octet-stream")],
        b"",
        SESSION_TOKEN,
        1,
    ),
]


def _region_of(url: str, service: str) -> str:
    host = urlsplit(url).hostname or ""
    return "eu-west-1" if "eu-west-1" in host else "us-east-1"


def _record(
    name: str, source: str, prepared: AWSPreparedRequest, token: str | None, sent_headers: Any = None
) -> dict[str, Any]:
    parts = urlsplit(prepared.url)
    if sent_headers is not None:
        prepared.headers = sent_headers  # preparing folds repeated headers; keep them as signed
    # Clients hold header values as bytes; on the wire they are latin-1 text.
    headers = [
        (key, value.decode("latin-1") if isinstance(value, bytes) else value) for key, value in prepared.headers.items()
    ]
    if not any(key.lower() == "host" for key, _ in headers):
        # The HTTP client adds Host from the URL; botocore signs exactly that value.
        headers.insert(0, ("Host", botocore.auth._host_from_url(prepared.url)))
    body = prepared.body or b""
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    return {
        "name": name,
        "source": source,
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET,
        "session_token": token,
        "now": SIGNED_AT.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "method": prepared.method,
        "path": parts.path or "/",
        "query": parts.query,
        "headers": headers,
        "body_b64": base64.b64encode(body).decode("ascii"),
    }


def handmade() -> list[dict[str, Any]]:
    records = []
    for name, signer_name, service, method, url, headers, body, token, expires in HANDMADE:
        request = AWSRequest(method=method, url=url, data=body)
        for key, value in headers:
            request.headers.add_header(key, value)  # repeated names stay repeated
        credentials = Credentials(ACCESS_KEY_ID, SECRET, token)
        signer_class = SIGNERS[signer_name]
        region = _region_of(url, service)
        signer = (
            signer_class(credentials, service, region, expires)
            if expires
            else signer_class(credentials, service, region)
        )
        signer.add_auth(request)
        records.append(_record(name, f"botocore.auth.{signer_name}", request.prepare(), token, request.headers))
    return records


class _Captured(Exception):
    def __init__(self, request: AWSPreparedRequest) -> None:
        self.request = request


def _capture(request: AWSPreparedRequest, **_: Any) -> None:
    raise _Captured(request)


def client_calls() -> list[dict[str, Any]]:
    session = boto3.Session(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET, region_name="us-east-1")
    token_session = boto3.Session(
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET,
        aws_session_token=SESSION_TOKEN,
        region_name="eu-west-1",
    )
    calls: list[tuple[str, Any, str, dict[str, Any]]] = []
    kms = session.client("kms")
    calls.append(("client-kms-encrypt", kms, "encrypt", {"KeyId": "alias/app", "Plaintext": b"secret data"}))
    calls.append(("client-kms-list-keys-token", token_session.client("kms"), "list_keys", {"Limit": 5}))
    calls.append(("client-sts-get-caller-identity", session.client("sts"), "get_caller_identity", {}))
    calls.append(("client-iam-list-users", session.client("iam"), "list_users", {"PathPrefix": "/a b/ü/"}))
    local_sm = session.client("secretsmanager", endpoint_url="http://localhost:4566")
    calls.append(("client-secretsmanager-local", local_sm, "get_secret_value", {"SecretId": "app/db"}))
    # Streaming aws-chunked uploads (botocore's default checksum mode) are not served; sign whole bodies.
    s3_config = Config(
        s3={"addressing_style": "path"}, request_checksum_calculation="when_required", signature_version="s3v4"
    )
    s3 = session.client("s3", config=s3_config)
    calls.append(("client-s3-put-object", s3, "put_object", {"Bucket": "b", "Key": "a b/ä/../c.txt", "Body": b"x"}))
    calls.append(("client-s3-list-v2", s3, "list_objects_v2", {"Bucket": "b", "Prefix": "a/b c"}))
    records = []
    for name, client, method, params in calls:
        client.meta.events.register("before-send", _capture)
        try:
            getattr(client, method)(**params)
        except _Captured as captured:
            token = client._request_signer._credentials.token
            records.append(_record(name, f"boto3 client {method}", captured.request, token))
    # generate_presigned_url signs with the operation's HTTP method: POST for query-protocol STS.
    presigns = [
        ("client-presign-sts", session.client("sts"), "get_caller_identity", {}, 900, "POST"),
        ("client-presign-sts-token", token_session.client("sts"), "get_caller_identity", {}, 300, "POST"),
        ("client-presign-s3-get", s3, "get_object", {"Bucket": "b", "Key": "dir/ä ö+x.txt"}, 3600, "GET"),
    ]
    for name, client, method, params, expires, http_method in presigns:
        url = client.generate_presigned_url(method, Params=params, ExpiresIn=expires)
        token = client._request_signer._credentials.token
        request = AWSRequest(method=http_method, url=url).prepare()
        records.append(_record(name, f"boto3 generate_presigned_url {method}", request, token))
    return records


def main() -> None:
    botocore.auth.get_current_datetime = lambda: SIGNED_AT  # a fixed signing instant makes the file reproducible
    records = handmade() + client_calls()
    OUT.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(records)} vectors to {OUT}")


if __name__ == "__main__":
    main()
