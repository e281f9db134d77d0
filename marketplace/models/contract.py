"""Contract: the frozen terms between a brand and an influencer, their document and signatures."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, UTCDateTime, tenant_fk

CONTRACT_STATUSES = (
    "generating",
    "awaiting_signatures",
    "signed",
    "funded",
    "delivered",
    "completed",
    "disputed",
    "cancelled",
)


class Contract(TenantScoped, db.Model):
    """What was agreed, frozen at acceptance: money in minor units, fee in basis points."""

    __tablename__ = "contracts"
    __table_args__ = (
        tenant_fk("campaign_id", "campaigns"),
        tenant_fk("offer_id", "offers"),
        tenant_fk("brand_id", "brands"),
        tenant_fk("profile_id", "influencer_profiles"),
        tenant_fk("influencer_user_id", "users"),
        UniqueConstraint("tenant_id", "offer_id"),
        CheckConstraint(
            "cash_minor >= 0 AND platform_fee_minor >= 0 AND influencer_net_minor >= 0", name="money_positive"
        ),
        CheckConstraint("brand_pays_minor = influencer_net_minor + platform_fee_minor", name="fee_balances"),
        # No influencer holds two live contracts on one campaign.
        Index(
            "uq_contracts_tenant_campaign_profile_live",
            "tenant_id",
            "campaign_id",
            "profile_id",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
        Index("ix_contracts_tenant_campaign_status", "tenant_id", "campaign_id", "status"),
        Index("ix_contracts_tenant_profile_created", "tenant_id", "profile_id", "created_at"),
        Index("ix_contracts_tenant_brand_created", "tenant_id", "brand_id", "created_at"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    offer_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    brand_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    influencer_user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="generating")
    compensation_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    cash_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    platform_fee_bps: Mapped[int] = mapped_column(Integer, nullable=False)
    fee_payer: Mapped[str] = mapped_column(String(12), nullable=False)
    platform_fee_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    brand_pays_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    influencer_net_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    in_kind_items: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    in_kind_value_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    terms: Mapped[dict] = mapped_column(JSONType, nullable=False)
    document_key: Mapped[str | None] = mapped_column(String(300))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    signed_document_key: Mapped[str | None] = mapped_column(String(300))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    funded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_before_dispute: Mapped[str | None] = mapped_column(String(20))

    @property
    def has_cash(self) -> bool:
        """True when money moves through Stripe for this contract."""
        return self.cash_minor > 0


class Signature(TenantScoped, db.Model):
    """One party's e-signature with its audit trail."""

    __tablename__ = "signatures"
    __table_args__ = (
        UniqueConstraint("tenant_id", "contract_id", "party"),
        tenant_fk("contract_id", "contracts", ondelete="CASCADE"),
        tenant_fk("user_id", "users"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    party: Mapped[str] = mapped_column(String(12), nullable=False)  # brand | influencer
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    typed_name: Mapped[str] = mapped_column(String(200), nullable=False)
    consent: Mapped[bool] = mapped_column(Boolean, nullable=False)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ip: Mapped[str] = mapped_column(String(64), nullable=False)
    user_agent: Mapped[str] = mapped_column(Text, nullable=False, default="")
    document_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
