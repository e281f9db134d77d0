"""Demo brands and campaigns: a few brands with an owner each, and briefs that pass validate_brief.

Called by marketplace.services.demo_data.generate_brands_and_campaigns inside the tenant's scope;
the caller commits. Few rows, so plain ORM objects: the tenancy hooks stamp tenant_id.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from marketplace.domain import money
from marketplace.domain import niches as niche_rules
from marketplace.domain.rates import CURRENCY_PER_EUR
from marketplace.extensions import db
from marketplace.models import Brand, BrandMember, Campaign, Tenant, User
from marketplace.services import demo_catalogue as cat
from marketplace.services.campaigns import validate_brief

KINDS = ("full", "full", "symbolic", "in_kind", "mixed")
WANTED_TIERS = (["micro"], ["nano", "micro"], ["micro", "macro"], ["macro"], [])
IN_KIND = {
    "food": "A hamper of our new range",
    "beauty": "The full skincare collection",
    "gaming": "Two game keys and a headset",
    "outdoor": "A tent and a backpack",
    "travel": "Two nights for two in one of our hotels",
    "jewellery": "A necklace of the new collection",
    "sport": "Running shoes and kit",
    "finance": "A year of premium membership",
    "parenting": "A box of baby essentials",
    "tech": "The new phone, yours to keep",
    "health": "A month of meal boxes",
    "pets": "Three months of pet food",
}


@dataclass
class BrandsSummary:
    """The brands, owners and campaigns one run added."""

    brand_ids: list[uuid.UUID] = field(default_factory=list)
    owner_emails: list[str] = field(default_factory=list)
    draft_campaign_ids: list[uuid.UUID] = field(default_factory=list)
    published_campaign_ids: list[uuid.UUID] = field(default_factory=list)


def _money(rng: random.Random, tenant: Tenant, eur_choices: tuple[int, ...]) -> int:
    """An amount quoted in EUR, converted to the tenant's currency in whole units (minor units out)."""
    level = CURRENCY_PER_EUR.get(tenant.currency.upper(), 1.0)
    amount = round(rng.choice(eur_choices) * level) * 10 ** money.exponent(tenant.currency)
    return max(amount, money.minimum_charge(tenant.currency))


def _pay(rng: random.Random, tenant: Tenant, industry: str) -> dict[str, Any]:
    kind = rng.choice(KINDS)
    smallest = money.minimum_charge(tenant.currency)
    if kind == "symbolic" and tenant.symbolic_ceiling_minor < smallest:
        kind = "full"  # this tenant's ceiling is below what can be charged: no symbolic pay here
    values: dict[str, Any] = {
        "compensation_kind": kind,
        "cash_per_influencer_minor": 0,
        "in_kind_value_minor": 0,
    }
    if kind == "full":
        values["cash_per_influencer_minor"] = _money(rng, tenant, (150, 250, 400, 600, 1000, 2000))
    elif kind == "symbolic":
        ceiling = tenant.symbolic_ceiling_minor
        values["cash_per_influencer_minor"] = rng.choice((ceiling, max(smallest, ceiling // 2)))
    elif kind == "mixed":
        values["cash_per_influencer_minor"] = _money(rng, tenant, (100, 150, 250))
    if kind in ("in_kind", "mixed"):
        values["in_kind_description"] = IN_KIND.get(industry, "A selection of our products")
        values["in_kind_value_minor"] = _money(rng, tenant, (80, 150, 250, 400))
    return values


def _brief(rng: random.Random, tenant: Tenant, brand: Brand, number: int, now: datetime) -> dict[str, Any]:
    related = sorted(niche_rules.related(brand.industry))
    niches = sorted({brand.industry, *([rng.choice(related)] if related and rng.random() < 0.4 else [])})
    markets = [brand.country, *rng.sample(cat.COUNTRIES[brand.country][2], rng.randint(0, 1))]
    languages = sorted({cat.COUNTRIES[m][1][0] for m in markets if m in cat.COUNTRIES})
    platforms = sorted(rng.sample(["instagram", "instagram", "tiktok", "youtube", "blog"], 2))
    platforms = sorted(set(platforms))
    deliverables = []
    for platform in platforms:
        kind, creation = rng.choice(cat.RATE_LINES[platform])
        deliverables.append(
            {"platform": platform, "type": kind, "quantity": rng.randint(1, 3), "content_creation": creation}
        )
    start = now.date() + timedelta(days=rng.randint(14, 60))
    end = start + timedelta(days=rng.randint(20, 60))
    values = {
        "brand_id": brand.id,
        "title": f"{brand.name}: {rng.choice(cat.NICHES[brand.industry][1])} #{number}",
        "description": f"{brand.name} looks for {', '.join(niches)} creators in {', '.join(markets)}.",
        "niches": niches,
        "target_countries": sorted(set(markets)),
        "languages": languages,
        "platforms": platforms,
        "deliverables": deliverables,
        "slots": rng.randint(1, 8),
        "wanted_tiers": sorted(rng.choice(WANTED_TIERS)),
        "min_engagement": rng.choice((0.0, 0.01, 0.015, 0.02)),
        "start_date": start,
        "end_date": end,
        "application_deadline": start - timedelta(days=rng.randint(3, 10)),
        **_pay(rng, tenant, brand.industry),
    }
    values["total_budget_minor"] = values["slots"] * values["cash_per_influencer_minor"]
    return values


def add_brands_and_campaigns(
    tenant: Tenant,
    first: int,
    brands: int,
    campaigns: int,
    seed: int,
    password_hash: str,
    now: datetime,
) -> BrandsSummary:
    """Add brands numbered from `first`, their owners and `campaigns` briefs; the caller commits."""
    rng = random.Random(f"brands:{seed}:{first}")
    summary = BrandsSummary()
    made: list[tuple[Brand, User]] = []
    for number in range(first, first + brands):
        name, industry = cat.BRAND_NAMES[(number - 1) % len(cat.BRAND_NAMES)]
        country = rng.choice(("FR", "DE", "GB", "US", "ES", "IT", "NL"))
        email = f"brand{number}@{tenant.slug}.demo"
        owner = User(
            email=email,
            password_hash=password_hash,
            role="brand",
            display_name=f"{name} team",
            created_at=now,
        )
        brand = Brand(
            name=name if number <= len(cat.BRAND_NAMES) else f"{name} {number}",
            website=f"https://{name.lower().replace(' ', '')}.example",
            industry=industry,
            country=country,
            created_at=now,
        )
        db.session.add_all([owner, brand])
        db.session.flush()
        db.session.add(BrandMember(brand_id=brand.id, user_id=owner.id, role="owner"))
        made.append((brand, owner))
        summary.brand_ids.append(brand.id)
        summary.owner_emails.append(email)
    for index in range(campaigns if made else 0):
        brand, owner = made[index % len(made)]
        values = _brief(rng, tenant, brand, index + 1, now)
        validate_brief(values)
        published = index % 2 == 0
        campaign = Campaign(
            created_by=owner.id,
            currency=tenant.currency,
            status="published" if published else "draft",
            published_at=now if published else None,
            **values,
        )
        db.session.add(campaign)
        db.session.flush()
        (summary.published_campaign_ids if published else summary.draft_campaign_ids).append(campaign.id)
    return summary
