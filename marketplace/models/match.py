"""CampaignMatch: one ranked influencer of a campaign's latest matching run."""

from __future__ import annotations

import uuid

from sqlalchemy import Float, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, tenant_fk


class CampaignMatch(TenantScoped, db.Model):
    """A ranked match with its total, each factor's contribution and a sentence of why."""

    __tablename__ = "campaign_matches"
    __table_args__ = (
        UniqueConstraint("tenant_id", "campaign_id", "profile_id"),
        UniqueConstraint("tenant_id", "campaign_id", "rank"),
        tenant_fk("campaign_id", "campaigns", ondelete="CASCADE"),
        tenant_fk("profile_id", "influencer_profiles", ondelete="CASCADE"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    rank: Mapped[int] = mapped_column(Integer, nullable=False)
    score: Mapped[float] = mapped_column(Float, nullable=False)
    niche_fit: Mapped[str] = mapped_column(String(10), nullable=False)
    contributions: Mapped[dict] = mapped_column(JSONType, nullable=False)
    factor_values: Mapped[dict] = mapped_column(JSONType, nullable=False)
    sentence: Mapped[str] = mapped_column(Text, nullable=False)
    run_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
