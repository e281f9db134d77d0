"""What schema fuzzing found, pinned by fast tests (docs/RELIABILITY.md, "Bad input")."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from tests.conftest import REDIS_URL
from tests.factories import (
    GIFT,
    accept_offer,
    make_brand,
    make_caller,
    make_campaign,
    make_influencer,
    make_offer,
    make_tenant,
    profile_body,
    sign_both,
)
from tests.workers.test_jobs import _drain

PROBLEM = "application/problem+json"
PROBLEM_RESPONSES = {"BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "CONFLICT", "TOO_MANY_REQUESTS"}


def test_error_responses_are_documented_as_problem_json(client: FlaskClient) -> None:
    """Every documented error is application/problem+json with the Problem schema, extensible."""
    spec = client.get("/api/openapi.json").get_json()
    responses = spec["components"]["responses"]
    assert PROBLEM_RESPONSES | {"UNPROCESSABLE_ENTITY", "DEFAULT_ERROR"} <= set(responses)
    for name, response in responses.items():
        assert list(response["content"]) == [PROBLEM], name
        assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    problem = spec["components"]["schemas"]["Problem"]
    assert problem["additionalProperties"] is True  # extension members: current_state, allowed, ...
    assert {"current_state", "allowed"} <= set(problem["properties"])


def test_every_operation_documents_its_problems(client: FlaskClient) -> None:
    """Each /api/v1 operation lists 400 and 404; behind a token 401 and 403; writes 409, 422, 429."""
    spec = client.get("/api/openapi.json").get_json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in operations.items():
            if method == "parameters":
                continue
            documented = set(operation["responses"])
            expected = {"400", "404"}
            if operation.get("security") != []:
                expected |= {"401", "403"}
            if method in ("post", "put", "patch", "delete") and not path.startswith("/api/v1/webhooks/"):
                expected |= {"409", "422", "429"}
            assert expected <= documented, f"{method.upper()} {path}: {sorted(expected - documented)}"
    assert spec["paths"]["/api/v1/webhooks/stripe"]["post"]["security"] == []
    assert {"401", "403"} <= set(spec["paths"]["/api/v1/auth/login"]["post"]["responses"])


def test_nul_characters_are_refused_with_400(app: Flask, client: FlaskClient) -> None:
    """U+0000 in a query, a JSON body or a path is a 400 problem, never PostgreSQL's 500."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    for response in (
        brand.get("/api/v1/influencers", query_string={"q": "ab\x00c"}),
        brand.patch(f"/api/v1/brands/{brand.brand_id}", json={"name": "Acme\x00"}),
        brand.patch(f"/api/v1/brands/{brand.brand_id}", json={"excluded_influencers": [], "x\x00": 1}),
        client.post("/api/v1/webhooks/stripe/al%00pha", data="{}"),
    ):
        assert response.status_code == 400, response.get_data(as_text=True)
        assert response.mimetype == PROBLEM
        assert response.get_json()["type"] == "urn:marketplace:problem:bad-request"


def test_figures_beyond_their_columns_are_422(app: Flask, client: FlaskClient) -> None:
    """Counts, averages and amounts past what is stored are validation errors, not overflows or infinity."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    influencer = make_influencer(app, client, "alpha")
    huge = profile_body()
    huge["social_accounts"][0]["avg_likes"] = 1e308
    huge["social_accounts"][0]["avg_comments"] = 1e308
    assert influencer.put("/api/v1/influencers/me", json=huge).status_code == 422
    rich = profile_body(min_cash_rate_minor=3_000_000_000)
    assert influencer.put("/api/v1/influencers/me", json=rich).status_code == 422
    ceiling = {"symbolic_ceiling_minor": 3_095_375_414_097_052}
    assert admin.patch("/api/v1/admin/tenant", json=ceiling).status_code == 422
    tiers = {"micro": 1, "macro": 2, "mega": 3_000_000_000}
    assert admin.patch("/api/v1/admin/tenant", json={"tier_thresholds": tiers}).status_code == 422
    too_far = ({"min_followers": 1_121_141_871_916_091}, {"max_rate": 3_000_000_000, "deliverable": "post"})
    for query in too_far:
        search = admin.get("/api/v1/influencers", query_string=query)
        assert search.status_code == 422, search.get_json()

    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    offer = make_offer(brand, influencer, campaign, cash_minor=0, in_kind_items=GIFT)
    contract = accept_offer(influencer, offer)
    _drain(Redis.from_url(REDIS_URL))
    sign_both(brand, influencer, contract)
    deliverable = influencer.post(
        f"/api/v1/contracts/{contract}/deliverables",
        json={"platform": "instagram", "type": "post", "url": "https://instagram.com/p/1", "caption": "#ad"},
    ).get_json()["deliverable"]["id"]
    too_many = influencer.post(f"/api/v1/deliverables/{deliverable}/metrics", json={"reach": 4_501_239_444})
    assert too_many.status_code == 422, too_many.get_json()
    assert set(too_many.get_json()["errors"]) == {"reach"}
    most = influencer.post(f"/api/v1/deliverables/{deliverable}/metrics", json={"reach": 2_000_000_000})
    assert most.status_code == 201, most.get_json()
