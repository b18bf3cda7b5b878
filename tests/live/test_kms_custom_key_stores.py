"""Custom key stores over boto3: the configuration is kept; no backing store is reachable, so none connects."""

from __future__ import annotations

import secrets

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of

XKS_SECRET = "a" * 43


def cluster_id() -> str:
    return "cluster-" + "".join(secrets.choice("234567abcdefghijklmnopqrstuvwxyz") for _ in range(11))


@pytest.fixture()
def kms(server):
    # Its own region: the quota of 10 stores per account and Region is not shared with other tests' stores.
    return server.client("kms", region="eu-north-1")


@pytest.fixture()
def clean(kms):
    for store in kms.describe_custom_key_stores()["CustomKeyStores"]:
        kms.delete_custom_key_store(CustomKeyStoreId=store["CustomKeyStoreId"])
    return kms


def test_cloudhsm_store_lifecycle(clean):
    kms = clean
    cluster = cluster_id()
    store_id = kms.create_custom_key_store(
        CustomKeyStoreName="hsm-store", CloudHsmClusterId=cluster, TrustAnchorCertificate="-----BEGIN CERT-----",
        KeyStorePassword="kmsuser-password",
    )["CustomKeyStoreId"]
    assert store_id.startswith("cks-") and len(store_id) == 21
    [entry] = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"]
    assert entry["CustomKeyStoreName"] == "hsm-store"
    assert entry["CustomKeyStoreType"] == "AWS_CLOUDHSM"
    assert entry["CloudHsmClusterId"] == cluster
    assert entry["TrustAnchorCertificate"] == "-----BEGIN CERT-----"
    assert entry["ConnectionState"] == "DISCONNECTED"
    assert "KeyStorePassword" not in entry
    assert kms.describe_custom_key_stores(CustomKeyStoreName="hsm-store")["CustomKeyStores"][0]["CustomKeyStoreId"] \
        == store_id
    with pytest.raises(ClientError) as excinfo:
        kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo)[0] == "CloudHsmClusterNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        kms.disconnect_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo)[0] == "CustomKeyStoreInvalidStateException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(CustomKeyStoreId=store_id)
    assert error_of(excinfo)[0] == "CustomKeyStoreInvalidStateException"
    kms.update_custom_key_store(
        CustomKeyStoreId=store_id, NewCustomKeyStoreName="renamed", KeyStorePassword="another-pw"
    )
    assert kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"][0]["CustomKeyStoreName"] \
        == "renamed"
    with pytest.raises(ClientError) as excinfo:
        kms.update_custom_key_store(CustomKeyStoreId=store_id, XksProxyUriPath="/kms/xks/v1")
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(CustomKeyStoreName="renamed", CloudHsmClusterId=cluster_id(),
                                    TrustAnchorCertificate="c", KeyStorePassword="password")
    assert error_of(excinfo)[0] == "CustomKeyStoreNameInUseException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(CustomKeyStoreName="second", CloudHsmClusterId=cluster,
                                    TrustAnchorCertificate="c", KeyStorePassword="password")
    assert error_of(excinfo)[0] == "CloudHsmClusterInUseException"
    kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    with pytest.raises(ClientError) as excinfo:
        kms.describe_custom_key_stores(CustomKeyStoreId=store_id)
    assert error_of(excinfo) == ("CustomKeyStoreNotFoundException", f"Custom key store {store_id} does not exist.")
    with pytest.raises(ClientError) as excinfo:
        kms.delete_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo)[0] == "CustomKeyStoreNotFoundException"


def test_external_key_store(clean):
    kms = clean
    credential = {"AccessKeyId": "ABCDEFGHIJKLMNOPQRST", "RawSecretAccessKey": XKS_SECRET}
    store_id = kms.create_custom_key_store(
        CustomKeyStoreName="xks", CustomKeyStoreType="EXTERNAL_KEY_STORE", XksProxyUriEndpoint="https://xks.example.com",
        XksProxyUriPath="/example/kms/xks/v1", XksProxyAuthenticationCredential=credential,
        XksProxyConnectivity="PUBLIC_ENDPOINT",
    )["CustomKeyStoreId"]
    [entry] = kms.describe_custom_key_stores(CustomKeyStoreId=store_id)["CustomKeyStores"]
    assert entry["XksProxyConfiguration"] == {
        "Connectivity": "PUBLIC_ENDPOINT", "AccessKeyId": "ABCDEFGHIJKLMNOPQRST",
        "UriEndpoint": "https://xks.example.com", "UriPath": "/example/kms/xks/v1",
    }
    with pytest.raises(ClientError) as excinfo:
        kms.connect_custom_key_store(CustomKeyStoreId=store_id)
    assert error_of(excinfo)[0] == "XksProxyUriUnreachableException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(
            CustomKeyStoreName="xks-2", CustomKeyStoreType="EXTERNAL_KEY_STORE",
            XksProxyUriEndpoint="https://xks.example.com", XksProxyUriPath="/example/kms/xks/v1",
            XksProxyAuthenticationCredential=credential, XksProxyConnectivity="PUBLIC_ENDPOINT",
        )
    assert error_of(excinfo)[0] == "XksProxyUriInUseException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(
            CustomKeyStoreName="xks-3", CustomKeyStoreType="EXTERNAL_KEY_STORE",
            XksProxyUriEndpoint="https://other.example.com", XksProxyUriPath="/kms/xks/v1",
            XksProxyAuthenticationCredential=credential, XksProxyConnectivity="VPC_ENDPOINT_SERVICE",
        )
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(CustomKeyStoreName="missing-members", CloudHsmClusterId=cluster_id())
    assert error_of(excinfo)[0] == "ValidationException"


def test_store_quota_and_paging(clean):
    kms = clean
    for index in range(10):
        kms.create_custom_key_store(CustomKeyStoreName=f"store-{index}", CloudHsmClusterId=cluster_id(),
                                    TrustAnchorCertificate="c", KeyStorePassword="password")
    with pytest.raises(ClientError) as excinfo:
        kms.create_custom_key_store(CustomKeyStoreName="eleventh", CloudHsmClusterId=cluster_id(),
                                    TrustAnchorCertificate="c", KeyStorePassword="password")
    assert error_of(excinfo)[0] == "LimitExceededException"
    first = kms.describe_custom_key_stores(Limit=4)
    assert first["Truncated"] is True and len(first["CustomKeyStores"]) == 4
    second = kms.describe_custom_key_stores(Limit=10, Marker=first["NextMarker"])
    assert second["Truncated"] is False
    names = {s["CustomKeyStoreName"] for s in first["CustomKeyStores"] + second["CustomKeyStores"]}
    assert names == {f"store-{index}" for index in range(10)}
