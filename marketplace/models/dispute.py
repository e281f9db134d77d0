"""Dispute: a contract contested by one party, moderated by admins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, UTCDateTime, tenant_fk

DISPUTE_REASONS = ("non_delivery", "quality", "late", "non_payment", "disclosure", "other")
DISPUTE_STATUSES = ("open", "under_review", "resolved", "withdrawn")
OUTCOMES = ("release", "refund", "split")


class Dispute(TenantScoped, db.Model):
    """While a dispute is open no money moves on its contract and nothing is auto-approved."""

    __tablename__ = "disputes"
    __table_args__ = (
        tenant_fk("contract_id", "contracts"),
        tenant_fk("opened_by", "users"),
        CheckConstraint(
            "influencer_share_bps IS NULL OR (influencer_share_bps >= 0 AND influencer_share_bps <= 10000)",
            name="share_range",
        ),
        Index(
            "uq_disputes_tenant_contract_active",
            "tenant_id",
            "contract_id",
            unique=True,
            postgresql_where=text("status IN ('open', 'under_review')"),
            sqlite_where=text("status IN ('open', 'under_review')"),
        ),
        Index("ix_disputes_tenant_status_created", "tenant_id", "status", "created_at"),
    )

    contract_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    opened_by: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    opened_by_party: Mapped[str] = mapped_column(String(12), nullable=False)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(14), nullable=False, default="open")
    reviewer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    outcome: Mapped[str | None] = mapped_column(String(10))
    influencer_share_bps: Mapped[int | None] = mapped_column(Integer)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Idempotency-Key of the resolving request, if it sent one (a retry answers the same; 0016).
    resolve_idempotency_key: Mapped[str | None] = mapped_column(String(255))


class DisputeMessage(TenantScoped, db.Model):
    """A message in a dispute, with links to evidence."""

    __tablename__ = "dispute_messages"
    __table_args__ = (
        tenant_fk("dispute_id", "disputes", ondelete="CASCADE"),
        tenant_fk("author_id", "users"),
        Index("ix_dispute_messages_tenant_dispute_created", "tenant_id", "dispute_id", "created_at"),
    )

    dispute_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    author_role: Mapped[str] = mapped_column(String(12), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    evidence_links: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
