"""User: a person who logs into one tenant as influencer, brand member or admin."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Enum, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import TenantScoped, UTCDateTime

ROLES = ("influencer", "brand", "admin")


class User(TenantScoped, db.Model):
    """A login within one tenant; the same email may exist in another tenant as another user."""

    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("tenant_id", "email"),
        # Matching and search exclude suspended users: a small set, found through this partial index.
        Index(
            "ix_users_tenant_suspended",
            "tenant_id",
            postgresql_where=text("suspended_at IS NOT NULL"),
            sqlite_where=text("suspended_at IS NOT NULL"),
        ),
    )

    email: Mapped[str] = mapped_column(String(320), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[str] = mapped_column(Enum(*ROLES, name="user_role", native_enum=False), nullable=False)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the password was last set by a reset: the version refresh tokens carry (services/auth.py).
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_suspended(self) -> bool:
        """Suspended users cannot log in or act."""
        return self.suspended_at is not None
