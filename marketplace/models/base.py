"""Column helpers and the TenantScoped mixin every tenant-owned model inherits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# JSONB on PostgreSQL (indexable), plain JSON on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator):
    """timestamptz on PostgreSQL; on SQLite (which drops the offset) values come back as UTC too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type:
        """Values are datetimes (TypeDecorator does not pass this through)."""
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are refused; use UTC-aware ones")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every stored time is UTC."""
    return datetime.now(UTC)


class IdMixin:
    """A UUID primary key: ids reveal neither counts nor order across tenants."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """created_at and updated_at, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class TenantScoped(IdMixin, TimestampMixin):
    """Marks a model as owned by a tenant.

    marketplace.tenancy adds `tenant_id = <current tenant>` to every ORM query of a subclass and
    fills tenant_id on insert, so no route or job can forget the wall. Indexes and unique constraints
    of subclasses start with tenant_id (Citus-ready: shard by tenant).
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False, index=True)


def as_dict(obj: Any, *fields: str) -> dict[str, Any]:
    """Pick attributes off a model, for audit snapshots and job results."""
    return {name: getattr(obj, name) for name in fields}
