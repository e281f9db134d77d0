"""Shared setup of the PostgreSQL benchmarks: the database, its schema and generated tenants.

The database (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/marketplace_bench) is
created when missing and migrated with Alembic; tenants are generated once and reused by later runs
(a tenant with fewer generated influencers than asked is topped up, deterministically).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.engine import make_url

from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import Tenant, User
from marketplace.services import auth
from marketplace.services.demo_data import generate_influencers, generated_influencer_count
from marketplace.services.tenants import create_tenant
from marketplace.tenancy import tenant_scope

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/marketplace_bench"
ADMIN_PASSWORD = "Quick-Search-2026!"  # noqa: S105 - a local benchmark database only
TABLES = ("users", "influencer_profiles", "social_accounts", "metric_snapshots", "rate_prices")


def database_url() -> str:
    """The benchmark database URL."""
    return os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)


def _ensure_database(url: str) -> None:
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}", file=sys.stderr)


APP_ROLE = "marketplace_app"


def app_role_url(url: str | None = None) -> str:
    """The benchmark database as the app's role, which row-level security applies to (as in production).

    BENCH_AS_OWNER=1 measures as the URL's own role instead (a superuser or the owner: no policies).
    """
    url = url or database_url()
    if os.environ.get("BENCH_AS_OWNER") == "1":
        return url
    return make_url(url).set(username=APP_ROLE, password=None).render_as_string(hide_password=False)


def _app_role_can_log_in(url: str) -> None:
    # Migration 0011 creates the role NOLOGIN when missing; the benchmark machine uses trust auth.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {APP_ROLE} LOGIN")
        # The operator's once-per-database step of migration 0011 (its upgrade does it only when a
        # superuser runs it): without LEAKPROOF array operators the niche, platform and language
        # filters cannot use their GIN indexes under row-level security.
        if conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()[0]:
            conn.execute(_row_level_security_migration().LEAKPROOF_SQL)


def _row_level_security_migration() -> Any:
    path = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "0011_row_level_security.py"
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def bench_app(url: str | None = None) -> Flask:
    """The app on the benchmark database as the app's role, schema migrated to head by the URL's role."""
    url = url or database_url()
    _ensure_database(url)
    instance = tempfile.mkdtemp(prefix="bench-instance-")
    app = create_app(
        {
            "env": "development",
            "database_url": app_role_url(url),
            "migration_database_url": url,
            "redis_url": None,
            "log_level": "WARNING",
            "instance_dir": instance,
            "storage_dir": f"{instance}/storage",
        }
    )
    with app.app_context():
        upgrade()
        db.session.remove()
    _app_role_can_log_in(url)
    return app


def _print_progress(label: str) -> Any:
    started = time.perf_counter()

    def show(done: int, total: int) -> None:
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed else 0.0
        print(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f}/s, {elapsed:,.0f} s)", end="", file=sys.stderr)
        if done >= total:
            print(file=sys.stderr)

    return show


def ensure_tenant(app: Flask, slug: str, count: int, seed: int, *, at_least: bool = False) -> dict[str, Any]:
    """A tenant with `count` generated influencers (or more, with at_least), topped up when short."""
    with app.app_context():
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
        if tenant is None:
            tenant = create_tenant(slug, f"Benchmark {slug}", "EUR")
        tenant_id = tenant.id
        have = generated_influencer_count(tenant_id)
        if have > count and at_least:
            count = have
        if have > count:
            raise SystemExit(f"{slug} has {have:,} generated influencers, not {count:,}: drop the tenant")
        figures: dict[str, Any] = {"tenant": slug, "influencers": count, "generated_now": count - have}
        if have < count:
            print(f"generating {count - have:,} influencers in {slug} (seed {seed})", file=sys.stderr)
            summary = generate_influencers(tenant_id, count - have, seed=seed, progress=_print_progress(slug))
            figures["generation_seconds"] = summary.seconds
            figures["rows"] = summary.rows
            vacuum_analyze()
        ensure_admin(tenant_id)
        figures["tenant_id"] = str(tenant_id)
        return figures


def ensure_admin(tenant_id: uuid.UUID) -> User:
    """The tenant's benchmark admin (the viewer of searches)."""
    with tenant_scope(tenant_id) as tenant:
        email = f"admin@{tenant.slug}.bench"
        user = db.session.execute(select(User).where(User.email == email)).scalar_one_or_none()
        if user is None:
            user = auth.create_admin(tenant, email, ADMIN_PASSWORD, "Benchmark admin")
        return user


def vacuum_analyze() -> None:
    """VACUUM ANALYZE the generated tables: fresh statistics, visibility map, GIN pending lists merged."""
    started = time.perf_counter()
    url = database_url()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"VACUUM ANALYZE {table}")
    print(f"  vacuum analyze: {time.perf_counter() - started:.1f} s", file=sys.stderr)


def environment() -> dict[str, Any]:
    """Where the figures were measured."""
    with psycopg.connect(database_url()) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        settings = dict(
            conn.execute(
                "SELECT name, setting || coalesce(unit, '') FROM pg_settings "
                "WHERE name IN ('shared_buffers', 'work_mem', 'effective_cache_size', 'jit', "
                "'max_parallel_workers_per_gather')"
            ).fetchall()
        )
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "postgresql": server,
        "postgresql_settings": settings,
    }
