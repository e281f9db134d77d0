"""AuditEntry: an append-only record of every admin action."""

from __future__ import annotations

import uuid

from sqlalchemy import Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db
from marketplace.models.base import JSONType, TenantScoped, tenant_fk


class AuditEntry(TenantScoped, db.Model):
    """Who did what to which object, with the state before and after, and the request it came from.

    Rows are only ever inserted: the service exposes no update or delete, and on PostgreSQL a trigger
    refuses UPDATE and DELETE on the table (migration 0005).
    """

    __tablename__ = "audit_log"
    __table_args__ = (
        tenant_fk("actor_id", "users"),
        Index("ix_audit_log_tenant_created", "tenant_id", "created_at", "id"),
        Index("ix_audit_log_tenant_target", "tenant_id", "target_type", "target_id"),
        Index("ix_audit_log_tenant_actor", "tenant_id", "actor_id", "created_at"),
    )

    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(60), nullable=False)
    target_type: Mapped[str] = mapped_column(String(40), nullable=False)
    target_id: Mapped[str] = mapped_column(String(64), nullable=False)
    before: Mapped[dict | None] = mapped_column(JSONType)
    after: Mapped[dict | None] = mapped_column(JSONType)
    request_id: Mapped[str | None] = mapped_column(String(64))
