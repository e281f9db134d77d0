"""Brands, members, exclusions and campaign briefs with their lifecycle and permissions."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import (
    campaign_body,
    make_brand,
    make_caller,
    make_campaign,
    make_influencer,
    make_tenant,
)


def test_brand_owner_members_and_exclusions(app: Flask, client: FlaskClient) -> None:
    """An owner adds members and exclusions; a member cannot; strangers get 404."""
    make_tenant(app, "alpha")
    owner = make_brand(app, client, "alpha")
    colleague = make_caller(app, client, "alpha", "brand", email="colleague@example.com")
    stranger = make_brand(app, client, "alpha", name="Other brand")
    influencer = make_influencer(app, client, "alpha")
    path = f"/api/v1/brands/{owner.brand_id}"

    added = owner.post(f"{path}/members", json={"email": "colleague@example.com"})
    assert added.status_code == 201 and added.get_json()["role"] == "member"
    assert owner.post(f"{path}/members", json={"email": "colleague@example.com"}).status_code == 409
    assert owner.post(f"{path}/members", json={"email": influencer.email}).status_code == 422
    assert colleague.get(path).status_code == 200
    assert colleague.patch(path, json={"name": "Renamed"}).status_code == 403
    assert stranger.get(path).status_code == 404
    assert influencer.get(path).status_code == 404

    patched = owner.patch(
        path, json={"excluded_influencers": [influencer.profile_id], "website": "https://a.example"}
    )
    assert patched.status_code == 200
    assert patched.get_json()["excluded_influencers"] == [influencer.profile_id]
    unknown = owner.patch(path, json={"excluded_influencers": ["00000000-0000-0000-0000-000000000001"]})
    assert unknown.status_code == 422
    assert influencer.post("/api/v1/brands", json={"name": "Nope"}).status_code == 403


def test_campaign_validation_rules(app: Flask, client: FlaskClient) -> None:
    """Symbolic ceiling, budget, dates, niches, in-kind and minimum charge give per-field errors."""
    make_tenant(app, "alpha", symbolic_ceiling_minor=5_000)
    brand = make_brand(app, client, "alpha")

    def errors(**overrides: object) -> dict:
        response = brand.post("/api/v1/campaigns", json=campaign_body(brand.brand_id, **overrides))
        assert response.status_code == 422, response.get_json()
        return response.get_json()["errors"]

    assert "cash_per_influencer_minor" in errors(
        compensation_kind="symbolic", cash_per_influencer_minor=6_000
    )
    assert "total_budget_minor" in errors(total_budget_minor=100_000)
    assert "end_date" in errors(start_date="2027-03-01", end_date="2027-02-01")
    assert "application_deadline" in errors(application_deadline="2027-03-01")
    assert "niches" in errors(niches=["jewelery"])
    in_kind = errors(compensation_kind="in_kind", cash_per_influencer_minor=0, total_budget_minor=0)
    assert {"in_kind_description", "in_kind_value_minor"} <= set(in_kind)
    assert "cash_per_influencer_minor" in errors(cash_per_influencer_minor=10, total_budget_minor=30)
    assert "deliverables" in errors(platforms=["tiktok"])
    ok = brand.post(
        "/api/v1/campaigns",
        json=campaign_body(
            brand.brand_id,
            compensation_kind="symbolic",
            cash_per_influencer_minor=5_000,
            total_budget_minor=15_000,
        ),
    )
    assert ok.status_code == 201 and ok.get_json()["status"] == "draft"
    gift = brand.post(
        "/api/v1/campaigns",
        json=campaign_body(
            brand.brand_id,
            compensation_kind="in_kind",
            cash_per_influencer_minor=0,
            total_budget_minor=0,
            in_kind_description="A tasting box",
            in_kind_value_minor=8_000,
        ),
    )
    assert gift.status_code == 201


def test_campaign_permissions(app: Flask, client: FlaskClient) -> None:
    """Influencers cannot create campaigns; a member of brand X cannot see or edit brand Y's campaign."""
    make_tenant(app, "alpha")
    brand_x = make_brand(app, client, "alpha", name="X")
    brand_y = make_brand(app, client, "alpha", name="Y")
    influencer = make_influencer(app, client, "alpha")
    assert influencer.post("/api/v1/campaigns", json=campaign_body(brand_x.brand_id)).status_code == 403
    assert brand_x.post("/api/v1/campaigns", json=campaign_body(brand_y.brand_id)).status_code == 403
    draft = make_campaign(brand_y)
    assert brand_x.patch(f"/api/v1/campaigns/{draft}", json={"title": "Mine"}).status_code == 404
    assert brand_x.get(f"/api/v1/campaigns/{draft}").status_code == 404
    assert influencer.get(f"/api/v1/campaigns/{draft}").status_code == 404
    published = make_campaign(brand_y, publish=True)
    # Published or not, another brand's campaign answers as unknown, to reads and writes alike.
    assert brand_x.get(f"/api/v1/campaigns/{published}").status_code == 404
    assert brand_x.patch(f"/api/v1/campaigns/{published}", json={"description": "x"}).status_code == 404
    assert brand_x.post(f"/api/v1/campaigns/{published}/close").status_code == 404


