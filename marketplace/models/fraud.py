"""FraudFlag: a profile whose fake-follower risk crossed the tenant's threshold, for admin review."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Float, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, UTCDateTime, tenant_fk

FLAG_STATUSES = ("open", "confirmed", "dismissed")
BRAND_SAFETY = "brand_safety"  # the reason code of an admin's flag (services/moderation.flag)


class FraudFlag(TenantScoped, db.Model):
    """One review case; a profile has at most one open flag (enforced by a partial unique index)."""

    __tablename__ = "fraud_flags"
    __table_args__ = (
        tenant_fk("profile_id", "influencer_profiles", ondelete="CASCADE"),
        tenant_fk("reviewed_by", "users"),
        Index("ix_fraud_flags_tenant_status_created", "tenant_id", "status", "created_at"),
        Index(
            "uq_fraud_flags_tenant_profile_open",
            "tenant_id",
            "profile_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    reasons: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="open")
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
