"""Tenant: a marketplace operator with its own users, money settings and rules."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import IdMixin, JSONType, TimestampMixin

DEFAULT_TIER_THRESHOLDS = {"micro": 2_000, "macro": 50_000, "mega": 1_000_000}


class Tenant(IdMixin, TimestampMixin, db.Model):
    """A marketplace operator. Not tenant-scoped itself: it is the scope."""

    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint("platform_fee_bps >= 0 AND platform_fee_bps <= 10000", name="fee_bps_range"),
        CheckConstraint("symbolic_ceiling_minor >= 0", name="symbolic_ceiling_positive"),
    )

    slug: Mapped[str] = mapped_column(String(63), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="EUR")
    platform_fee_bps: Mapped[int] = mapped_column(Integer, nullable=False, default=1000)
    symbolic_ceiling_minor: Mapped[int] = mapped_column(Integer, nullable=False, default=5000)
    # Lower bounds of micro, macro and mega in followers; below micro is nano.
    tier_thresholds: Mapped[dict] = mapped_column(
        JSONType, nullable=False, default=DEFAULT_TIER_THRESHOLDS.copy
    )
    review_window_days: Mapped[int] = mapped_column(Integer, nullable=False, default=7)
    offer_expiry_days: Mapped[int] = mapped_column(Integer, nullable=False, default=14)
    fraud_flag_threshold_bps: Mapped[int] = mapped_column(Integer, nullable=False, default=5000)
    # Accepted contracts of comparable profiles needed before rate estimates use this tenant's prices.
    rate_calibration_min_contracts: Mapped[int] = mapped_column(Integer, nullable=False, default=20)
    match_top_k: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    fee_payer: Mapped[str] = mapped_column(String(12), nullable=False, default="influencer")
    governing_law: Mapped[str] = mapped_column(String(120), nullable=False, default="the laws of France")

    @property
    def fraud_flag_threshold(self) -> float:
        """The fraud risk (0..1) at and above which a profile enters the review queue."""
        return self.fraud_flag_threshold_bps / 10_000
