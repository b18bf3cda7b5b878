"""The table of temporary credentials issued by STS (AssumeRole, GetSessionToken).

A row is written once and never changed: the session's secret is sealed by the barrier for the
row's every field (`sessions.session_locator`), and its token is kept only as a SHA-256 digest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strongroom.store.tables import Base


class StsSession(Base):
    __tablename__ = "sts_sessions"

    access_key_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    principal_type: Mapped[str] = mapped_column(String(32))  # Root | IAMUser | AssumedRole
    principal_arn: Mapped[str] = mapped_column(String(2048))
    principal_id: Mapped[str] = mapped_column(String(256))
    user_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The role a role session was issued from (absent for GetSessionToken sessions).
    role_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    session_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    token_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    sealed_secret: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # JSON: a list of session policy texts, or null when none were passed.
    session_policies: Mapped[str | None] = mapped_column(Text, nullable=True)
    # JSON: {"tags": {key: value}, "transitive": [keys]} — the principal's tags for aws:PrincipalTag.
    tags: Mapped[str] = mapped_column(Text)
    source_identity: Mapped[str | None] = mapped_column(String(256), nullable=True)

    __table_args__ = (Index("ix_sts_sessions_expires_at", "expires_at"),)
