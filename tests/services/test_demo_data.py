"""Demo data generator: deterministic, consistent with the domain rules, tenant-bound and searchable."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import psycopg
from flask import Flask
from sqlalchemy import func, select

from marketplace.domain.rates import RateInputs, estimate_rate, geography_multiplier
from marketplace.domain.tiers import TIER_ENGAGEMENT_NORM
from marketplace.extensions import db
from marketplace.models import (
    Brand,
    BrandMember,
    Campaign,
    InfluencerProfile,
    MetricSnapshot,
    RatePrice,
    SocialAccount,
    User,
)
from marketplace.schemas.influencers import SearchArgsSchema
from marketplace.services import demo_data
from marketplace.services.campaigns import validate_brief
from marketplace.services.demo_profiles import typical_price_minor
from marketplace.services.fraud_checks import assess_profile
from marketplace.services.influencers import accounts_of, refresh_derived
from marketplace.services.matching import run_matching
from marketplace.services.search import search_influencers
from marketplace.tenancy import tenant_scope
from tests.conftest import DATABASE_URL, OWNER_ROLE, as_role
from tests.factories import make_tenant, make_user

ROOT = Path(__file__).resolve().parents[2]
COUNT = 300
HOME_LANGUAGE = {"FR": "fr", "DE": "de", "US": "en", "GB": "en", "ES": "es", "IT": "it", "BR": "pt"}


def _fingerprint(app: Flask, tenant_id) -> list[tuple]:
    """Everything generated in a tenant except ids and timestamps, in a stable order."""
    with app.app_context(), tenant_scope(tenant_id):
        profiles = db.session.execute(
            select(
                User.email,
                InfluencerProfile.display_name,
                InfluencerProfile.bio,
                InfluencerProfile.country,
                InfluencerProfile.niches,
                InfluencerProfile.followers,
                InfluencerProfile.tier,
                InfluencerProfile.engagement_rate,
                InfluencerProfile.audience_countries,
            ).join(User, User.id == InfluencerProfile.user_id)
        ).all()
        prices = db.session.execute(select(RatePrice.price_minor)).scalars().all()
        rows = sorted(
            (row[0].split("@")[0], *(json.dumps(v, sort_keys=True) for v in row[1:])) for row in profiles
        )
        return [*rows, (str(sorted(prices)),)]


def test_same_seed_same_influencers_in_any_tenant_and_any_batches(app: Flask) -> None:
    """A seed gives the same people (and the same fakes) in fresh tenants, at once or in two top-ups."""
    one, two, other = make_tenant(app), make_tenant(app), make_tenant(app)
    with app.app_context():
        first = demo_data.generate_influencers(one.id, COUNT)
        part = demo_data.generate_influencers(two.id, 200)
        rest = demo_data.generate_influencers(two.id, COUNT - 200)
        different = demo_data.generate_influencers(other.id, COUNT, seed=7)
        assert demo_data.generated_influencer_count(two.id) == COUNT
    assert (part.first_number, rest.first_number) == (1, 201)
    assert first.fake_numbers == part.fake_numbers + rest.fake_numbers
    assert set(first.fake_profile_ids).isdisjoint(part.fake_profile_ids + rest.fake_profile_ids)
    assert first.rows["influencer_profiles"] == COUNT and first.rows == {
        k: part.rows[k] + rest.rows[k] for k in first.rows
    }
    assert _fingerprint(app, one.id) == _fingerprint(app, two.id) != _fingerprint(app, other.id)
    assert different.fake_numbers != first.fake_numbers
    # Realistic skew: nano and micro dominate, mega is rare (~0.5 %).
    assert first.tiers["nano"] + first.tiers["micro"] > 0.8 * COUNT
    assert first.tiers.get("mega", 0) < 0.03 * COUNT
    assert 2 <= len(first.fake_numbers) <= 20


def test_derived_columns_and_shapes_follow_the_domain_rules(app: Flask) -> None:
    """Followers, tier, engagement, platforms and search text are what refresh_derived computes."""
    tenant = make_tenant(app)
    with app.app_context():
        demo_data.generate_influencers(tenant.id, COUNT)
        with tenant_scope(tenant.id) as scoped:
            profiles = db.session.execute(select(InfluencerProfile)).scalars().all()
            assert {len(p.niches) for p in profiles} <= {1, 2, 3}
            for profile in profiles:
                accounts = accounts_of(profile.id)
                assert 1 <= len(accounts) <= 3
                stored = (
                    profile.followers,
                    profile.tier,
                    profile.engagement_rate,
                    profile.platforms,
                    profile.search_text,
                    [a.engagement_rate for a in accounts],
                )
                refresh_derived(profile, scoped, accounts)
                assert stored == (
                    profile.followers,
                    profile.tier,
                    profile.engagement_rate,
                    profile.platforms,
                    profile.search_text,
                    [a.engagement_rate for a in accounts],
                ), profile.display_name
                if profile.country in HOME_LANGUAGE:
                    assert HOME_LANGUAGE[profile.country] in profile.languages
                for shares in (profile.audience_countries, profile.audience_ages, profile.audience_genders):
                    assert 0 < sum(shares.values()) <= 1
                newest = db.session.execute(
                    select(MetricSnapshot)
                    .where(MetricSnapshot.account_id == accounts[0].id)
                    .order_by(MetricSnapshot.taken_at.desc())
                ).scalars()
                history = list(newest)
                assert 2 <= len(history) <= 4 and history[0].followers == accounts[0].followers
            db.session.rollback()
            lines = db.session.execute(select(func.count()).select_from(RatePrice)).scalar_one()
            assert lines >= 2 * COUNT


def test_planted_fakes_look_fake_and_honest_profiles_do_not(app: Flask) -> None:
    """The labelled fakes score as fakes with the fraud service; honest profiles score low."""
    tenant = make_tenant(app)
    with app.app_context():
        summary = demo_data.generate_influencers(tenant.id, COUNT)
        fakes = set(summary.fake_profile_ids)
        with tenant_scope(tenant.id):
            for profile in db.session.execute(select(InfluencerProfile)).scalars().all():
                main = accounts_of(profile.id)[0]
                if profile.id in fakes:
                    assert main.engagement_rate < 0.1 * TIER_ENGAGEMENT_NORM[profile.tier]
                    assert 0.85 < main.following / main.followers < 1.2
                    assert profile.audience_countries[profile.country] < 0.1
            honest = [p for p in db.session.execute(select(InfluencerProfile.id)).scalars() if p not in fakes]
            for profile_id in sorted(fakes):
                assert assess_profile(profile_id)["flagged"]
            for profile_id in honest[:40]:
                assert assess_profile(profile_id)["fraud_risk"] < 0.3


def test_every_row_belongs_to_the_tenant(app: Flask) -> None:
    """Users, profiles, accounts, snapshots and rates all carry the tenant's id; others are untouched."""
    tenant, bystander = make_tenant(app), make_tenant(app)
    with app.app_context():
        summary = demo_data.generate_influencers(tenant.id, COUNT)
        # Across tenants, as the owner role (the app's role sees one tenant at a time).
        with psycopg.connect(as_role(DATABASE_URL, OWNER_ROLE)) as owner:
            for model in (User, InfluencerProfile, SocialAccount, MetricSnapshot, RatePrice):
                table = model.__tablename__
                by_tenant = dict(
                    owner.execute(f"SELECT tenant_id, count(*) FROM {table} GROUP BY tenant_id").fetchall()  # noqa: S608
                )
                assert by_tenant == {tenant.id: summary.rows[table]}, model.__name__
        with tenant_scope(tenant.id):
            emails = db.session.execute(select(User.email).where(User.role == "influencer")).scalars().all()
            assert sorted(emails) == sorted(f"inf{n}@{tenant.slug}.demo" for n in range(1, COUNT + 1))
        with tenant_scope(bystander.id):
            assert db.session.execute(select(func.count()).select_from(InfluencerProfile)).scalar_one() == 0


