"""Brand aggregate: an organisation, its members and the influencers it excludes."""

from __future__ import annotations

import uuid

from sqlalchemy import String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import TenantScoped, tenant_fk

MEMBER_ROLES = ("owner", "member")


class Brand(TenantScoped, db.Model):
    """An organisation that posts campaigns."""

    __tablename__ = "brands"

    name: Mapped[str] = mapped_column(String(200), nullable=False)
    website: Mapped[str | None] = mapped_column(String(500))
    industry: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))


class BrandMember(TenantScoped, db.Model):
    """A user acting for a brand, as owner or member."""

    __tablename__ = "brand_members"
    __table_args__ = (
        UniqueConstraint("tenant_id", "brand_id", "user_id"),
        tenant_fk("brand_id", "brands", ondelete="CASCADE"),
        tenant_fk("user_id", "users"),
    )

    brand_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    role: Mapped[str] = mapped_column(String(10), nullable=False, default="member")


class BrandExclusion(TenantScoped, db.Model):
    """An influencer the brand will never work with."""

    __tablename__ = "brand_exclusions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "brand_id", "profile_id"),
        tenant_fk("brand_id", "brands", ondelete="CASCADE"),
        tenant_fk("profile_id", "influencer_profiles", ondelete="CASCADE"),
    )

    brand_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    profile_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    reason: Mapped[str | None] = mapped_column(String(500))
