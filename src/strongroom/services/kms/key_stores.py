"""Custom key stores: Create/Describe/Update/Delete/Connect/DisconnectCustomKeyStore.

The configuration is kept (secrets sealed), but no CloudHSM cluster or external key store proxy is
reachable from this server, so stores stay DISCONNECTED: ConnectCustomKeyStore answers the error AWS
gives for a backing store it cannot reach, and no key can be created in a store.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms.metadata import aware
from strongroom.services.kms.plugin import service
from strongroom.services.kms.rotation_tables import KmsCustomKeyStore
from strongroom.services.kms.store import decode_marker, encode_marker, runtime_of, transaction

CLOUDHSM = "AWS_CLOUDHSM"
EXTERNAL = "EXTERNAL_KEY_STORE"
DISCONNECTED = "DISCONNECTED"
CONNECTED = "CONNECTED"
STORES_PER_REGION = 10
VPC = "VPC_ENDPOINT_SERVICE"
CLOUDHSM_MEMBERS = ("CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword")
XKS_MEMBERS = (
    "XksProxyUriEndpoint",
    "XksProxyUriPath",
    "XksProxyVpcEndpointServiceName",
    "XksProxyVpcEndpointServiceOwner",
    "XksProxyAuthenticationCredential",
    "XksProxyConnectivity",
)


def _scope(ctx: RequestContext) -> tuple[Any, ...]:
    return (KmsCustomKeyStore.account_id == ctx.account_id, KmsCustomKeyStore.region == ctx.region)


def _store(ctx: RequestContext, session: Session, store_id: str) -> KmsCustomKeyStore:
    store = session.get(KmsCustomKeyStore, (ctx.account_id, ctx.region, store_id))
    if store is None:
        raise ServiceError("CustomKeyStoreNotFoundException", f"Custom key store {store_id} does not exist.")
    return store


def _locator(ctx: RequestContext, store_id: str, what: str) -> str:
    return f"kms-custom-key-store/{ctx.account_id}/{ctx.region}/{store_id}/{what}"


def _refuse_members(params: dict[str, Any], members: tuple[str, ...], store_type: str) -> None:
    given = [m for m in members if params.get(m) is not None]
    if given:
        raise ServiceError(
            "ValidationException", f"{given[0]} is not valid for a custom key store of type {store_type}."
        )


def _require(params: dict[str, Any], members: tuple[str, ...], store_type: str) -> None:
    for member in members:
        if params.get(member) is None:
            raise ServiceError(
                "ValidationException", f"{member} is required for a custom key store of type {store_type}."
            )


def _check_in_use(ctx: RequestContext, session: Session, store_id: str, params: dict[str, Any]) -> None:
    others = [s for s in session.scalars(select(KmsCustomKeyStore).where(*_scope(ctx))) if s.store_id != store_id]
    name = params.get("CustomKeyStoreName") or params.get("NewCustomKeyStoreName")
    if name is not None and any(s.name == name for s in others):
        raise ServiceError("CustomKeyStoreNameInUseException", f"Custom key store name {name} is already in use.")
    cluster = params.get("CloudHsmClusterId")
    if cluster is not None and any(s.cluster_id == cluster for s in others):
        raise ServiceError(
            "CloudHsmClusterInUseException",
            f"CloudHSM cluster {cluster} is already associated with a custom key store.",
        )
    endpoint, path = params.get("XksProxyUriEndpoint"), params.get("XksProxyUriPath")
    for other in others:
        if endpoint is not None and other.xks_uri_endpoint == endpoint:
            if path is not None and other.xks_uri_path == path:
                raise ServiceError("XksProxyUriInUseException", f"The proxy URI {endpoint}{path} is already in use.")
            if other.xks_connectivity != VPC:
                raise ServiceError(
                    "XksProxyUriEndpointInUseException", f"The proxy URI endpoint {endpoint} is already in use."
                )
        service_name = params.get("XksProxyVpcEndpointServiceName")
        if service_name is not None and other.xks_vpc_endpoint_service_name == service_name:
            raise ServiceError(
                "XksProxyVpcEndpointServiceInUseException",
                f"The VPC endpoint service {service_name} is already in use.",
            )


def _check_connectivity(connectivity: str | None, service_name: str | None) -> None:
    if connectivity == VPC and service_name is None:
        raise ServiceError(
            "ValidationException", "XksProxyVpcEndpointServiceName is required for VPC_ENDPOINT_SERVICE connectivity."
        )
    if connectivity == "PUBLIC_ENDPOINT" and service_name is not None:
        raise ServiceError(
            "ValidationException", "XksProxyVpcEndpointServiceName is valid only for VPC_ENDPOINT_SERVICE connectivity."
        )


def _apply(ctx: RequestContext, store: KmsCustomKeyStore, params: dict[str, Any]) -> None:
    """Copy the configuration members present in `params` onto the store, sealing its secrets."""
    barrier = runtime_of(ctx).barrier
    if params.get("CloudHsmClusterId") is not None:
        store.cluster_id = params["CloudHsmClusterId"]
    if params.get("TrustAnchorCertificate") is not None:
        store.trust_anchor_certificate = params["TrustAnchorCertificate"]
    if params.get("KeyStorePassword") is not None:
        store.sealed_password = barrier.seal(
            params["KeyStorePassword"].encode(), _locator(ctx, store.store_id, "password")
        )
    for member, column in (
        ("XksProxyUriEndpoint", "xks_uri_endpoint"),
        ("XksProxyUriPath", "xks_uri_path"),
        ("XksProxyConnectivity", "xks_connectivity"),
        ("XksProxyVpcEndpointServiceName", "xks_vpc_endpoint_service_name"),
        ("XksProxyVpcEndpointServiceOwner", "xks_vpc_endpoint_service_owner"),
    ):
        if params.get(member) is not None:
            setattr(store, column, params[member])
    credential = params.get("XksProxyAuthenticationCredential")
    if credential is not None:
        store.xks_access_key_id = credential["AccessKeyId"]
        store.sealed_xks_secret = barrier.seal(
            credential["RawSecretAccessKey"].encode(), _locator(ctx, store.store_id, "xks-secret")
        )


@service.operation("CreateCustomKeyStore")
def create_custom_key_store(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store_type = params.get("CustomKeyStoreType", CLOUDHSM)
    if store_type == CLOUDHSM:
        _refuse_members(params, XKS_MEMBERS, store_type)
        _require(params, CLOUDHSM_MEMBERS, store_type)
    else:
        _refuse_members(params, CLOUDHSM_MEMBERS, store_type)
        _require(
            params,
            ("XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential", "XksProxyConnectivity"),
            store_type,
        )
        _check_connectivity(params["XksProxyConnectivity"], params.get("XksProxyVpcEndpointServiceName"))
    store_id = f"cks-{secrets.token_hex(9)[:17]}"
    with transaction(ctx) as session:
        count = session.scalar(select(func.count()).select_from(KmsCustomKeyStore).where(*_scope(ctx))) or 0
        if count >= STORES_PER_REGION:
            raise ServiceError(
                "LimitExceededException", f"You cannot create more than {STORES_PER_REGION} custom key stores."
            )
        _check_in_use(ctx, session, store_id, params)
        store = KmsCustomKeyStore(
            account_id=ctx.account_id,
            region=ctx.region,
            store_id=store_id,
            name=params["CustomKeyStoreName"],
            store_type=store_type,
            connection_state=DISCONNECTED,
            created_at=ctx.clock.now(),
        )
        _apply(ctx, store, params)
        session.add(store)
    return {"CustomKeyStoreId": store_id}


def _entry(store: KmsCustomKeyStore) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "CustomKeyStoreId": store.store_id,
        "CustomKeyStoreName": store.name,
        "CustomKeyStoreType": store.store_type,
        "ConnectionState": store.connection_state,
        "CreationDate": aware(store.created_at),
    }
    if store.connection_error_code is not None:
        entry["ConnectionErrorCode"] = store.connection_error_code
    if store.store_type == CLOUDHSM:
        entry["CloudHsmClusterId"] = store.cluster_id
        entry["TrustAnchorCertificate"] = store.trust_anchor_certificate
        return entry
    configuration = {
        "Connectivity": store.xks_connectivity,
        "AccessKeyId": store.xks_access_key_id,
        "UriEndpoint": store.xks_uri_endpoint,
        "UriPath": store.xks_uri_path,
        "VpcEndpointServiceName": store.xks_vpc_endpoint_service_name,
        "VpcEndpointServiceOwner": store.xks_vpc_endpoint_service_owner,
    }
    entry["XksProxyConfiguration"] = {k: v for k, v in configuration.items() if v is not None}
    return entry


@service.operation("DescribeCustomKeyStores")
def describe_custom_key_stores(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    store_id, name = params.get("CustomKeyStoreId"), params.get("CustomKeyStoreName")
    if store_id is not None and name is not None:
        raise ServiceError(
            "ValidationException", "You can specify either CustomKeyStoreId or CustomKeyStoreName, but not both."
        )
    query = select(KmsCustomKeyStore).where(*_scope(ctx))
    if store_id is not None:
        query = query.where(KmsCustomKeyStore.store_id == store_id)
    if name is not None:
        query = query.where(KmsCustomKeyStore.name == name)
    position = decode_marker(params.get("Marker"))
    if position is not None:
        query = query.where(KmsCustomKeyStore.store_id > position)
    limit = params.get("Limit", 1000)
    with transaction(ctx) as session:
        stores = list(session.scalars(query.order_by(KmsCustomKeyStore.store_id).limit(limit + 1)))
        if not stores and (store_id is not None or name is not None) and position is None:
            missing = store_id if store_id is not None else name
            raise ServiceError("CustomKeyStoreNotFoundException", f"Custom key store {missing} does not exist.")
        entries = [_entry(s) for s in stores[:limit]]
    if len(stores) > limit:
        return {"CustomKeyStores": entries, "Truncated": True, "NextMarker": encode_marker(stores[limit - 1].store_id)}
    return {"CustomKeyStores": entries, "Truncated": False}


@service.operation("UpdateCustomKeyStore")
def update_custom_key_store(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        store = _store(ctx, session, params["CustomKeyStoreId"])
        if store.store_type == CLOUDHSM:
            _refuse_members(params, XKS_MEMBERS, store.store_type)
        else:
            _refuse_members(params, ("CloudHsmClusterId", "KeyStorePassword"), store.store_type)
            connectivity = params.get("XksProxyConnectivity") or store.xks_connectivity
            service_name = params.get("XksProxyVpcEndpointServiceName")
            if connectivity == VPC:
                service_name = service_name or store.xks_vpc_endpoint_service_name
            _check_connectivity(connectivity, service_name)
            if connectivity != VPC:
                store.xks_vpc_endpoint_service_name = store.xks_vpc_endpoint_service_owner = None
        changes_config = any(params.get(m) is not None for m in (*CLOUDHSM_MEMBERS, *XKS_MEMBERS))
        renaming_only_xks = store.store_type == EXTERNAL and not changes_config
        if store.connection_state != DISCONNECTED and not renaming_only_xks:
            raise ServiceError(
                "CustomKeyStoreInvalidStateException",
                f"Custom key store {store.store_id} must be disconnected before it can be updated.",
            )
        _check_in_use(ctx, session, store.store_id, params)
        if params.get("NewCustomKeyStoreName") is not None:
            store.name = params["NewCustomKeyStoreName"]
        _apply(ctx, store, params)
    return {}


@service.operation("DeleteCustomKeyStore")
def delete_custom_key_store(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        store = _store(ctx, session, params["CustomKeyStoreId"])
        if store.connection_state != DISCONNECTED:
            raise ServiceError(
                "CustomKeyStoreInvalidStateException",
                f"Custom key store {store.store_id} must be disconnected before it can be deleted.",
            )
        # No key can be created in a store here (none ever connects), so no store holds keys.
        session.delete(store)
    return {}


@service.operation("ConnectCustomKeyStore")
def connect_custom_key_store(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        store = _store(ctx, session, params["CustomKeyStoreId"])
        if store.connection_state in ("DISCONNECTING", "FAILED"):
            raise ServiceError(
                "CustomKeyStoreInvalidStateException",
                f"Custom key store {store.store_id} is {store.connection_state} and cannot be connected.",
            )
        if store.connection_state == CONNECTED:
            return {}
        if store.store_type == CLOUDHSM:
            raise ServiceError(
                "CloudHsmClusterNotFoundException",
                f"KMS cannot find the CloudHSM cluster with the specified cluster ID {store.cluster_id}.",
            )
        raise ServiceError(
            "XksProxyUriUnreachableException",
            f"KMS was unable to reach the specified XksProxyUriPath {store.xks_uri_endpoint}{store.xks_uri_path}.",
        )


@service.operation("DisconnectCustomKeyStore")
def disconnect_custom_key_store(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        store = _store(ctx, session, params["CustomKeyStoreId"])
        if store.connection_state in (DISCONNECTED, "DISCONNECTING"):
            raise ServiceError(
                "CustomKeyStoreInvalidStateException",
                f"Custom key store {store.store_id} is {store.connection_state} and cannot be disconnected.",
            )
        store.connection_state = DISCONNECTED
        store.connection_error_code = None
    return {}


def refuse_key_in_store(ctx: RequestContext, store_id: str) -> None:
    """CreateKey in a custom key store: it must exist and be CONNECTED, which no store here ever is."""
    with transaction(ctx) as session:
        store = _store(ctx, session, store_id)
        if store.connection_state != CONNECTED:
            raise ServiceError(
                "CustomKeyStoreInvalidStateException",
                f"Custom key store {store_id} is not connected. Connect it before creating KMS keys in it.",
            )
    raise ServiceError(
        "UnsupportedOperationException", "KMS keys in custom key stores are not supported by this server."
    )
