"""Campaign: a brand's brief, from draft to published to closed."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Float, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, StringList, TenantScoped, UTCDateTime, tenant_fk

COMPENSATION_KINDS = ("full", "symbolic", "in_kind", "mixed")
CAMPAIGN_STATUSES = ("draft", "published", "closed", "cancelled")


class Campaign(TenantScoped, db.Model):
    """A brief: what the brand wants, from whom, for what pay, and how many influencers (slots)."""

    __tablename__ = "campaigns"
    __table_args__ = (
        tenant_fk("brand_id", "brands"),
        tenant_fk("created_by", "users"),
        CheckConstraint("slots >= 1", name="slots_positive"),
        CheckConstraint("cash_per_influencer_minor >= 0 AND total_budget_minor >= 0", name="money_positive"),
        Index("ix_campaigns_tenant_status_created", "tenant_id", "status", "created_at", "id"),
        Index("ix_campaigns_tenant_brand_created", "tenant_id", "brand_id", "created_at", "id"),
    )

    brand_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    niches: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    target_countries: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    languages: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    platforms: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    deliverables: Mapped[list[dict]] = mapped_column(JSONType, nullable=False, default=list)
    compensation_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    cash_per_influencer_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    in_kind_description: Mapped[str | None] = mapped_column(Text)
    in_kind_value_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_budget_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    slots: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    wanted_tiers: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    min_engagement: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    application_deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="draft")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
