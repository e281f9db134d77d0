"""Fixtures: one app on a fresh PostgreSQL schema (built by the migrations), Redis db flushed per test."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from redis import Redis
from sqlalchemy import text
from werkzeug.serving import make_server

from marketplace import create_app
from marketplace.extensions import db
from workers.runtime import bind_app

DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/marketplace_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
STRIPE_API_BASE = os.environ.get("TEST_STRIPE_API_BASE", "http://127.0.0.1:8420")


def _ensure_database(url: str) -> None:
    """Create the test database when it does not exist (CI creates a fresh one itself)."""
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app under test, its schema built from scratch by the Alembic migrations."""
    _ensure_database(DATABASE_URL)
    instance = tmp_path_factory.mktemp("instance")
    application = create_app(
        {
            "env": "test",
            "secret_key": "test-secret-key-that-is-long-enough-for-hs256",
            "database_url": DATABASE_URL,
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
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
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
    with app.app_context():
        tables = ", ".join(f'"{t.name}"' for t in reversed(db.metadata.sorted_tables))
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
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
