"""Offer: a brand's invitation or an influencer's application, and the counter-offers that follow."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, UTCDateTime, tenant_fk

OFFER_STATUSES = ("pending", "accepted", "declined", "withdrawn", "expired", "countered")
DIRECTIONS = (
    "invitation",
    "application",
)  # invitation: brand -> influencer; application: influencer -> brand


class Offer(TenantScoped, db.Model):
    """Terms proposed by one side to the other; a counter closes it and links a new one."""

    __tablename__ = "offers"
    __table_args__ = (
        tenant_fk("campaign_id", "campaigns"),
        tenant_fk("profile_id", "influencer_profiles"),
        tenant_fk("brand_id", "brands"),
        tenant_fk("sender_id", "users"),
        tenant_fk("parent_id", "offers"),
        CheckConstraint("cash_minor >= 0 AND in_kind_value_minor >= 0", name="money_positive"),
        # One live negotiation per influencer and campaign.
        Index(
            "uq_offers_tenant_campaign_profile_pending",
            "tenant_id",
            "campaign_id",
            "profile_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_offers_tenant_status_expires", "tenant_id", "status", "expires_at"),
        Index("ix_offers_tenant_profile_created", "tenant_id", "profile_id", "created_at"),
        Index("ix_offers_tenant_brand_created", "tenant_id", "brand_id", "created_at"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    brand_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    sender_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    direction: Mapped[str] = mapped_column(String(12), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    cash_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    in_kind_items: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    in_kind_value_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    parent_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    responded_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
