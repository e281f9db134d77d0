"""Tenant resolution and the one mechanism that scopes every ORM query to the current tenant.

The current tenant lives in flask.g (request or job app context). A SQLAlchemy `do_orm_execute`
hook adds `tenant_id = current` to every SELECT, UPDATE and DELETE touching a TenantScoped model,
including lazy loads; a `before_flush` hook stamps tenant_id on new rows and refuses cross-tenant
writes. A tenant-scoped query with no tenant set raises rather than leaking every tenant's rows;
platform-level code (CLI, migrations checks) opts out explicitly with `unscoped()`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, g, has_app_context, request
from sqlalchemy import Connection, Engine, event, select, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from marketplace import rowcache
from marketplace.errors import NotFound, TenantNotFound, TenantRequired
from marketplace.extensions import db
from marketplace.models import Tenant, TenantScoped

T = TypeVar("T")
TENANT_HEADER = "X-Tenant"
_UNSCOPED = "marketplace_unscoped"
# /api/v1 paths that find their tenant themselves instead of reading X-Tenant: Stripe sends no
# such header; the webhook endpoints authenticate by signature and resolve the tenant from the event.
SELF_RESOLVING_PREFIXES: tuple[str, ...] = ("/api/v1/webhooks/stripe",)


class TenantScopeMissing(RuntimeError):
    """A tenant-scoped query ran with no tenant set: a programming error, never a 200."""


def current_tenant() -> Tenant:
    """The tenant of the current request or job; raises if none is set."""
    tenant = g.get("tenant") if has_app_context() else None
    if tenant is None:
        raise TenantScopeMissing("no tenant in context")
    if isinstance(tenant, rowcache.CachedTenant):  # made an ORM row on first use (rowcache.py)
        tenant = g.tenant = tenant.row()
    return tenant


def current_tenant_id() -> uuid.UUID | None:
    """The current tenant's id, or None outside any tenant."""
    if not has_app_context():
        return None
    return g.get("tenant_id")


def required_tenant_id() -> uuid.UUID:
    """The current tenant's id; raises if none is set (current_tenant without making its ORM row)."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantScopeMissing("no tenant in context")
    return tenant_id


def set_tenant(tenant: Tenant | rowcache.CachedTenant | None) -> None:
    """Make `tenant` the scope of every following query in this app context."""
    g.tenant = tenant
    g.tenant_id = tenant.id if tenant else None


@contextmanager
def tenant_scope(tenant_id: uuid.UUID) -> Iterator[Tenant]:
    """Run a block (a job, a CLI command) inside one tenant; restores the previous scope."""
    previous = g.get("tenant")
    tenant = db.session.execute(select(Tenant).where(Tenant.id == tenant_id)).scalar_one()
    set_tenant(tenant)
    try:
        yield tenant
    finally:
        set_tenant(previous)


def unscoped() -> dict[str, Any]:
    """Execution options that lift the tenant filter, for platform-level code only."""
    return {_UNSCOPED: True}


def resolve_tenant_from_request() -> None:
    """before_request hook: every /api/v1 request names its tenant in X-Tenant."""
    set_tenant(None)
    if not request.path.startswith("/api/v1/") or request.method == "OPTIONS":
        return
    if any(request.path == p or request.path.startswith(p + "/") for p in SELF_RESOLVING_PREFIXES):
        return
    slug = request.headers.get(TENANT_HEADER, "").strip().lower()
    if not slug:
        raise TenantRequired(f"Send the {TENANT_HEADER} header with your marketplace's slug.")
    # Cached per process, checked against the tenants' version in Redis (marketplace/rowcache.py).
    tenant = rowcache.request_tenant(slug)
    if tenant is None:
        raise TenantNotFound(f"No marketplace is called {slug!r}.")
    set_tenant(tenant)


def get_or_404(model: type[T], object_id: Any, *, for_update: bool = False) -> T:
    """Load one tenant-scoped object by id; unknown ids and other tenants' ids both give 404."""
    try:
        key = object_id if isinstance(object_id, uuid.UUID) else uuid.UUID(str(object_id))
    except ValueError:
        raise NotFound(f"No such {model.__name__.lower()}.") from None
    stmt = select(model).where(model.id == key)  # type: ignore[attr-defined]
    if for_update:
        stmt = stmt.with_for_update()
    obj = db.session.execute(stmt).scalar_one_or_none()
    if obj is None:
        raise NotFound(f"No such {_readable(model)}.")
    return obj