def test_the_search_service_finds_generated_profiles(app: Flask) -> None:
    """Niche, country, platform and tier filters and free text all find generated influencers."""
    tenant = make_tenant(app)
    admin = make_user(app, tenant.slug, role="admin")
    with app.app_context():
        demo_data.generate_influencers(tenant.id, COUNT)
        with tenant_scope(tenant.id):
            one = (
                db.session.execute(select(InfluencerProfile).order_by(InfluencerProfile.id)).scalars().first()
            )
            searches = {
                "niche": ({"niche": ["food"]}, lambda p: "food" in p["niches"]),
                "country": (
                    {"country": [one.country], "sort": "-followers"},
                    lambda p: p["country"] == one.country,
                ),
                "platform+tier": (
                    {"platform": ["instagram"], "tier": ["micro"]},
                    lambda p: "instagram" in p["platforms"] and p["tier"] == "micro",
                ),
                "text": ({"q": one.display_name}, lambda p: True),
            }
            for name, (query, holds) in searches.items():
                page = search_influencers(admin, SearchArgsSchema().load(query))
                assert page.items and all(holds(p) for p in page.items), name
            found = search_influencers(admin, SearchArgsSchema().load({"q": one.display_name, "limit": 100}))
            assert one.id in {p["id"] for p in found.items}


