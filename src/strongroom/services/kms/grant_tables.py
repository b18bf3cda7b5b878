"""The grants table: one row per grant on a key, in the key's account and region.

Operations and constraints are stored as JSON text: they are read whole with the grant and never
queried by their parts. Rows go with their key when it is deleted, or when retired or revoked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class KmsGrant(Base):
    __tablename__ = "kms_grants"

    # 64 random hex characters, as AWS's grant ids look; unique on its own.
    grant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    grantee_principal: Mapped[str] = mapped_column(String(256))
    retiring_principal: Mapped[str | None] = mapped_column(String(256), nullable=True)
    # The account that created the grant (its root ARN is ListGrants' IssuingAccount).
    issuing_account: Mapped[str] = mapped_column(String(12))
    operations: Mapped[str] = mapped_column(Text)  # JSON list of operation names
    constraints: Mapped[str | None] = mapped_column(Text, nullable=True)  # JSON GrantConstraints
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_kms_grants_key", "account_id", "region", "key_id"),
        Index("ix_kms_grants_grantee", "grantee_principal"),
        Index("ix_kms_grants_retiring", "retiring_principal"),
    )
