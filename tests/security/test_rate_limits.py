"""The mutation budget: every POST/PUT/PATCH/DELETE under /api/v1 counts, per tenant and client address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from flask_limiter.util import get_qualified_name

from marketplace.extensions import MUTATING_METHODS, limiter
from tests.factories import Caller, make_brand, make_caller, make_tenant

PROBLEM = "application/problem+json"


@contextmanager
def mutation_limit(app: Flask, limit: str) -> Iterator[None]:
    """Lower the write budget inside the block (the suite runs with a high one); a new limit, a new count."""
    settings = app.config["MARKETPLACE"]
    previous, settings.mutation_rate_limit = settings.mutation_rate_limit, limit
    try:
        yield
    finally:
        settings.mutation_rate_limit = previous


def _create_brand(caller: Caller, name: str) -> int:
    return caller.post("/api/v1/brands", json={"name": name, "industry": "food", "country": "FR"}).status_code


def test_mutations_over_the_limit_answer_429_problem_json(app: Flask, client: FlaskClient) -> None:
    """The fourth write in a minute answers 429 problem+json with Retry-After and the request id."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", "brand")
    with mutation_limit(app, "3/minute"):
        statuses = [_create_brand(brand, f"Brand {n}") for n in range(3)]
        limited = brand.post("/api/v1/brands", json={"name": "Too many", "industry": "food", "country": "FR"})
        read = brand.get("/api/v1/me")
    assert statuses == [201, 201, 201]
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    body = limited.get_json()
    assert body["type"] == "urn:marketplace:problem:rate-limited"
    assert body["request_id"] and limited.headers["X-Request-ID"] == body["request_id"]
    assert int(limited.headers["Retry-After"]) > 0
    assert read.status_code == 200, "reads are not part of the write budget"


def test_every_mutating_method_spends_the_same_budget(app: Flask, client: FlaskClient) -> None:
    """PUT, PATCH and POST on different endpoints draw on one budget per tenant and client."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    with mutation_limit(app, "3/minute"):
        spent = [
            brand.patch(f"/api/v1/brands/{brand.brand_id}", json={"name": "Renamed"}).status_code,
            brand.client.put("/api/v1/influencers/me", json={}, headers=brand.headers).status_code,
            brand.post("/api/v1/me/export").status_code,
        ]
        limited = brand.post("/api/v1/auth/logout", json={})
    assert 429 not in spent, spent
    assert limited.status_code == 429


def test_the_budget_is_per_tenant_and_stripe_webhooks_are_exempt(app: Flask, client: FlaskClient) -> None:
    """Another tenant keeps its own budget, and Stripe's signed webhooks are never rate-limited."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    alpha = make_caller(app, client, "alpha", "brand")
    beta = make_caller(app, client, "beta", "brand")
    with mutation_limit(app, "3/minute"):
        alpha_statuses = [_create_brand(alpha, f"Alpha {n}") for n in range(4)]
        beta_status = _create_brand(beta, "Beta 1")
        webhooks = [
            client.post(path, data=b"{}", headers={"Stripe-Signature": "t=1,v1=bad", "X-Tenant": "alpha"})
            for path in ("/api/v1/webhooks/stripe", "/api/v1/webhooks/stripe/alpha")
            for _ in range(5)
        ]
    assert alpha_statuses == [201, 201, 201, 429]
    assert beta_status == 201
    assert {answer.status_code for answer in webhooks} == {400}, "refused for the signature, never for a rate"


def test_routes_with_their_own_limit_take_writes_only(app: Flask, client: FlaskClient) -> None:
    """Reads skip the limiter (extensions.limiter's request filter): that holds while every route limit is on
    a route that accepts mutating methods only, and reads are never throttled however low the budget."""
    limited = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            name = get_qualified_name(app.view_functions[rule.endpoint])
            if limiter.limit_manager.decorated_limits(name):
                limited.append(rule.rule)
                assert rule.methods is not None
                assert set(rule.methods) - {"HEAD", "OPTIONS"} <= MUTATING_METHODS, rule.rule
    assert "/api/v1/auth/login" in limited
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", role="brand")
    with mutation_limit(app, "1/minute"):
        assert all(brand.get("/api/v1/influencers").status_code == 200 for _ in range(3))
