"""Matching's SQL mirrors domain.matching: the generated column, the SQL score, and the exact top K.

The search (marketplace/services/matching.py) trusts three things, each checked here against the
Python of domain.matching on random profiles and briefs:

- influencer_profiles.match_static, computed by the database, is the score's brief-independent part
  (whoever writes the row: the ORM, the API, demo data's COPY under row-level security, imports);
- the SQL total with the brief's rate-card prices equals domain.matching's total, and without
  prices (budget term at its best) is never below it;
- compute_matches returns exactly the top K of scoring every profile in Python, on every path of the
  search (probe only, range statement, growing pools, the non-exact group, ties), with small sizes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis
from sqlalchemy import Boolean, and_, not_, select, type_coerce

from marketplace.domain import matching as rules
from marketplace.domain import niches as niche_rules
from marketplace.domain.tiers import TIERS
from marketplace.extensions import db
from marketplace.models import (
    Brand,
    BrandExclusion,
    Campaign,
    CampaignMatch,
    InfluencerProfile,
    RatePrice,
    User,
)
from marketplace.services import matching
from marketplace.services.demo_data import generate_influencers
from marketplace.services.fraud_checks import assess_profile
from marketplace.services.search_sql import array_overlaps
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_caller, make_campaign, make_influencer, make_tenant
from tests.services.builders import HASH
from tests.workers.test_jobs import _drain

P = InfluencerProfile
ROOT = Path(__file__).resolve().parents[2]
NICHES = list(niche_rules.NICHES)
COUNTRIES = ["FR", "BE", "DE", "GB", "US", "ES", "IT"]
LANGUAGES = ["fr", "en", "de", "es"]
PLATFORMS = ["instagram", "tiktok", "youtube"]
LINES = [("instagram", "post", True), ("instagram", "reel", True), ("instagram", "share", False)]
LINES += [("tiktok", "video", True), ("youtube", "video", True)]
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def static_python(candidate: rules.CandidateFeatures) -> float:
    """domain.matching's brief-independent part: what match_static holds."""
    w = rules.WEIGHTS
    risk = rules.UNASSESSED_FRAUD_RISK if candidate.fraud_risk is None else candidate.fraud_risk
    return (
        w["authenticity"] * (1.0 - min(max(risk, 0.0), 1.0))
        + w["engagement"] * rules.engagement_value(candidate.engagement_rate, candidate.tier)
        + w["reputation"] * rules.reputation_value(candidate.rating, candidate.rating_count)
        + w["verified"] * (1.0 if candidate.verified else 0.0)
    )


def _profile(rng: random.Random, tenant_id: uuid.UUID, like: dict[str, Any] | None = None) -> dict[str, Any]:
    """Random profile fields (or a copy of `like`'s, for ties), with a random rate card."""
    if like is not None:
        return {**like, "user_id": None, "id": None}
    rated = rng.random() < 0.4
    country = rng.choice(COUNTRIES)
    shares = {c: round(rng.uniform(0, 0.5), 3) for c in rng.sample(COUNTRIES, rng.randint(0, 3))}
    if sum(shares.values()) > 1:
        shares = {c: round(v / 2, 3) for c, v in shares.items()}
    return {
        "display_name": f"Creator {rng.randrange(10**6)}",
        "country": country,
        "languages": sorted(set(rng.sample(LANGUAGES, rng.randint(1, 2)))),
        "niches": sorted(set(rng.sample(NICHES, rng.randint(0, 3)))),
        "platforms": sorted(set(rng.sample(PLATFORMS, rng.randint(1, 2)))),
        "audience_countries": shares,
        "tier": rng.choice(TIERS),
        "engagement_rate": round(rng.uniform(0, 0.12), 4),
        "fraud_risk": None if rng.random() < 0.4 else round(rng.random(), 3),
        "rating_avg": round(rng.uniform(1, 5), 2) if rated else None,
        "rating_count": rng.randint(1, 40) if rated else rng.choice([0, 0, 3]),
        "verified": rng.random() < 0.2,
        "accepts_in_kind": rng.random() < 0.5,
        "followers": rng.randint(500, 900_000),
        "card": {
            line: rng.choice([5_000, 20_000, 35_000, 60_000, 150_000]) for line in LINES if rng.random() < 0.4
        },
        "suspended": rng.random() < 0.05,
    }


