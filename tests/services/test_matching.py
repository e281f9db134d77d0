"""Matching: planted ideal influencers rank on top, off-niche never beats on-niche, runs replace."""

from __future__ import annotations

import dataclasses
import random

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import CampaignMatch
from marketplace.services.fraud_checks import assess_profile
from marketplace.services.matching import run_matching
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_campaign, make_influencer, make_tenant
from tests.services.builders import Spec, build, genuine
from tests.workers.test_jobs import _drain

NICHES = [
    "food",
    "travel",
    "fashion",
    "sport",
    "tech",
    "beauty",
    "gaming",
    "parenting",
    "jewellery",
    "finance",
]


def _ideal(n: int) -> Spec:
    return Spec(
        niches=["food"],
        country="FR",
        languages=["fr"],
        followers=15_000 + 1_000 * n,
        engagement=0.06,
        audience={"FR": 0.75, "BE": 0.15},
        price=35_000,
        verified=True,
        name=f"Ideal {n}",
    )


def test_planted_ideal_influencers_rank_in_the_top_ten(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Among 400 seeded profiles, the 5 planted ideal food creators of France rank in the top 10."""
    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    rng = random.Random(11)
    with app.app_context(), tenant_scope(tenant.id) as scoped:
        noise = [build(scoped, genuine(rng, NICHES)).id for _ in range(400)]
        ideal = [build(scoped, _ideal(n)).id for n in range(5)]
        db.session.commit()
        for profile_id in noise[:50] + ideal:
            assess_profile(profile_id)
    campaign = make_campaign(brand, publish=True, wanted_tiers=["micro"], languages=["fr"])
    _drain(redis_client)
    page = brand.get(f"/api/v1/campaigns/{campaign}/matches?limit=10").get_json()
    top_ten = [item["influencer"]["id"] for item in page["items"]]
    assert {str(i) for i in ideal} <= set(top_ten)
    first = page["items"][0]
    assert first["rank"] == 1 and first["niche_fit"] == "exact" and first["sentence"]
    assert abs(sum(first["contributions"].values()) - first["score"]) < 1e-4
    assert page["next_cursor"]


def test_off_niche_never_outranks_credible_on_niche(app: Flask) -> None:
    """Pairs with identical numbers: the jewellery creator ranks below the food creator every time."""
    tenant = make_tenant(app, "alpha")
    rng = random.Random(3)
    with app.app_context(), tenant_scope(tenant.id) as scoped:
        pairs = []
        for _ in range(20):
            spec = genuine(rng, ["food"])
            spec.niches, spec.country, spec.languages, spec.platform = ["food"], "FR", ["fr"], "instagram"
            spec.followers = rng.randint(2_000, 49_999)
            on = build(scoped, spec)
            spec.niches = ["jewellery"]
            off = build(scoped, spec)
            pairs.append((on.id, off.id))
        db.session.commit()
    client = app.test_client()
    brand = make_brand(app, client, "alpha")
    campaign = make_campaign(
        brand, publish=True, wanted_tiers=[], languages=[], niches=["food"], min_engagement=0
    )
    with app.app_context(), tenant_scope(tenant.id):
        run_matching(campaign)
        ranks = dict(
            db.session.execute(
                select(CampaignMatch.profile_id, CampaignMatch.rank).where(
                    CampaignMatch.campaign_id == campaign
                )
            ).all()
        )
    assert len(ranks) == 40
    for on, off in pairs:
        assert ranks[on] < ranks[off]


def test_running_again_replaces_and_filters_hold(app: Flask, client: FlaskClient) -> None:
    """A second run replaces the matches; excluded and suspended influencers never appear."""
    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    excluded = make_influencer(app, client, "alpha")
    kept = make_influencer(app, client, "alpha", display_name="Kept")
    wrong_language = make_influencer(app, client, "alpha", languages=["de"])
    brand.patch(f"/api/v1/brands/{brand.brand_id}", json={"excluded_influencers": [excluded.profile_id]})
    campaign = make_campaign(brand, publish=True)
    with app.app_context(), tenant_scope(tenant.id):
        first = run_matching(campaign)
        second = run_matching(campaign)
        count = db.session.execute(
            select(func.count()).select_from(CampaignMatch).where(CampaignMatch.campaign_id == campaign)
        ).scalar_one()
    assert first["matches"] == second["matches"] == count == 1
    assert second["exact"] is True
    items = brand.get(f"/api/v1/campaigns/{campaign}/matches").get_json()["items"]
    assert [i["influencer"]["id"] for i in items] == [kept.profile_id]
    assert wrong_language.profile_id not in str(items)


def test_matches_visible_to_the_brand_and_admins_only(app: Flask, client: FlaskClient) -> None:
    """Another brand and influencers get 404 on matches and portfolio."""
    make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    other = make_brand(app, client, "alpha", name="Other")
    influencer = make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)
    assert brand.get(f"/api/v1/campaigns/{campaign}/matches").status_code == 200
    assert other.get(f"/api/v1/campaigns/{campaign}/matches").status_code == 404
    assert other.get(f"/api/v1/campaigns/{campaign}/portfolio").status_code == 404
    assert influencer.get(f"/api/v1/campaigns/{campaign}/matches").status_code == 403


def test_portfolio_covers_at_least_the_top_slots_for_the_same_budget(app: Flask, client: FlaskClient) -> None:
    """The proposed portfolio reaches at least as much target audience as the top-`slots` within budget."""
    from marketplace.domain.portfolio import PortfolioCandidate, target_audience_covered

    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    rng = random.Random(5)
    with app.app_context(), tenant_scope(tenant.id) as scoped:
        for _ in range(120):
            spec = genuine(rng, ["food", "travel"])
            spec.platform, spec.languages = "instagram", ["fr"]
            spec.audience = {rng.choice(["FR", "BE", "CH"]): round(rng.uniform(0.3, 0.8), 2)}
            build(scoped, spec)
        db.session.commit()
    campaign = make_campaign(
        brand,
        publish=True,
        wanted_tiers=[],
        min_engagement=0,
        target_countries=["FR", "BE", "CH"],
        slots=4,
        total_budget_minor=200_000,
    )
    with app.app_context(), tenant_scope(tenant.id):
        run_matching(campaign)
    portfolio = brand.get(f"/api/v1/campaigns/{campaign}/portfolio").get_json()
    assert 0 < len(portfolio["picks"]) <= 4
    assert portfolio["total_cost_minor"] <= 200_000
    assert all(p["explanation"] and p["marginal_gain"] >= 0 for p in portfolio["picks"])
    matches = brand.get(f"/api/v1/campaigns/{campaign}/matches?limit=100").get_json()["items"]
    profiles = {
        m["influencer"]["id"]: brand.get(f"/api/v1/influencers/{m['influencer']['id']}").get_json()
        for m in matches
    }
    candidates = []
    for match in matches:
        profile = profiles[match["influencer"]["id"]]
        price = next((r["price_minor"] for r in profile["rates"] if r["deliverable"] == "post"), 50_000)
        candidates.append(
            PortfolioCandidate(
                id=profile["id"],
                followers=profile["followers"],
                audience_countries=profile["audience"]["countries"],
                niches=profile["niches"],
                platforms=profile["platforms"],
                cost_minor=price * 2,
                match_score=match["score"],
            )
        )
    baseline, spent = [], 0
    for candidate in candidates:
        if len(baseline) < 4 and spent + candidate.cost_minor <= 200_000:
            baseline.append(candidate.id)
            spent += candidate.cost_minor
    chosen = [str(p["influencer_id"]) for p in portfolio["picks"]]
    targets = ["FR", "BE", "CH"]
    ours = target_audience_covered(chosen, candidates, targets)
    theirs = target_audience_covered(baseline, candidates, targets)
    print(f"\nportfolio target audience {ours:.0f} vs top-slots {theirs:.0f}")
    assert abs(ours - portfolio["target_audience"]) < 1
    assert ours >= theirs


def _schema_view(campaign_id: object) -> list[dict]:
    """The matches as the ORM loads them and MatchSchema dumps them (what the page must equal)."""
    from marketplace.models import InfluencerProfile
    from marketplace.schemas.campaigns import MatchSchema

    rows = db.session.execute(
        select(CampaignMatch, InfluencerProfile)
        .join(InfluencerProfile, InfluencerProfile.id == CampaignMatch.profile_id)
        .where(CampaignMatch.campaign_id == campaign_id)
        .order_by(CampaignMatch.rank)
    ).all()
    fields = ("id", "display_name", "country", "niches", "platforms", "followers", "tier")
    fields += ("engagement_rate", "verified", "fraud_risk")
    views = [
        {
            "rank": m.rank,
            "score": m.score,
            "niche_fit": m.niche_fit,
            "contributions": m.contributions,
            "values": m.factor_values,
            "sentence": m.sentence,
            "influencer": {name: getattr(p, name) for name in fields},
        }
        for m, p in rows
    ]
    return MatchSchema(many=True).dump(views)


def test_match_pages_equal_the_schemas_dump_page_by_page(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """The one-message page (services/one_message.py) gives what MatchSchema dumps from the ORM rows,
    in rank order, across cursor pages; unknown and other brands' campaigns are 404 for members."""
    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    other = make_brand(app, client, "alpha", name="Other")
    rng = random.Random(5)
    with app.app_context(), tenant_scope(tenant.id) as scoped:
        for _ in range(60):  # French food creators: the default brief's language and countries
            spec = dataclasses.replace(genuine(rng, ["food", "travel"]), country="FR", languages=["fr"])
            build(scoped, spec)
        db.session.commit()
    campaign = make_campaign(brand, publish=True)
    _drain(redis_client)
    with app.app_context(), tenant_scope(tenant.id):
        expected = _schema_view(campaign)
    assert len(expected) > 7
    pages, cursor = [], None
    while True:
        url = f"/api/v1/campaigns/{campaign}/matches?limit=7" + (f"&cursor={cursor}" if cursor else "")
        response = brand.get(url)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= 7
        pages.extend(body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == expected
    assert other.get(f"/api/v1/campaigns/{campaign}/matches").status_code == 404
    missing = brand.get("/api/v1/campaigns/00000000-0000-4000-8000-000000000000/matches")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
