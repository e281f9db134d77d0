"""Influencer aggregate: profile, social accounts, metric snapshots and the rate card."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Computed,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, StringList, TenantScoped, UTCDateTime, tenant_fk

PLATFORMS = ("instagram", "tiktok", "youtube", "twitch", "x", "linkedin", "blog")
DELIVERABLE_TYPES = ("post", "story", "reel", "short", "video", "live", "blog_article", "share")
# The part of domain.matching's score that no brief changes: 0.12 authenticity + 0.10 engagement
# + 0.04 reputation + 0.03 verified (at most 0.29), in PostgreSQL's words: the expression of the
# generated column match_static (migration 0010). Changing a weight, a tier norm or the rating prior
# means a migration that redefines the column; tests/services/test_matching_sql.py checks the
# column against domain.matching.
MATCH_STATIC_SQL = (
    "0.12::float8 * (1.0::float8 - least(greatest(coalesce(fraud_risk, 0.5::float8), 0.0::float8),"
    " 1.0::float8))"
    " + 0.1::float8 * least(greatest(greatest(engagement_rate, 0.0::float8) / CASE tier"
    " WHEN 'nano' THEN 0.05::float8 WHEN 'micro' THEN 0.035::float8 WHEN 'macro' THEN 0.02::float8"
    " WHEN 'mega' THEN 0.012::float8 ELSE 0.035::float8 END / 1.5::float8, 0.0::float8), 1.0::float8)"
    " + 0.04::float8 * least(greatest((coalesce(rating_avg, 0.0::float8)"
    " * CASE WHEN rating_avg IS NULL THEN 0.0::float8 ELSE greatest(rating_count, 0)::float8 END"
    " + 10.5::float8) / (CASE WHEN rating_avg IS NULL THEN 0.0::float8"
    " ELSE greatest(rating_count, 0)::float8 END + 3.0::float8) / 5.0::float8, 0.0::float8), 1.0::float8)"
    " + 0.03::float8 * CASE WHEN verified THEN 1.0::float8 ELSE 0.0::float8 END"
)
# The words of a profile's search_text, in PostgreSQL's words: the expression of the generated column
# search_vector (migration 0012).
SEARCH_VECTOR_SQL = "to_tsvector('simple'::regconfig, search_text)"
# What the matching search reads of a profile besides the key (tenant_id, match_static,
# accepts_in_kind, id): enough for an index-only scan.
MATCH_COLUMNS = (
    "user_id",
    "niches",
    "platforms",
    "languages",
    "tier",
    "engagement_rate",
    "audience_countries",
    "fraud_risk",
    "rating_avg",
    "rating_count",
    "verified",
)
# What a search by engagement (its default order when there is no free text) reads besides the key:
# the columns a result shows and those its filters test. The engagement index includes them, so such a
# search walks the index alone, however many rows its filters pass over (migration 0013): a page of
# `niche=food&country=FR` read 1,155 table pages to find its 21 rows, and reads 36 index pages.
SEARCH_COLUMNS = (
    "owner_suspended",
    "display_name",
    "country",
    "languages",
    "niches",
    "platforms",
    "followers",
    "tier",
    "verified",
    "rating_avg",
    "fraud_risk",
)


class InfluencerProfile(TenantScoped, db.Model):
    """What brands see of an influencer; derived columns are kept current by the profile service."""

    __tablename__ = "influencer_profiles"
    __readable_name__ = "influencer"
    # search_vector (below) is a column of the table, for Core statements and the migrations'
    # autogenerate check, but not of the ORM entity: SQLite has no such column, nobody loads or writes
    # it, and an insert need not send it back.
    __mapper_args__ = {"exclude_properties": ["search_vector"]}
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id"),
        tenant_fk("user_id", "users"),
        CheckConstraint(
            "fraud_risk IS NULL OR (fraud_risk >= 0 AND fraud_risk <= 1)", name="fraud_risk_range"
        ),
        # Search and matching: the common sorts and range filters, each led by tenant_id.
        Index("ix_influencer_profiles_tenant_followers", "tenant_id", "followers", "id"),
        Index(
            "ix_influencer_profiles_tenant_engagement",
            "tenant_id",
            "engagement_rate",
            "id",
            postgresql_include=list(SEARCH_COLUMNS),
        ),
        # Sort by rating: the same expression as marketplace.services.search (unrated last).
        Index(
            "ix_influencer_profiles_tenant_rating",
            "tenant_id",
            text("coalesce(rating_avg, CAST(-1.0 AS DOUBLE PRECISION))"),
            "id",
        ),
        Index("ix_influencer_profiles_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_influencer_profiles_tenant_tier_country", "tenant_id", "tier", "country"),
        # Array overlap (&&) and full-text filters: GIN, with tenant_id through btree_gin. The niche,
        # platform and language filters of search and matching all use ix_influencer_profiles_match_filters
        # below (a GIN index answers a condition on any one of its columns as well as a one-column index:
        # migration 0013 dropped those, which the planner costed for every search).
        # PostgreSQL only (migration 0012; SQLite matches search_text with LIKE): search_text's words,
        # computed by the database on every write, for the free-text match and its ts_rank
        # (services.search_sql). Not NOT NULL, for the same reason as match_static. Declared here, not
        # as an attribute, so that it stays out of the mapping without a deprecated exclusion.
        Column("search_vector", TSVECTOR, Computed(SEARCH_VECTOR_SQL, persisted=True)),
        # Free text: the stored vector, which the ranking reads too.
        Index(
            "ix_influencer_profiles_search_vector", "tenant_id", "search_vector", postgresql_using="gin"
        ).ddl_if(dialect="postgresql"),
        # Matching (migration 0010): a brief's niche, platform and language filters in one GIN scan
        # (the planner never ANDs two bitmaps whose conditions overlap, and all of the above lead
        # with tenant_id), and the brief-independent score as the key of a covering index, walked
        # best first or over a range without visiting the table when a brief keeps most profiles
        # (accepts_in_kind: a range can skip those whose budget term is too low; id: the order is
        # total, so a range can start right after the profiles a first statement read).
        Index(
            "ix_influencer_profiles_match_filters",
            "tenant_id",
            "niches",
            "platforms",
            "languages",
            postgresql_using="gin",
        ).ddl_if(dialect="postgresql"),
        Index(
            "ix_influencer_profiles_match",
            "tenant_id",
            "match_static",
            "accepts_in_kind",
            "id",
            postgresql_include=list(MATCH_COLUMNS),
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
    # The platform whose account gives the tier (its largest account there); None: the largest of all.
    tier_platform: Mapped[str | None] = mapped_column(String(20))
    # Derived, never typed in by the influencer.
    platforms: Mapped[list[str]] = mapped_column(StringList, nullable=False, default=list)
    followers: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tier: Mapped[str] = mapped_column(String(10), nullable=False, default="nano")
    engagement_rate: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    verified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The profile's user is suspended: a copy of users.suspended_at's being set, written with it by
    # services.moderation, so that a search leaves suspended users out by the profile's own column
    # rather than by a subquery on users that PostgreSQL planned in every search (migration 0013).
    owner_suspended: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )
    rating_avg: Mapped[float | None] = mapped_column(Float)
    rating_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fraud_risk: Mapped[float | None] = mapped_column(Float)
    fraud_reasons: Mapped[list | None] = mapped_column(JSONType)
    fraud_assessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Computed by the database from the columns above, never written: domain.matching's
    # brief-independent part, by which matching ranks a tenant's profiles (MATCH_STATIC_SQL). Never
    # NULL, but not declared NOT NULL: a table made LIKE this one (demo_data's COPY under row-level
    # security) would get the constraint without the expression.
    match_static: Mapped[float | None] = mapped_column(Float, Computed(MATCH_STATIC_SQL, persisted=True))


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
