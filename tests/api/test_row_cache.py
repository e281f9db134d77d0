"""The per-process caches of tenants and users (marketplace/rowcache.py): used, and never stale.

Across processes: tests/reliability/test_row_caches.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import event

from marketplace import rowcache
from marketplace.extensions import db
from tests.factories import make_caller, make_tenant


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL the app sends to the database inside the block."""
    sent: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def _reads_of(sent: list[str], table: str) -> list[str]:
    """Statements reading `table` itself (not as a part of the search, which leaves suspended users out)."""
    return [s for s in sent if ("FROM " + table) in s.replace("\n", " ") and "influencer_profiles" not in s]


def test_a_warm_request_reads_neither_the_tenant_nor_the_user(app: Flask, client: FlaskClient) -> None:
    """Once cached, X-Tenant and the bearer token cost no query: the view's own reads are the request's
    only ones (an ORM read here: the search itself skips the session, services/one_message.py)."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    assert brand.get("/api/v1/offers").status_code == 200  # loads and caches both rows
    with statements(app) as sent:
        answer = brand.get("/api/v1/offers")
    assert answer.status_code == 200
    assert _reads_of(sent, "tenants") == [] and _reads_of(sent, "users") == []
    assert [s for s in sent if "FROM offers" in s], sent


def test_a_stale_version_is_never_taken_for_a_current_one(
    app: Flask, client: FlaskClient, redis_client: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change whose version could not be replaced (Redis down after the commit), then Redis restarting
    empty: the cached row is not served, since versions are random tokens, never reused counters."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    assert admin.get("/api/v1/admin/tenant").get_json()["review_window_days"] == 7
    monkeypatch.setattr(rowcache, "bump", lambda keys: None)  # Redis gone right after the commit
    assert admin.patch("/api/v1/admin/tenant", json={"review_window_days": 9}).status_code == 200
    monkeypatch.undo()
    redis_client.flushdb()  # Redis restarted empty: no version at all
    with statements(app) as sent:
        assert admin.get("/api/v1/admin/tenant").get_json()["review_window_days"] == 9
    assert _reads_of(sent, "tenants")  # reloaded, not served from the cache


def test_a_suspension_refuses_the_next_request_of_a_cached_user(app: Flask, client: FlaskClient) -> None:
    """The user row is cached, and a suspension still refuses the very next request."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    brand = make_caller(app, client, "alpha", role="brand")
    assert brand.get("/api/v1/me").status_code == 200
    with statements(app) as sent:
        assert brand.get("/api/v1/me").status_code == 200
    assert _reads_of(sent, "users") == []  # served from the cache
    assert admin.post(f"/api/v1/admin/users/{brand.user_id}/suspend", json={"reason": "x"}).status_code == 200
    refused = brand.get("/api/v1/me")
    assert refused.status_code == 403
    assert refused.get_json()["type"] == "urn:marketplace:problem:account-suspended"


def test_password_hashes_stay_out_of_the_cache(app: Flask, client: FlaskClient) -> None:
    """The cached user has no password hash; reading it loads it from the database."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    assert brand.get("/api/v1/me").status_code == 200
    cached = app.extensions["marketplace.rowcache"].users._entries
    assert cached and all("password_hash" not in values for _, _, values in cached.values())
    assert all("role" in values and "suspended_at" in values for _, _, values in cached.values())


def test_a_warm_request_makes_orm_rows_only_for_the_views_that_ask(app: Flask, client: FlaskClient) -> None:
    """From the cache, the tenant and the caller arrive as their cached values (id, role, suspension at
    hand); current_tenant() and current_user() turn them into detached ORM rows once, on first use."""
    from flask import g
    from sqlalchemy import inspect

    from marketplace.api.access import authenticate, current_caller, current_user
    from marketplace.models import Tenant, User
    from marketplace.tenancy import current_tenant, current_tenant_id, resolve_tenant_from_request

    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    assert brand.get("/api/v1/me").status_code == 200  # caches both rows
    with app.test_request_context("/api/v1/influencers", headers=brand.headers):
        resolve_tenant_from_request()
        assert isinstance(g.tenant, rowcache.CachedTenant)
        assert authenticate().role == "brand"
        caller = current_caller()
        assert isinstance(caller, rowcache.CachedUser) and str(caller.id) == brand.user_id
        assert not caller.is_suspended and current_tenant_id() == g.tenant.id
        user = current_user()
        assert isinstance(user, User) and inspect(user).detached and str(user.id) == brand.user_id
        assert current_user() is user and current_caller() is user  # made once
        tenant = current_tenant()
        assert isinstance(tenant, Tenant) and inspect(tenant).detached and tenant.slug == "alpha"
        assert current_tenant() is tenant
