"""Fixtures: one app on a fresh PostgreSQL schema (built by the migrations), Redis db flushed per test."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from workers.runtime import bind_app

# A superuser's URL: it creates the database and the two roles. The migrations run as the owner role,
# the app (and every child process of the tests) as the app role, under row-level security.
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/marketplace_test")
OWNER_ROLE, APP_ROLE = "marketplace_owner", "marketplace_app"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STRIPE_API_BASE = os.environ.get("TEST_STRIPE_API_BASE", "http://127.0.0.1:8420")


def _ensure_database(url: str) -> None:
    """Create the test database when it does not exist (CI creates a fresh one itself)."""
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def as_role(url: str, role: str) -> str:
    """The same database reached as another role (trust authentication on the test machine)."""
    return make_url(url).set(username=role, password=None).render_as_string(hide_password=False)


def load_migration(filename: str) -> Any:
    """A migration of migrations/versions as a module (its statements, run by tests as they need)."""
    return load_script(f"migrations/versions/{filename}")


def load_script(relative_path: str) -> Any:
    """A Python file of the repository that is not in a package (a migration, a .ci script) as a module."""
    path = Path(__file__).resolve().parents[1] / relative_path
    spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _prepare_roles_and_schema(url: str) -> None:
    """As the superuser: the owner and app roles, and an empty public schema owned by the owner.

    Roles are cluster-wide and other runs may create them at the same moment: a duplicate is fine.
    """
    name = make_url(url).database
    with psycopg.connect(url, autocommit=True) as conn:
        for role, attributes in (
            (OWNER_ROLE, "LOGIN NOSUPERUSER NOCREATEROLE NOBYPASSRLS"),
            (APP_ROLE, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"),
        ):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                with contextlib.suppress(psycopg.errors.DuplicateObject):
                    conn.execute(f"CREATE ROLE {role} {attributes}")
            conn.execute(f"ALTER ROLE {role} {attributes}")
        conn.execute(f'GRANT CREATE, CONNECT, TEMPORARY ON DATABASE "{name}" TO {OWNER_ROLE}')
        conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO {APP_ROLE}')
        # The operator's once-per-database step of migration 0011 (index use under the policies).
        conn.execute(load_migration("0011_row_level_security.py").LEAKPROOF_SQL)
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute(f"CREATE SCHEMA public AUTHORIZATION {OWNER_ROLE}")
        conn.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app under test as the app role, its schema built from scratch by the migrations as the owner."""
    _ensure_database(DATABASE_URL)
    _prepare_roles_and_schema(DATABASE_URL)
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        {
            "env": "test",
            "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
            "database_url": as_role(DATABASE_URL, APP_ROLE),
            "migration_database_url": as_role(DATABASE_URL, OWNER_ROLE),
            "redis_url": REDIS_URL,
            "stripe_api_base": STRIPE_API_BASE,
            "auth_rate_limit": "1000/minute",
            "mutation_rate_limit": "100000/minute",
            "instance_dir": str(instance),
            "storage_dir": str(instance / "storage"),
            "log_level": "WARNING",
        }
    )
    with application.app_context():
        upgrade()
        db.session.remove()
    bind_app(application)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def clean_state(app: Flask, redis_client: Redis) -> Iterator[None]:
    """Every test starts with empty tables and an empty Redis database."""
    redis_client.flushdb()
    tables = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
    # As the owner: the app's role may not TRUNCATE (nor could it see every tenant's rows).
    with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield


@pytest.fixture(scope="session")
def redis_client() -> Redis:
    """The test Redis database."""
    return Redis.from_url(REDIS_URL)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client; each request gets its own app context and session."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    """A CLI runner for the app's commands."""
    return app.test_cli_runner()


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP by werkzeug on a free loopback port, in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
