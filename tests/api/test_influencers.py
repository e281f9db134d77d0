"""Influencer profiles, metrics, rate cards and rate estimates through the API."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_brand, make_caller, make_influencer, make_tenant, profile_body


def test_profile_derives_tier_engagement_and_platforms(app: Flask, client: FlaskClient) -> None:
    """Tier, engagement and platforms come from the accounts, never from the input."""
    make_tenant(app, "alpha")
    influencer = make_caller(app, client, "alpha")
    assert influencer.get("/api/v1/influencers/me").status_code == 404
    body = profile_body(
        social_accounts=[
            {
                "platform": "instagram",
                "handle": "ines",
                "followers": 49_999,
                "following": 300,
                "avg_likes": 900,
                "avg_comments": 100,
            },
            {
                "platform": "tiktok",
                "handle": "ines.tt",
                "followers": 1_000,
                "following": 10,
                "avg_likes": 90,
                "avg_comments": 10,
            },
        ]
    )
    saved = influencer.put("/api/v1/influencers/me", json=body)
    assert saved.status_code == 200, saved.get_json()
    profile = saved.get_json()
    assert profile["tier"] == "micro" and profile["followers"] == 49_999
    assert profile["platforms"] == ["instagram", "tiktok"]
    assert abs(profile["engagement_rate"] - 1_100 / 50_999) < 1e-9
    accounts = {a["handle"]: a for a in profile["social_accounts"]}
    assert abs(accounts["ines"]["engagement_rate"] - 1_000 / 49_999) < 1e-12
    assert "travel" in profile["related_niches"] and profile["verified"] is False
    tampered = influencer.put("/api/v1/influencers/me", json={**body, "tier": "mega"})
    assert tampered.status_code == 422 and "tier" in tampered.get_json()["errors"]

    # The tier may come from a chosen account: the TikTok one (1,000 followers: nano by default).
    chosen = influencer.put("/api/v1/influencers/me", json={**body, "tier_platform": "tiktok"}).get_json()
    assert (chosen["tier"], chosen["tier_platform"], chosen["followers"]) == ("nano", "tiktok", 49_999)
    absent = influencer.put("/api/v1/influencers/me", json={**body, "tier_platform": "youtube"})
    assert absent.status_code == 422 and "tier_platform" in absent.get_json()["errors"]
    # New thresholds re-tier it from that account (1,000 >= micro 500), not from the largest (mega).
    admin = make_caller(app, client, "alpha", "admin")
    thresholds = {"micro": 500, "macro": 40_000, "mega": 45_000}
    assert admin.patch("/api/v1/admin/tenant", json={"tier_thresholds": thresholds}).status_code == 200
    assert influencer.get("/api/v1/influencers/me").get_json()["tier"] == "micro"
    largest = influencer.put("/api/v1/influencers/me", json={**body, "tier_platform": None}).get_json()
    assert (largest["tier"], largest["tier_platform"]) == ("mega", None)


def test_tier_follows_the_tenants_thresholds(app: Flask, client: FlaskClient) -> None:
    """With thresholds micro=1,000, macro=10,000, 12,000 followers is macro in that tenant."""
    make_tenant(app, "alpha", tier_thresholds={"micro": 1_000, "macro": 10_000, "mega": 100_000})
    influencer = make_influencer(app, client, "alpha")
    assert influencer.get("/api/v1/influencers/me").get_json()["tier"] == "macro"


def test_profile_validation_rules(app: Flask, client: FlaskClient) -> None:
    """Codes, niches, shares and platforms are checked field by field."""
    make_tenant(app, "alpha")
    influencer = make_caller(app, client, "alpha")
    bad = profile_body(
        country="France",
        languages=["french"],
        niches=["jewelery"],
        audience={"countries": {"FR": 0.8, "DE": 0.4}, "ages": {"30-40": 0.2}, "genders": {"female": 1.2}},
    )
    bad["social_accounts"][0]["platform"] = "myspace"
    errors = influencer.put("/api/v1/influencers/me", json=bad).get_json()["errors"]
    assert {"country", "languages", "niches", "audience", "social_accounts"} <= set(errors)
    audience = errors["audience"]
    assert {"countries", "ages", "genders"} <= set(audience)
    twice = profile_body(social_accounts=[profile_body()["social_accounts"][0]] * 2)
    assert influencer.put("/api/v1/influencers/me", json=twice).status_code == 422


def test_only_influencers_have_profiles(app: Flask, client: FlaskClient) -> None:
    """A brand account cannot create an influencer profile."""
    make_tenant(app, "alpha")
    brand = make_caller(app, client, "alpha", "brand")
    assert brand.put("/api/v1/influencers/me", json=profile_body()).status_code == 403


def test_metric_snapshots_append_and_update_current_figures(app: Flask, client: FlaskClient) -> None:
    """A newer snapshot updates the account; an older one is kept as history only."""
    make_tenant(app, "alpha")
    influencer = make_influencer(app, client, "alpha")
    account_id = influencer.get("/api/v1/influencers/me").get_json()["social_accounts"][0]["id"]
    newer = influencer.post(
        "/api/v1/influencers/me/metrics",
        json={
            "account_id": account_id,
            "followers": 60_000,
            "following": 400,
            "avg_likes": 1_000,
            "avg_comments": 50,
        },
    )
    assert newer.status_code == 201
    profile = influencer.get("/api/v1/influencers/me").get_json()
    assert profile["followers"] == 60_000 and profile["tier"] == "macro"
    older = influencer.post(
        "/api/v1/influencers/me/metrics",
        json={"account_id": account_id, "followers": 100, "taken_at": "2020-01-01T00:00:00+00:00"},
    )
    assert older.status_code == 201
    assert influencer.get("/api/v1/influencers/me").get_json()["followers"] == 60_000
    future = influencer.post(
        "/api/v1/influencers/me/metrics",
        json={"account_id": account_id, "followers": 1, "taken_at": "2999-01-01T00:00:00+00:00"},
    )
    assert future.status_code == 422
    other = make_influencer(app, client, "alpha")
    foreign = other.post("/api/v1/influencers/me/metrics", json={"account_id": account_id, "followers": 5})
    assert foreign.status_code == 404


def test_rate_card_replaces_and_validates(app: Flask, client: FlaskClient) -> None:
    """The card is replaced whole; duplicates and a 'created' share are refused."""
    make_tenant(app, "alpha")
    influencer = make_influencer(app, client, "alpha")
    card = [
        {"platform": "instagram", "deliverable": "post", "content_creation": True, "price_minor": 40_000},
        {"platform": "instagram", "deliverable": "story", "content_creation": True, "price_minor": 15_000},
    ]
    saved = influencer.put("/api/v1/influencers/me/rates", json={"rates": card})
    assert saved.status_code == 200 and saved.get_json()["currency"] == "EUR"
    assert len(saved.get_json()["rates"]) == 2
    saved = influencer.put("/api/v1/influencers/me/rates", json={"rates": card[:1]})
    assert len(influencer.get("/api/v1/influencers/me").get_json()["rates"]) == 1
    assert influencer.put("/api/v1/influencers/me/rates", json={"rates": card + card[:1]}).status_code == 422
    share = {"platform": "x", "deliverable": "share", "content_creation": True, "price_minor": 100}
    assert influencer.put("/api/v1/influencers/me/rates", json={"rates": [share]}).status_code == 422
    negative = {**card[0], "price_minor": -1}
    assert influencer.put("/api/v1/influencers/me/rates", json={"rates": [negative]}).status_code == 422


def test_profile_visibility_and_rate_estimate(app: Flask, client: FlaskClient) -> None:
    """Brands read profiles and estimates; another influencer cannot; every factor is shown."""
    make_tenant(app, "alpha")
    influencer = make_influencer(app, client, "alpha")
    brand = make_brand(app, client, "alpha")
    other = make_influencer(app, client, "alpha")
    path = f"/api/v1/influencers/{influencer.profile_id}"
    assert brand.get(path).status_code == 200
    assert influencer.get(path).status_code == 200
    assert other.get(path).status_code == 404
    estimate = brand.get(f"{path}/rate-estimate?platform=instagram&deliverable=reel&content_creation=true")
    assert estimate.status_code == 200, estimate.get_json()
    body = estimate.get_json()
    assert 0 < body["low_minor"] <= body["typical_minor"] <= body["high_minor"]
    assert body["basis"] == "model" and body["currency"] == "EUR"
    names = {f["name"] for f in body["factors"]}
    assert {"followers", "engagement", "category", "scope", "geography"} <= names
    share = brand.get(
        f"{path}/rate-estimate?platform=instagram&deliverable=reel&content_creation=false"
    ).get_json()
    assert share["typical_minor"] < body["typical_minor"]
    assert brand.get(f"{path}/rate-estimate?platform=instagram").status_code == 422