def _insert(tenant_id: uuid.UUID, fields: dict[str, Any]) -> InfluencerProfile:
    user = User(
        tenant_id=tenant_id,
        email=f"{uuid.uuid4().hex[:12]}@example.com",
        password_hash=HASH,
        role="influencer",
        display_name=fields["display_name"],
        suspended_at=datetime.now(UTC) if fields["suspended"] else None,
    )
    db.session.add(user)
    db.session.flush()
    columns = {k: v for k, v in fields.items() if k not in ("card", "suspended", "user_id", "id")}
    profile = InfluencerProfile(user_id=user.id, bio="", audience_ages={}, audience_genders={}, **columns)
    db.session.add(profile)
    db.session.flush()
    for (platform, kind, creation), price in fields["card"].items():
        db.session.add(
            RatePrice(
                profile_id=profile.id,
                platform=platform,
                deliverable=kind,
                content_creation=creation,
                price_minor=price,
            )
        )
    return profile


def _brief(rng: random.Random, brand_id: uuid.UUID) -> Campaign:
    """A random brief (not stored: matching only reads it)."""
    kind = rng.choice(["full", "symbolic", "in_kind", "mixed"])
    lines = rng.sample(LINES, rng.randint(1, 2))
    return Campaign(
        id=uuid.uuid4(),
        brand_id=brand_id,
        title="Random brief",
        niches=sorted(set(rng.sample(NICHES, rng.randint(1, 2)))),
        target_countries=rng.sample(COUNTRIES, rng.randint(0, 3)),
        languages=rng.sample(LANGUAGES, rng.randint(0, 1)),
        platforms=rng.sample(PLATFORMS, rng.randint(0, 2)),
        wanted_tiers=rng.sample(list(TIERS), rng.randint(0, 2)),
        min_engagement=rng.choice([None, 0.0, 0.01, 0.03]),
        compensation_kind=kind,
        cash_per_influencer_minor=None if kind == "in_kind" else rng.choice([None, 10_000, 40_000, 100_000]),
        deliverables=[
            {"platform": p, "type": t, "quantity": rng.randint(1, 3), "content_creation": c}
            for p, t, c in lines
        ],
    )


def _features(profile: InfluencerProfile, cards: dict[uuid.UUID, dict]) -> rules.CandidateFeatures:
    return matching.candidate_features(profile, cards.get(profile.id, {}))


def _cards() -> dict[uuid.UUID, dict[tuple[str, str, bool], int]]:
    cards: dict[uuid.UUID, dict[tuple[str, str, bool], int]] = {}
    for line in db.session.execute(select(RatePrice)).scalars():
        cards.setdefault(line.profile_id, {})[(line.platform, line.deliverable, line.content_creation)] = (
            line.price_minor
        )
    return cards


def naive_top_k(campaign: Campaign, k: int) -> list[rules.MatchScore]:
    """Every profile of the tenant filtered and scored in Python (what the benchmark's baseline does)."""
    rows = db.session.execute(
        select(P, User.suspended_at).join(User, and_(User.tenant_id == P.tenant_id, User.id == P.user_id))
    ).all()
    excluded = set(
        db.session.execute(
            select(BrandExclusion.profile_id).where(BrandExclusion.brand_id == campaign.brand_id)
        ).scalars()
    )
    cards = _cards()
    platforms, tiers, languages = set(campaign.platforms), set(campaign.wanted_tiers), set(campaign.languages)
    candidates = [
        _features(p, cards)
        for p, suspended_at in rows
        if suspended_at is None
        and p.id not in excluded
        and p.engagement_rate >= (campaign.min_engagement or 0.0)
        and (not platforms or platforms & set(p.platforms))
        and (not tiers or p.tier in tiers)
        and (not languages or languages & set(p.languages))
    ]
    return rules.rank(candidates, matching.brief_of(campaign), k)


