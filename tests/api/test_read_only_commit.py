"""Requests that only read end their transaction with COMMIT, so psycopg keeps its prepared statements
(a ROLLBACK makes it forget them); anything else is still rolled back (marketplace/dbpool.py)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from marketplace.extensions import db
from marketplace.models import Tenant
from tests.factories import make_caller, make_tenant


def _prepared_campaign_lists(app: Flask) -> int:
    with app.app_context(), db.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT count(*) FROM pg_prepared_statements WHERE strpos(statement, 'FROM campaigns') > 0"
        ).scalar_one()


def test_read_only_requests_keep_the_connections_prepared_statements(app: Flask, client: FlaskClient) -> None:
    """The same read, repeated on every pooled connection past psycopg's threshold, ends up prepared."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    with app.app_context():
        idle = db.engine.pool.checkedin()
    for _ in range(6 * (idle + 1)):  # sequential requests take the pooled connections in turn
        assert brand.get("/api/v1/campaigns").status_code == 200
    assert _prepared_campaign_lists(app) >= 1


def test_flushed_but_uncommitted_writes_are_still_rolled_back(app: Flask) -> None:
    """A flushed INSERT the code never committed is discarded when the context ends."""
    with app.app_context():
        db.session.add(Tenant(slug="ghost", name="Never committed"))
        db.session.flush()
    with app.app_context():
        assert db.session.execute(select(func.count()).select_from(Tenant)).scalar_one() == 0


def test_a_failed_statement_leaves_the_transaction_to_the_rollback(app: Flask) -> None:
    """After an error the context still ends cleanly, and the next one works."""
    with app.app_context(), pytest.raises(DBAPIError):
        db.session.execute(text("SELECT 1 / 0"))
    with app.app_context():
        assert db.session.execute(text("SELECT 1")).scalar_one() == 1
