"""Portfolio proposals: several influencers whose communities complement each other."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, select

from marketplace.domain import matching as rules
from marketplace.domain.portfolio import PortfolioCandidate, build_portfolio
from marketplace.extensions import db
from marketplace.models import Campaign, CampaignMatch, InfluencerProfile
from marketplace.services.matching import _rate_cards, brief_of


def propose(campaign: Campaign) -> dict[str, Any]:
    """Pick at most `slots` of the stored matches within the budget, maximising complementary reach.

    Each candidate costs its rate card for the campaign's deliverables, or the campaign's cash per
    influencer when the card lacks a price (what the brand would offer anyway).
    """
    rows = db.session.execute(
        select(CampaignMatch, InfluencerProfile)
        .join(
            InfluencerProfile,
            and_(
                InfluencerProfile.tenant_id == CampaignMatch.tenant_id,
                InfluencerProfile.id == CampaignMatch.profile_id,
            ),
        )
        .where(CampaignMatch.campaign_id == campaign.id)
        .order_by(CampaignMatch.rank)
    ).all()
    brief = brief_of(campaign)
    cards = _rate_cards([p.id for _, p in rows])
    candidates = []
    for match, profile in rows:
        card_cost = rules.brief_cost(cards[profile.id], brief)
        cost = card_cost if card_cost is not None else campaign.cash_per_influencer_minor
        candidates.append(
            PortfolioCandidate(
                id=profile.id,
                followers=profile.followers,
                audience_countries=profile.audience_countries or {},
                niches=profile.niches,
                platforms=profile.platforms,
                cost_minor=cost,
                match_score=match.score,
            )
        )
    budget = campaign.total_budget_minor if campaign.cash_per_influencer_minor else None
    portfolio = build_portfolio(
        candidates,
        target_countries=campaign.target_countries,
        target_niches=campaign.niches,
        slots=campaign.slots,
        budget_minor=budget,
    )
    names = {p.id: p.display_name for _, p in rows}
    return {
        "strategy": portfolio.strategy,
        "slots": campaign.slots,
        "budget_minor": budget,
        "total_cost_minor": portfolio.total_cost_minor,
        "coverage": portfolio.coverage,
        "target_audience": portfolio.target_audience,
        "considered": portfolio.considered,
        "notes": portfolio.notes,
        "approximation": "Greedy on a monotone submodular objective with the best single pick as a "
        "fallback: at least (1 - 1/e)/2 of the optimum under a budget.",
        "picks": [
            {
                "influencer_id": p.id,
                "display_name": names.get(p.id),
                "marginal_gain": p.marginal_gain,
                "cumulative_coverage": p.cumulative_coverage,
                "cost_minor": p.cost,
                "explanation": p.explanation,
            }
            for p in portfolio.picks
        ],
    }
