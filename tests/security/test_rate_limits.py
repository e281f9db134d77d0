"""The mutation budget: every POST/PUT/PATCH/DELETE under /api/v1 counts, per tenant and client address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Caller, make_caller, make_tenant

PROBLEM = "application/problem+json"


@pytest.fixture
def low_mutation_limit(app: Flask) -> Iterator[None]:
    """Three writes a minute for the duration of one test (the suite otherwise runs with a high limit)."""
    settings = app.config["MARKETPLACE"]
    previous, settings.mutation_rate_limit = settings.mutation_rate_limit, "3/minute"
    try:
        yield
    finally:
        settings.mutation_rate_limit = previous


def _create_brand(caller: Caller, name: str) -> int:
    return caller.post("/api/v1/brands", json={"name": name, "industry": "food", "country": "FR"}).status_code


def test_mutations_over_the_limit_answer_429_problem_json(
    app: Flask, client: FlaskClient, low_mutation_limit: None
) -> None:
    """The fourth write in a minute answers 429 problem+json with Retry-After and the request id."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", "brand")
    statuses = [_create_brand(brand, f"Brand {n}") for n in range(3)]
    limited = brand.post("/api/v1/brands", json={"name": "One too many", "industry": "food", "country": "FR"})
    assert statuses == [201, 201, 201]
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    body = limited.get_json()
    assert body["type"] == "urn:marketplace:problem:rate-limited"
    assert body["request_id"] and limited.headers["X-Request-ID"] == body["request_id"]
    assert int(limited.headers["Retry-After"]) > 0
    # Reads are not part of the write budget.
    assert brand.get("/api/v1/me").status_code == 200


def test_every_mutating_method_spends_the_same_budget(
    app: Flask, client: FlaskClient, low_mutation_limit: None
) -> None:
    """PUT, PATCH and POST draw on one budget per tenant and client, whatever the endpoint."""
    make_tenant(app, "alpha")
    influencer = make_caller(app, client, "influencer" and "alpha", "influencer")
    spent = [
        influencer.put("/api/v1/influencers/me", json={}).status_code,
        influencer.patch("/api/v1/influencers/me", json={}).status_code,
        influencer.post("/api/v1/auth/logout", json={}).status_code,
    ]
    assert 429 not in spent
    assert influencer.post("/api/v1/me/export").status_code == 429


def test_the_budget_is_per_tenant_and_stripe_webhooks_are_exempt(
    app: Flask, client: FlaskClient, low_mutation_limit: None
) -> None:
    """Another tenant keeps its own budget, and Stripe's signed webhooks are never rate-limited."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    alpha = make_caller(app, client, "alpha", "brand")
    for n in range(3):
        _create_brand(alpha, f"Alpha {n}")
    assert _create_brand(alpha, "Alpha over") == 429
    beta = make_caller(app, client, "beta", "brand")
    assert _create_brand(beta, "Beta 1") == 201
    for path in ("/api/v1/webhooks/stripe", "/api/v1/webhooks/stripe/alpha"):
        for _ in range(5):
            answer = client.post(
                path, data=b"{}", headers={"Stripe-Signature": "t=1,v1=bad", "X-Tenant": "alpha"}
            )
            assert answer.status_code == 400, answer.get_json()
