"""Column helpers and the TenantScoped mixin every tenant-owned model inherits."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, ForeignKeyConstraint, String, TypeDecorator, Uuid
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

# JSONB on PostgreSQL (indexable), plain JSON on SQLite.
JSONType = JSON().with_variant(JSONB(), "postgresql")


# A list of short strings (niches, languages, platforms): text[] on PostgreSQL (GIN-indexable,
# `&&` overlap), a JSON array on SQLite. marketplace.services.search builds the dialect's filter.
StringList = JSON().with_variant(ARRAY(String(40)), "postgresql")


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


def render_migration_type(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: write our column types as plain SQLAlchemy types in migration files."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


class IdMixin:
    """A UUID primary key: ids reveal neither counts nor order across tenants."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """created_at and updated_at, set by the application in UTC."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class TenantScoped(TimestampMixin):
    """Marks a model as owned by a tenant.

    marketplace.tenancy adds `tenant_id = <current tenant>` to every ORM query of a subclass and
    fills tenant_id on insert, so no route or job can forget the wall. The primary key is
    (tenant_id, id), every unique constraint and index starts with tenant_id, and foreign keys
    between tenant-owned tables carry tenant_id (see `tenant_fk`): the schema can be distributed
    by tenant (Citus), and a row can never point at another tenant's row, even by mistake.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        return mapped_column(
            Uuid, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, sort_order=-20
        )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4, sort_order=-10)


def tenant_fk(columns: str | list[str], target: str, **kwargs: Any) -> ForeignKeyConstraint:
    """A foreign key to another tenant-owned table, through (tenant_id, <column>) -> (tenant_id, id).

    Args:
        columns: the local id column(s) pointing at `target`'s id.
        target: the referenced table name.
        kwargs: passed to ForeignKeyConstraint (ondelete=...).
    """
    local = [columns] if isinstance(columns, str) else columns
    return ForeignKeyConstraint(["tenant_id", *local], [f"{target}.tenant_id", f"{target}.id"], **kwargs)


def as_dict(obj: Any, *fields: str) -> dict[str, Any]:
    """Pick attributes off a model, for audit snapshots and job results."""
    return {name: getattr(obj, name) for name in fields}
