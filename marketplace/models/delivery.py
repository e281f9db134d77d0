"""Delivery aggregate: deliverables submitted under a contract, their reported metrics, and reviews."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import TenantScoped, UTCDateTime, tenant_fk

DELIVERABLE_STATUSES = ("submitted", "approved", "changes_requested")
STAGES = ("draft", "live")


class Deliverable(TenantScoped, db.Model):
    """One piece of content: a draft to approve before posting, or the live post."""

    __tablename__ = "deliverables"
    __table_args__ = (
        tenant_fk("contract_id", "contracts"),
        tenant_fk("submitted_by", "users"),
        Index("ix_deliverables_tenant_contract", "tenant_id", "contract_id", "created_at"),
        Index("ix_deliverables_tenant_status_due", "tenant_id", "status", "review_due_at"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    submitted_by: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    stage: Mapped[str] = mapped_column(String(8), nullable=False, default="live")
    url: Mapped[str] = mapped_column(String(1000), nullable=False)
    caption: Mapped[str] = mapped_column(Text, nullable=False, default="")
    paid_partnership_flag: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="submitted")
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    disclosure_ok: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    review_due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    reviewed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(Text)
    auto_approved: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


class DeliverableMetric(TenantScoped, db.Model):
    """Figures reported for a deliverable (append-only; the latest wins in reports)."""

    __tablename__ = "deliverable_metrics"
    __table_args__ = (
        tenant_fk("deliverable_id", "deliverables", ondelete="CASCADE"),
        Index(
            "ix_deliverable_metrics_tenant_deliverable_reported", "tenant_id", "deliverable_id", "reported_at"
        ),
        CheckConstraint(
            "impressions >= 0 AND reach >= 0 AND likes >= 0 AND comments >= 0 AND shares >= 0 "
            "AND saves >= 0 AND clicks >= 0 AND conversions >= 0",
            name="counts_positive",
        ),
    )

    deliverable_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    reported_by: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    impressions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reach: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    likes: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    comments: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    shares: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    saves: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    clicks: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    conversions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Review(TenantScoped, db.Model):
    """One party's rating of the other after a completed contract."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "reviewer_party"),
        tenant_fk("contract_id", "contracts"),
        tenant_fk("reviewer_id", "users"),
        CheckConstraint("stars >= 1 AND stars <= 5", name="stars_range"),
        Index("ix_reviews_tenant_profile", "tenant_id", "profile_id"),
        Index("ix_reviews_tenant_brand", "tenant_id", "brand_id"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    reviewer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    reviewer_party: Mapped[str] = mapped_column(String(12), nullable=False)
    # The reviewed side: the influencer's profile (reviewed by the brand) or the brand.
    profile_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    brand_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    stars: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