def test_typical_price_is_the_rate_models_typical_price() -> None:
    """The generator's cheap price formula equals estimate_rate's typical price without comparables."""
    rng = random.Random(3)
    for _ in range(300):
        audience = {"FR": round(rng.random() * 0.7, 3), "IN": round(rng.random() * 0.2, 3)}
        inputs = RateInputs(
            followers=int(10 ** rng.uniform(2, 7)),
            engagement_rate=rng.uniform(0, 0.1),
            niches=rng.sample(["food", "tech", "finance", "fashion", "pets"], rng.randint(1, 3)),
            platform=rng.choice(["instagram", "tiktok", "youtube", "blog", "x"]),
            deliverable=rng.choice(["post", "story", "video", "share"]),
            content_creation=rng.random() < 0.7,
            audience_countries=audience,
            currency=rng.choice(["EUR", "USD", "JPY"]),
        )
        assert estimate_rate(inputs).typical_minor == typical_price_minor(
            inputs.followers,
            inputs.engagement_rate,
            inputs.niches,
            inputs.platform,
            inputs.deliverable,
            inputs.content_creation,
            geography_multiplier(audience),
            inputs.currency,
            None,
        )


def test_brands_and_campaigns_are_valid_and_matchable(app: Flask) -> None:
    """Each brand has an owner; every brief passes validate_brief; a published one gets matches."""
    tenant = make_tenant(app, currency="USD")
    with app.app_context():
        demo_data.generate_influencers(tenant.id, COUNT)
        summary = demo_data.generate_brands_and_campaigns(tenant.id, brands=3, campaigns=6)
        assert len(summary.brand_ids) == 3 and len(summary.published_campaign_ids) == 3
        with tenant_scope(tenant.id):
            assert db.session.execute(select(func.count()).select_from(BrandMember)).scalar_one() == 3
            assert db.session.execute(select(func.count()).select_from(Brand)).scalar_one() == 3
            for campaign in db.session.execute(select(Campaign)).scalars():
                validate_brief({c.key: getattr(campaign, c.key) for c in Campaign.__table__.columns})
                assert campaign.currency == "USD"
            result = run_matching(summary.published_campaign_ids[0])
            assert result["matches"] > 0


def test_seed_commands_top_up_and_are_idempotent(app: Flask, runner) -> None:
    """seed-influencers tops a tenant up to --count; seed-brands adds brands once."""
    from marketplace.cli_seed import register_seed_commands

    if "seed-influencers" not in app.cli.commands:
        register_seed_commands(app)
    tenant = make_tenant(app)
    first = runner.invoke(args=["seed-influencers", tenant.slug, "--count", "40"])
    assert first.exit_code == 0 and "added 40 influencers" in first.output, first.output
    again = runner.invoke(args=["seed-influencers", tenant.slug, "--count", "40"])
    assert "nothing to add" in again.output
    more = runner.invoke(args=["seed-influencers", tenant.slug, "--count", "50"])
    assert "inf41..inf50" in more.output, more.output
    brands = runner.invoke(args=["seed-brands", tenant.slug, "--brands", "2", "--campaigns", "3"])
    assert brands.exit_code == 0 and "added 2 brands" in brands.output, brands.output
    assert "nothing to add" in runner.invoke(args=["seed-brands", tenant.slug]).output
    assert runner.invoke(args=["seed-influencers", "nope", "--count", "1"]).exit_code != 0


SQLITE_SCRIPT = """
import json
from flask_migrate import upgrade
from marketplace import create_app
from marketplace.schemas.influencers import SearchArgsSchema
from marketplace.services import demo_data
from marketplace.services.search import search_influencers
from marketplace.services.tenants import seed_demo, tenant_by_slug
from marketplace.tenancy import tenant_scope
from marketplace.models import User
from sqlalchemy import select
from marketplace.extensions import db

app = create_app()
with app.app_context():
    upgrade()
    seed_demo()
    tenant_id = tenant_by_slug("demo").id
    summary = demo_data.generate_influencers(tenant_id, 60)
    brands = demo_data.generate_brands_and_campaigns(tenant_id, brands=2, campaigns=4)
    with tenant_scope(tenant_id):
        admin = db.session.execute(select(User).where(User.role == "admin")).scalar_one()
        page = search_influencers(admin, SearchArgsSchema().load({"niche": ["food", "lifestyle"]}))
    published = len(brands.published_campaign_ids)
    print(json.dumps({"rows": summary.rows, "found": len(page.items), "published": published}))
"""


def test_generation_works_on_the_embedded_sqlite_default(tmp_path: Path) -> None:
    """`make run`'s SQLite database takes generated influencers (Core inserts) and finds them."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["INSTANCE_DIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"]["influencer_profiles"] == 60 and figures["found"] > 0
    assert figures["published"] == 2