def _tenant_with_profiles(app: Flask, rng: random.Random, count: int) -> tuple[uuid.UUID, uuid.UUID]:
    """A new tenant with `count` random profiles (some exact copies, some excluded by its brand)."""
    tenant = make_tenant(app, f"t{uuid.uuid4().hex[:10]}")
    with app.app_context(), tenant_scope(tenant.id):
        brand = Brand(name="Brand", industry="food", country="FR")
        db.session.add(brand)
        db.session.flush()
        made: list[dict[str, Any]] = []
        for _ in range(count):
            fields = _profile(rng, tenant.id, rng.choice(made) if made and rng.random() < 0.1 else None)
            made.append(fields)
            profile = _insert(tenant.id, fields)
            if rng.random() < 0.05:
                db.session.add(BrandExclusion(brand_id=brand.id, profile_id=profile.id))
        db.session.commit()
        return tenant.id, brand.id


@SLOW
@given(seed=st.integers(0, 10**9))
def test_match_static_is_the_brief_independent_part_of_the_score(app: Flask, seed: int) -> None:
    """The generated column equals domain.matching's authenticity, engagement, reputation, verified."""
    rng = random.Random(seed)
    tenant_id, _ = _tenant_with_profiles(app, rng, 25)
    with app.app_context(), tenant_scope(tenant_id):
        for profile in db.session.execute(select(P)).scalars():
            assert abs(profile.match_static - static_python(_features(profile, {}))) < 1e-12


@SLOW
@given(seed=st.integers(0, 10**9))
def test_sql_total_is_domain_total_and_upper_bound_is_never_below(app: Flask, seed: int) -> None:
    """With the brief's prices the SQL total is domain.matching's; without, never below it."""
    rng = random.Random(seed)
    tenant_id, brand_id = _tenant_with_profiles(app, rng, 25)
    with app.app_context(), tenant_scope(tenant_id):
        cards = _cards()
        for _ in range(4):
            campaign = _brief(rng, brand_id)
            brief = matching.brief_of(campaign)
            keys = matching.rate_keys(brief) if matching.needs_prices(brief) else []
            prices = {key: matching.rate_price_sql(P, key) for key in keys}
            exact = type_coerce(array_overlaps(P.niches, campaign.niches), Boolean)
            for niche, where in (("exact", exact), ("other", not_(exact))):
                totals = []
                for with_prices in (prices, None):
                    penalty, dynamic = matching.dynamic_sql(campaign, P, niche, with_prices)
                    total = dynamic + P.match_static
                    totals.append(total if penalty is None else penalty * total)
                for profile, score, upper in db.session.execute(select(P, *totals).where(where)).all():
                    expected = rules.score_candidate(_features(profile, cards), brief).total
                    assert abs(score - expected) < 1e-9, (profile.id, score, expected)
                    assert upper >= expected - 1e-12


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9))
def test_top_k_is_exactly_the_naive_one_on_every_path(app: Flask, seed: int) -> None:
    """Small probes and pools walk the range statement, pool growth and the non-exact group."""
    rng = random.Random(seed)
    tenant_id, brand_id = _tenant_with_profiles(app, rng, 70)
    with app.app_context(), tenant_scope(tenant_id):
        for _ in range(5):
            campaign = _brief(rng, brand_id)
            k = rng.choice([1, 3, 10, 40])
            walk = rng.choice([1, 4, 12, 1000])
            pools = rng.choice([(2, 6, 1000), (5, 1000), (1000,)])
            top, figures = matching.compute_matches(campaign, k, walk=walk, pools=pools)
            naive = naive_top_k(campaign, k)
            assert figures["exact"] is True
            assert [s.influencer_id for s in top] == [s.influencer_id for s in naive]
            assert [s.total for s in top] == [s.total for s in naive]
            assert [s.sentence for s in top] == [s.sentence for s in naive]