def test_campaign_lifecycle_through_the_transition_table(app: Flask, client: FlaskClient) -> None:
    """draft -> published -> closed; drafts change freely, published ones in a few fields, closed never."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(brand)
    path = f"/api/v1/campaigns/{campaign}"
    assert brand.patch(path, json={"title": "New title", "slots": 2}).get_json()["title"] == "New title"
    assert brand.post(f"{path}/close").status_code == 409
    published = brand.post(f"{path}/publish")
    assert published.status_code == 200
    body = published.get_json()
    assert body["campaign"]["status"] == "published" and body["matching_job_id"]
    assert body["status_url"] == f"/api/v1/jobs/{body['matching_job_id']}"
    # The matching job shows to every member of the brand, not to another brand nor to influencers.
    colleague = make_caller(app, client, "alpha", "brand", email="colleague@example.com")
    added = brand.post(f"/api/v1/brands/{brand.brand_id}/members", json={"email": colleague.email})
    assert added.status_code == 201, added.get_json()
    others = [make_brand(app, client, "alpha", name="Other"), make_influencer(app, client, "alpha")]
    seen = [caller.get(body["status_url"]).status_code for caller in (brand, colleague, *others)]
    assert seen == [200, 200, 404, 404]
    assert brand.post(f"{path}/publish").get_json()["type"].endswith("invalid-transition")
    frozen = brand.patch(path, json={"title": "Too late"})
    assert frozen.status_code == 409 and "title" in frozen.get_json()["errors"]
    assert brand.patch(path, json={"description": "Updated"}).status_code == 200
    assert brand.post(f"{path}/close").get_json()["status"] == "closed"
    assert brand.patch(path, json={"description": "again"}).status_code == 409
    assert brand.post(f"{path}/cancel").status_code == 409


def test_influencers_list_published_campaigns_open_to_them(app: Flask, client: FlaskClient) -> None:
    """Influencers see published campaigns, not drafts, nor those of a brand that excludes them."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    other = make_brand(app, client, "alpha", name="Excluding brand")
    influencer = make_influencer(app, client, "alpha")
    make_campaign(brand)
    published = make_campaign(brand, publish=True)
    excluded = make_campaign(other, publish=True)
    other.patch(f"/api/v1/brands/{other.brand_id}", json={"excluded_influencers": [influencer.profile_id]})
    seen = [c["id"] for c in influencer.get("/api/v1/campaigns").get_json()["items"]]
    assert seen == [published]
    assert influencer.get(f"/api/v1/campaigns/{excluded}").status_code == 404
    assert len(brand.get("/api/v1/campaigns").get_json()["items"]) == 2
    assert len(brand.get("/api/v1/campaigns?status=draft").get_json()["items"]) == 1


def test_tenant_isolation_of_brands_and_campaigns(app: Flask, client: FlaskClient) -> None:
    """A brand of tenant beta cannot see or use alpha's brand, campaign or influencer."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    alpha_brand = make_brand(app, client, "alpha")
    alpha_influencer = make_influencer(app, client, "alpha")
    campaign = make_campaign(alpha_brand, publish=True)
    beta_brand = make_brand(app, client, "beta")
    assert beta_brand.get(f"/api/v1/campaigns/{campaign}").status_code == 404
    assert beta_brand.get(f"/api/v1/influencers/{alpha_influencer.profile_id}").status_code == 404
    assert beta_brand.post("/api/v1/campaigns", json=campaign_body(alpha_brand.brand_id)).status_code == 403
    assert beta_brand.get("/api/v1/influencers").get_json()["items"] == []
