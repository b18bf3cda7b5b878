"""KMS tables for key-material lifecycle beyond generation: imports, import parameters, last use,
and custom key stores. Secrets (wrapping private keys, material fingerprints, store passwords) are
stored only as the barrier sealed them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class KmsImportedMaterial(Base):
    """One key material imported into an EXTERNAL key, remembered even after it is deleted or expires,
    so only the same material can be imported again under its id."""

    __tablename__ = "kms_imported_materials"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    material_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of the material, sealed: compared on reimport, never shown.
    sealed_fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    import_state: Mapped[str] = mapped_column(String(16))  # IMPORTED | PENDING_IMPORT
    expiration_model: Mapped[str] = mapped_column(String(32))
    valid_to: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    description: Mapped[str | None] = mapped_column(String(256), nullable=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # When on-demand rotation made this material current (imported material waits in PENDING_ROTATION).
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    __table_args__ = (Index("ix_kms_imported_materials_expiry", "import_state", "valid_to"),)


class KmsImportToken(Base):
    """A GetParametersForImport answer: the wrapping key pair's private half, valid for 24 hours."""

    __tablename__ = "kms_import_tokens"

    token_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(36))
    wrapping_algorithm: Mapped[str] = mapped_column(String(32))
    wrapping_key_spec: Mapped[str] = mapped_column(String(16))
    sealed_private_key: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (Index("ix_kms_import_tokens_expires_at", "expires_at"),)


class KmsKeyLastUsage(Base):
    """The last successful cryptographic operation of a key (written at most once a minute per key
    while the operation stays the same)."""

    __tablename__ = "kms_key_last_usage"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    request_id: Mapped[str] = mapped_column(String(64))


class KmsCustomKeyStore(Base):
    """A custom key store's configuration (AWS_CLOUDHSM or EXTERNAL_KEY_STORE)."""

    __tablename__ = "kms_custom_key_stores"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    store_type: Mapped[str] = mapped_column(String(32))
    connection_state: Mapped[str] = mapped_column(String(16))
    connection_error_code: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cluster_id: Mapped[str | None] = mapped_column(String(24), nullable=True)
    trust_anchor_certificate: Mapped[str | None] = mapped_column(Text, nullable=True)
    sealed_password: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    xks_uri_endpoint: Mapped[str | None] = mapped_column(String(128), nullable=True)
    xks_uri_path: Mapped[str | None] = mapped_column(String(128), nullable=True)
    xks_connectivity: Mapped[str | None] = mapped_column(String(32), nullable=True)
    xks_vpc_endpoint_service_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    xks_vpc_endpoint_service_owner: Mapped[str | None] = mapped_column(String(12), nullable=True)
    xks_access_key_id: Mapped[str | None] = mapped_column(String(30), nullable=True)
    sealed_xks_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)

    __table_args__ = (UniqueConstraint("account_id", "region", "name", name="uq_kms_custom_key_stores_name"),)