def test_each_path_of_the_search_is_taken(app: Flask) -> None:
    """Seeded: the range statement, a grown pool and the non-exact group all happen, results exact."""
    rng = random.Random(2027)
    tenant_id, brand_id = _tenant_with_profiles(app, rng, 150)
    seen: set[str] = set()
    with app.app_context(), tenant_scope(tenant_id):
        for _ in range(30):
            campaign = _brief(rng, brand_id)
            k = rng.choice([3, 10])
            top, figures = matching.compute_matches(campaign, k, walk=8, pools=(4, 16, 1000))
            assert [s.influencer_id for s in top] == [s.influencer_id for s in naive_top_k(campaign, k)]
            assert figures["exact"] is True
            if figures["range_searched"]:
                seen.add("range")
            if "other" in figures["groups_searched"]:
                seen.add("other")
            if figures["largest_pool"] > max(4, k):
                seen.add("grown")
    assert seen == {"range", "other", "grown"}


def test_a_pool_that_cannot_grow_enough_says_not_exact(app: Flask) -> None:
    """Ties at the k-th score cannot be told apart within a pool that cannot grow: the job says so."""
    rng = random.Random(5)
    tenant = make_tenant(app, "alpha")
    with app.app_context(), tenant_scope(tenant.id):
        brand = Brand(name="Brand", industry="food", country="FR")
        db.session.add(brand)
        twin = _profile(rng, tenant.id)
        twin.update(niches=["food"], suspended=False)
        for _ in range(20):
            _insert(tenant.id, twin)
        db.session.commit()
        campaign = _brief(rng, brand.id)
        campaign.niches, campaign.wanted_tiers, campaign.languages, campaign.platforms = ["food"], [], [], []
        campaign.min_engagement = None
        _, figures = matching.compute_matches(campaign, 5, walk=1000, pools=(5,))
        assert figures["exact"] is False
        top, figures = matching.compute_matches(campaign, 5, walk=1000, pools=(5, 1000))
        assert figures["exact"] is True
        assert [s.influencer_id for s in top] == [s.influencer_id for s in naive_top_k(campaign, 5)]


def _stored_budget(app: Flask, tenant_id: uuid.UUID, campaign_id: str) -> float:
    with app.app_context(), tenant_scope(tenant_id):
        matching.run_matching(uuid.UUID(campaign_id))
        match = db.session.execute(
            select(CampaignMatch).where(CampaignMatch.campaign_id == uuid.UUID(campaign_id))
        ).scalar_one()
        return match.factor_values["budget"]


def test_rate_card_edits_through_the_api_change_the_budget_term(app: Flask, client: FlaskClient) -> None:
    """Prices are read live from rate_prices: within budget 1, far above 0, missing a line 0.5."""
    tenant = make_tenant(app, "alpha")
    brand = make_brand(app, client, "alpha")
    influencer = make_influencer(app, client, "alpha")
    campaign = make_campaign(brand, publish=True)  # 2 Instagram posts, EUR 500 each influencer
    rates = "/api/v1/influencers/me/rates"
    post = {"platform": "instagram", "deliverable": "post", "content_creation": True}
    story = {"platform": "instagram", "deliverable": "story", "content_creation": True, "price_minor": 9_000}
    assert influencer.put(rates, json={"rates": [{**post, "price_minor": 20_000}]}).status_code == 200
    assert _stored_budget(app, tenant.id, campaign) == 1.0
    assert influencer.put(rates, json={"rates": [{**post, "price_minor": 40_000}, story]}).status_code == 200
    assert abs(_stored_budget(app, tenant.id, campaign) - 0.4) < 1e-6  # 80,000 for 50,000: 60 % over
    assert influencer.put(rates, json={"rates": [story]}).status_code == 200
    assert _stored_budget(app, tenant.id, campaign) == 0.5


