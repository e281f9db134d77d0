"""Notification: an in-app message to one user (and an email when SMTP is configured)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, UTCDateTime, tenant_fk


class Notification(TenantScoped, db.Model):
    """Something happened that a user should know about."""

    __tablename__ = "notifications"
    __table_args__ = (
        tenant_fk("user_id", "users"),
        Index("ix_notifications_tenant_user_created", "tenant_id", "user_id", "created_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    payload: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
