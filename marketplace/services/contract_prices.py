"""Prices the tenant's market actually paid: accepted contracts, the basis of calibrated estimates."""

from __future__ import annotations

from sqlalchemy import and_, select

from marketplace.domain.rates import ComparablePrice
from marketplace.extensions import db
from marketplace.models import Contract, InfluencerProfile

# Contracts whose price was agreed by both sides (cancelled ones and still-unsigned ones do not count).
AGREED = ("signed", "funded", "delivered", "completed", "disputed")
MAX_COMPARABLES = 500


def accepted_prices(
    tier: str, platform: str, deliverable: str, content_creation: bool
) -> list[ComparablePrice]:
    """Per-unit prices of agreed cash contracts for one deliverable, with profiles of the same tier.

    Only contracts whose deliverables are all of that platform and type count, so the cash divides
    cleanly into a unit price; the newest MAX_COMPARABLES are used.
    """
    rows = db.session.execute(
        select(Contract.cash_minor, Contract.currency, Contract.terms, InfluencerProfile)
        .join(
            InfluencerProfile,
            and_(
                InfluencerProfile.tenant_id == Contract.tenant_id, InfluencerProfile.id == Contract.profile_id
            ),
        )
        .where(Contract.status.in_(AGREED), Contract.cash_minor > 0, InfluencerProfile.tier == tier)
        .order_by(Contract.created_at.desc())
        .limit(MAX_COMPARABLES * 4)
    ).all()
    prices = []
    for cash, currency, terms, profile in rows:
        items = terms.get("deliverables") or []
        if not items or any(
            (i["platform"], i["type"], bool(i.get("content_creation", True)))
            != (platform, deliverable, content_creation)
            for i in items
        ):
            continue
        units = sum(int(i.get("quantity", 1)) for i in items)
        prices.append(
            ComparablePrice(
                followers=profile.followers,
                engagement_rate=profile.engagement_rate,
                platform=platform,
                deliverable=deliverable,
                content_creation=content_creation,
                price_minor=cash // units,
                currency=currency,
                niches=profile.niches,
                audience_countries=profile.audience_countries or {},
            )
        )
        if len(prices) >= MAX_COMPARABLES:
            break
    return prices
