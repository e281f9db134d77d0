"""Influencer aggregate: profile, social accounts, metric snapshots and the rate card."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, StringList, TenantScoped, UTCDateTime, tenant_fk

PLATFORMS = ("instagram", "tiktok", "youtube", "twitch", "x", "linkedin", "blog")
DELIVERABLE_TYPES = ("post", "story", "reel", "short", "video", "live", "blog_article", "share")


class InfluencerProfile(TenantScoped, db.Model):
    """What brands see of an influencer; derived columns are kept current by the profile service."""

    __tablename__ = "influencer_profiles"
    __readable_name__ = "influencer"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        tenant_fk("user_id", "users"),
        CheckConstraint(
            "fraud_risk IS NULL OR (fraud_risk >= 0 AND fraud_risk <= 1)", name="fraud_risk_range"
        ),
        # Search and matching: the common sorts and range filters, each led by tenant_id.
        Index("ix_influencer_profiles_tenant_followers", "tenant_id", "followers", "id"),
        Index("ix_influencer_profiles_tenant_engagement", "tenant_id", "engagement_rate", "id"),
        # Sort by rating: the same expression as marketplace.services.search (unrated last).
        Index(
            "ix_influencer_profiles_tenant_rating",
            "tenant_id",
            text("coalesce(rating_avg, CAST(-1.0 AS DOUBLE PRECISION))"),
            "id",
        ),
        Index("ix_influencer_profiles_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_influencer_profiles_tenant_tier_country", "tenant_id", "tier", "country"),
        # Array overlap (&&) and full-text filters: GIN, with tenant_id through btree_gin.
        Index("ix_influencer_profiles_niches", "tenant_id", "niches", postgresql_using="gin"),
        Index("ix_influencer_profiles_languages", "tenant_id", "languages", postgresql_using="gin"),
        Index("ix_influencer_profiles_platforms", "tenant_id", "platforms", postgresql_using="gin"),
        Index(
            "ix_influencer_profiles_search",
            "tenant_id",
            text("to_tsvector('simple', search_text)"),
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    bio: Mapped[str] = mapped_column(Text, nullable=False, default="")
    country: Mapped[str | None] = mapped_column(String(2))
    languages: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    niches: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    audience_countries: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    audience_ages: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    audience_genders: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    accepts_in_kind: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    min_cash_rate_minor: Mapped[int | None] = mapped_column(Integer)
    # Derived, never typed in by the influencer.
    platforms: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    followers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tier: Mapped[str] = mapped_column(String(10), nullable=False, default="nano")
    engagement_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    rating_avg: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fraud_risk: Mapped[float | None] = mapped_column(Float)
    fraud_reasons: Mapped[list | None] = mapped_column(JSONType)
    fraud_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SocialAccount(TenantScoped, db.Model):
    """One account of an influencer on one platform, with its latest figures."""

    __tablename__ = "social_accounts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "profile_id", "platform", "handle"),
        tenant_fk("profile_id", "influencer_profiles", ondelete="CASCADE"),
        CheckConstraint("followers >= 0 AND following >= 0", name="counts_positive"),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    handle: Mapped[str] = mapped_column(String(100), nullable=False)
    url: Mapped[str | None] = mapped_column(String(500))
    followers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    following: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    avg_likes: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    avg_comments: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    avg_views: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    posts_per_month: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    engagement_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0)


class MetricSnapshot(TenantScoped, db.Model):
    """An append-only reading of an account's figures: the history behind growth and fraud signals."""

    __tablename__ = "metric_snapshots"
    __table_args__ = (
        tenant_fk("account_id", "social_accounts", ondelete="CASCADE"),
        Index("ix_metric_snapshots_tenant_account_taken", "tenant_id", "account_id", "taken_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    followers: Mapped[int] = mapped_column(Integer, nullable=False)
    following: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    avg_likes: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    avg_comments: Mapped[float] = mapped_column(Float, nullable=False, default=0)
    avg_views: Mapped[float] = mapped_column(Float, nullable=False, default=0)


class RatePrice(TenantScoped, db.Model):
    """One line of a rate card: platform x deliverable x creation or share-only, in minor units."""

    __tablename__ = "rate_prices"
    __table_args__ = (
        UniqueConstraint("tenant_id", "profile_id", "platform", "deliverable", "content_creation"),
        tenant_fk("profile_id", "influencer_profiles", ondelete="CASCADE"),
        CheckConstraint("price_minor >= 0", name="price_positive"),
        # "max rate for a deliverable" filter and "sort by rate": ending with profile_id, the index
        # walk is already in the sort's (price, id) order, ties included (migration 0009).
        Index(
            "ix_rate_prices_tenant_lookup",
            "tenant_id",
            "platform",
            "deliverable",
            "content_creation",
            "price_minor",
            "profile_id",
        ),
    )

    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    platform: Mapped[str] = mapped_column(String(20), nullable=False)
    deliverable: Mapped[str] = mapped_column(String(20), nullable=False)
    content_creation: Mapped[bool] = mapped_column(Boolean, nullable=False)
    price_minor: Mapped[int] = mapped_column(Integer, nullable=False)