def test_match_static_follows_every_writer(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """API profile saves, fraud assessment, demo data's COPY (under row-level security), imports."""
    tenant = make_tenant(app, "alpha")
    influencer = make_influencer(app, client, "alpha", niches=["food", "travel"])
    with app.app_context(), tenant_scope(tenant.id):
        assess_profile(uuid.UUID(influencer.profile_id))
        db.session.commit()
        generate_influencers(tenant.id, 40, seed=3)
    admin = make_caller(app, client, "alpha", role="admin")
    roster = "\r\n".join([
        "email,display_name,country,languages,niches,platform,handle,followers,following,"
        "avg_likes,avg_comments,avg_views,accepts_in_kind,min_cash_rate_minor",
        "ines@example.com,Ines Cook,FR,fr;en,food;travel,instagram,ines.cooks2,12000,400,600,40,0,yes,10000",
    ]) + "\r\n"  # fmt: skip
    upload = admin.post("/api/v1/admin/imports", data=roster.encode(), headers={"Content-Type": "text/csv"})
    assert upload.status_code == 202, upload.get_json()
    _drain(redis_client)
    with app.app_context(), tenant_scope(tenant.id):
        profiles = list(db.session.execute(select(P)).scalars())
        assert len(profiles) == 42
        assert any(p.fraud_risk is not None for p in profiles)
        for profile in profiles:
            assert abs(profile.match_static - static_python(_features(profile, {}))) < 1e-12


def test_exclusions_as_lists_or_joins_keep_the_same_profiles(app: Flask) -> None:
    """The short exclusion lists the search passes as arrays filter like the joins used for long ones."""
    rng = random.Random(9)
    tenant_id, brand_id = _tenant_with_profiles(app, rng, 80)
    with app.app_context(), tenant_scope(tenant_id):
        campaign = _brief(rng, brand_id)
        campaign.niches, campaign.wanted_tiers, campaign.languages, campaign.platforms = ["food"], [], [], []
        excluded = matching._excluded_ids(campaign)
        assert excluded is not None and excluded[0] and excluded[1]  # some suspended, some excluded
        as_lists = set(
            db.session.execute(select(P.id).where(*matching.hard_filters(campaign, excluded))).scalars()
        )
        as_joins = set(db.session.execute(select(P.id).where(*matching.hard_filters(campaign))).scalars())
        assert as_lists == as_joins and len(as_lists) < 80


SQLITE_SCRIPT = """
import json, random, uuid
from flask_migrate import upgrade
from sqlalchemy import select
from marketplace import create_app
from marketplace.extensions import db
from marketplace.models import InfluencerProfile
from marketplace.services import matching
from marketplace.services.demo_data import generate_influencers
from marketplace.services.tenants import create_tenant
from marketplace.tenancy import tenant_scope
from tests.services.test_matching_sql import _brief, _features, naive_top_k, static_python

app = create_app()
with app.app_context():
    upgrade()
    tenant = create_tenant("embedded", "Embedded", "EUR")
    generate_influencers(tenant.id, 150, seed=4)
    with tenant_scope(tenant.id):
        profiles = db.session.execute(select(InfluencerProfile)).scalars().all()
        static_ok = all(abs(p.match_static - static_python(_features(p, {}))) < 1e-12 for p in profiles)
        rng, same, paths = random.Random(4), 0, set()
        for _ in range(20):
            campaign = _brief(rng, uuid.uuid4())
            walk = rng.choice([3, 20, 1000])
            top, figures = matching.compute_matches(campaign, 8, walk=walk, pools=(8, 30, 1000))
            naive = naive_top_k(campaign, 8)
            same += figures["exact"] and [s.influencer_id for s in top] == [s.influencer_id for s in naive]
            paths.add("range" if figures["range_searched"] else "walk")
    print(json.dumps({"static_ok": static_ok, "same": same, "paths": sorted(paths)}))
"""


def test_matching_works_on_the_embedded_sqlite_default(tmp_path: Path) -> None:
    """`make run`'s SQLite: the virtual match_static column, the walk and the range give the naive top K."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["INSTANCE_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures == {"static_ok": True, "same": 20, "paths": ["range", "walk"]}
