"""Pooled connections that PostgreSQL closed (a restart, a failover): replaced before use when they sat
idle, a 503 problem (not a 500) for the one request that meets a dead one, then service again."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from marketplace import dbpool
from marketplace.config import sqlalchemy_url
from marketplace.extensions import db
from tests.conftest import DATABASE_URL
from tests.factories import make_caller, make_tenant


@pytest.fixture(autouse=True)
def fresh_pool(app: Flask) -> Iterator[None]:
    """These tests kill the pool's connections: no test, before or after, may inherit a dead one."""
    with app.app_context():
        db.engine.dispose()
    yield
    with app.app_context():
        db.engine.dispose()


def _terminate_backends(database: str, role: str) -> int:
    """As the superuser: close every connection `role` holds to `database`, as a restart would."""
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        return len(
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND usename = %s AND pid <> pg_backend_pid()",
                (database, role),
            ).fetchall()
        )


def test_an_idle_dead_connection_is_replaced_before_use(app: Flask) -> None:
    """A pooled connection idle past DB_PING_IDLE_SECONDS is pinged at checkout; a dead one is replaced."""
    url = make_url(sqlalchemy_url(app.config["MARKETPLACE"].database_url))
    engine = create_engine(url, pool_size=1, max_overflow=0)
    dbpool.install(engine, idle_seconds=0)  # every checkout counts as idle here
    try:
        with engine.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        assert _terminate_backends(url.database, url.username) >= 1
        with engine.connect() as conn:  # the dead one is dropped by the ping, a new one answers
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    finally:
        engine.dispose()


def test_a_request_meeting_a_dead_connection_is_a_503_and_the_next_one_works(
    app: Flask, client: FlaskClient
) -> None:
    """Connections used a moment ago are not pinged: the request that finds one dead answers 503 with
    Retry-After, the pool is invalidated, and the following request gets a fresh connection."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    assert brand.get("/api/v1/influencers").status_code == 200
    with app.app_context():
        url = db.engine.url
    assert _terminate_backends(url.database, url.username) >= 1
    refused = brand.get("/api/v1/influencers")  # the pooled connection it takes is dead
    assert refused.status_code == 503, refused.get_json()
    assert refused.mimetype == "application/problem+json" and refused.headers["Retry-After"]
    assert refused.get_json()["type"] == "urn:marketplace:problem:service-unavailable"
    assert [brand.get("/api/v1/influencers").status_code for _ in range(3)] == [200, 200, 200]