def _readable(model: type) -> str:
    return getattr(model, "__readable_name__", model.__name__.lower())


@functools.cache
def _tenant_tables() -> frozenset[str]:
    # Computed once: every model is mapped when marketplace.models is imported (above), and the
    # set is consulted on every tenant-less statement (the X-Tenant lookup, webhooks, sweeps).
    return frozenset(
        m.local_table.name for m in db.Model.registry.mappers if issubclass(m.class_, TenantScoped)
    )


def _scope_orm_execute(state: ORMExecuteState) -> None:
    sync_session_tenant(state.session)
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(_UNSCOPED):
        return
    tenant_id = current_tenant_id()
    if tenant_id is None:
        # all_mappers misses entities named only in select_from(); look at the tables themselves.
        touched = {t.name for t in find_tables(state.statement, include_crud=True)} & _tenant_tables()
        if touched:
            raise TenantScopeMissing(f"query on {sorted(touched)} outside a tenant; use tenant_scope()")
        return
    # Always add the criteria: it is a no-op for statements without tenant-scoped entities. Not
    # propagated to the loaded objects: lazy loads and refreshes pass through this hook and get the
    # criteria here; propagated, each refresh of an object would add one more copy to it (a long
    # job's session refreshing the same rows grew slower with every commit).
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantScoped,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,
            propagate_to_loaders=False,
        )
    )


def _stamp_tenant_on_flush(session: Session, flush_context: Any, instances: Any) -> None:
    sync_session_tenant(session)
    tenant_id = current_tenant_id()
    for obj in session.new:
        if not isinstance(obj, TenantScoped):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenantScopeMissing(f"new {type(obj).__name__} outside a tenant")
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantScopeMissing(f"new {type(obj).__name__} for another tenant")
    for obj in session.dirty:
        if isinstance(obj, TenantScoped) and tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantScopeMissing(f"write to another tenant's {type(obj).__name__}")


# PostgreSQL row-level security, the second wall (migration 0011, docs/tenancy.md): every
# tenant-owned table's policy admits only rows whose tenant_id is the transaction's `app.tenant_id`.
# The setting is transaction-local (set_config(..., true)): it is set when a transaction begins
# in a tenant, and again whenever the tenant changes inside one (tenant_scope, set_tenant); it
# vanishes at COMMIT/ROLLBACK, so a pooled connection never carries one tenant into the next.
_SET_DB_TENANT = text("SELECT set_config('app.tenant_id', :tenant, true)")
# The same setting as the first statement of a multi-statement message (dbpool.run_autocommit),
# which PostgreSQL runs as one implicit transaction: the tenant holds for the statements after it and
# ends with them. There it is a SET LOCAL, its value quoted by psycopg's ClientCursor: a utility
# statement, with no plan to make and no row to send back (PostgreSQL 13 % less CPU a search than
# with the SELECT of set_config). SET LOCAL takes no bound parameter, hence the SELECT elsewhere.
TENANT_PARAMETER = "rls_tenant"
SET_TENANT_SQL = f"SET LOCAL app.tenant_id = %({TENANT_PARAMETER})s"
_DB_TENANT_KEY = "marketplace_db_tenant"


def set_db_tenant(connection: Connection, tenant_id: uuid.UUID | None) -> None:
    """Make `tenant_id` the row-level-security tenant of the connection's current transaction."""
    if connection.dialect.name != "postgresql":
        return
    connection.execute(_SET_DB_TENANT, {"tenant": str(tenant_id) if tenant_id else ""})
    connection.info[_DB_TENANT_KEY] = tenant_id


def _on_begin(connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    tenant_id = current_tenant_id()
    connection.info[_DB_TENANT_KEY] = None  # a new transaction starts with no tenant
    if tenant_id is not None:
        set_db_tenant(connection, tenant_id)


def sync_session_tenant(session: Session) -> None:
    """Bring the open transaction's database tenant in line with the current tenant."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    connection = session.connection()  # begins the transaction (and sets the tenant) if none is open
    if connection.info.get(_DB_TENANT_KEY) != current_tenant_id():
        set_db_tenant(connection, current_tenant_id())


_listening = False


def init_app(app: Flask) -> None:
    """Install the tenant resolver and the session hooks (once per process)."""
    global _listening
    app.before_request(resolve_tenant_from_request)
    if not _listening:
        event.listen(Session, "do_orm_execute", _scope_orm_execute)
        event.listen(Session, "before_flush", _stamp_tenant_on_flush)
        event.listen(Engine, "begin", _on_begin)
        _listening = True
