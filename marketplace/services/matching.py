"""Matching a campaign to influencers: hard filters and an upper-bound score in SQL, exact scores in Python.

SQL filters (tenant, not suspended, not excluded, not already in the campaign, platforms, tiers,
languages, minimum engagement) and ranks every remaining profile by an upper bound of the final
score (the rate-card budget term, which needs the rate card, is taken at its maximum). Python then
scores the best `pool` candidates exactly with domain.matching, keeps the top K and stores them. When
the K-th exact score is at least the upper bound of the first candidate left out, the result is
provably the true top K; the job result says whether that held (`exact`).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from sqlalchemy import Float, and_, case, cast, delete, func, insert, literal, select, text

from marketplace.domain import matching as rules
from marketplace.domain import niches as niche_rules
from marketplace.domain.tiers import TIER_ENGAGEMENT_NORM, TIERS
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.models import (
    BrandExclusion,
    Campaign,
    CampaignMatch,
    Contract,
    InfluencerProfile,
    Offer,
    RatePrice,
    User,
)
from marketplace.services.pagination import Page, SortKey, paginate
from marketplace.services.search_sql import array_overlaps, greatest, is_postgres, json_number, least
from marketplace.tenancy import current_tenant, get_or_404

P = InfluencerProfile
MATCH_JOB = "workers.jobs.matching.match_campaign"
# Candidate pools tried in turn until the top K is provably exact (see compute_matches).
POOLS = (500, 5_000, 50_000)


def brief_of(campaign: Campaign) -> rules.BriefFeatures:
    """The campaign as matching reads it."""
    return rules.BriefFeatures(
        niches=campaign.niches,
        target_countries=campaign.target_countries,
        tiers=campaign.wanted_tiers,
        languages=campaign.languages,
        platforms=campaign.platforms,
        min_engagement=campaign.min_engagement,
        cash_per_influencer_minor=campaign.cash_per_influencer_minor or None,
        compensation=campaign.compensation_kind,
        deliverables=[
            (d["platform"], d["type"], d.get("quantity", 1), d.get("content_creation", True))
            for d in campaign.deliverables
        ],
    )


def hard_filters(campaign: Campaign) -> list[Any]:
    """The SQL filters every candidate must pass.

    Exclusions are NOT IN small sets (suspended users, the brand's exclusion list, who already takes
    part) rather than joins: PostgreSQL hashes them, and the top-N sort sits right under the LIMIT.
    """
    suspended = select(User.id).where(User.suspended_at.is_not(None))
    excluded = select(BrandExclusion.profile_id).where(BrandExclusion.brand_id == campaign.brand_id)
    in_campaign = (
        select(Offer.profile_id)
        .where(Offer.campaign_id == campaign.id, Offer.status.in_(("pending", "accepted")))
        .union(
            select(Contract.profile_id).where(
                Contract.campaign_id == campaign.id, Contract.status != "cancelled"
            )
        )
    )
    clauses: list[Any] = [
        P.user_id.not_in(suspended),
        P.id.not_in(excluded),
        P.id.not_in(in_campaign),
        P.engagement_rate >= (campaign.min_engagement or 0.0),
    ]
    if campaign.platforms:
        clauses.append(array_overlaps(P.platforms, campaign.platforms))
    if campaign.wanted_tiers:
        clauses.append(P.tier.in_(campaign.wanted_tiers))
    if campaign.languages:
        clauses.append(array_overlaps(P.languages, campaign.languages))
    return clauses


def _clamp01(expression: Any) -> Any:
    return least(greatest(expression, 0.0), 1.0)


def upper_bound_score(campaign: Campaign) -> Any:
    """SQL mirror of domain.matching's total, with the budget term at its upper bound."""
    w = rules.WEIGHTS
    if campaign.niches:
        niche = case(
            (array_overlaps(P.niches, campaign.niches), 1.0),
            (array_overlaps(P.niches, sorted(niche_rules.expand(campaign.niches))), 0.5),
            else_=0.0,
        )
    else:
        niche = literal(1.0)
    penalty = case((niche > 0, 1.0), else_=rules.NICHE_NONE_PENALTY)
    if campaign.target_countries:
        audience = _clamp01(sum(json_number(P.audience_countries, c) for c in campaign.target_countries))
    else:
        audience = literal(1.0)
    risk = _clamp01(func.coalesce(P.fraud_risk, rules.UNASSESSED_FRAUD_RISK))
    norm = case(*[(P.tier == t, TIER_ENGAGEMENT_NORM[t]) for t in TIERS], else_=TIER_ENGAGEMENT_NORM["micro"])
    engagement = _clamp01(greatest(P.engagement_rate, 0.0) / norm / rules.ENGAGEMENT_FULL_AT)
    wanted = set(campaign.wanted_tiers)
    if not wanted:
        tier = literal(1.0)
    else:
        near = {
            TIERS[i + d]
            for i, t in enumerate(TIERS)
            if t in wanted
            for d in (-1, 1)
            if 0 <= i + d < len(TIERS)
        }
        tier = case(
            (P.tier.in_(sorted(wanted)), 1.0), (P.tier.in_(sorted(near - wanted) or ["-"]), 0.5), else_=0.0
        )
    in_kind = case((P.accepts_in_kind, 1.0), else_=0.0)
    kind = campaign.compensation_kind
    budget = in_kind if kind == "in_kind" else (1.0 + in_kind) / 2 if kind == "mixed" else literal(1.0)
    count = cast(P.rating_count, Float)
    reputation = _clamp01(
        (func.coalesce(P.rating_avg, 0.0) * count + rules.RATING_PRIOR_MEAN * rules.RATING_PRIOR_COUNT)
        / (count + rules.RATING_PRIOR_COUNT)
        / 5.0
    )
    verified = case((P.verified, 1.0), else_=0.0)
    total = (
        w["niche"] * niche
        + w["audience"] * audience
        + w["authenticity"] * (1.0 - risk)
        + w["engagement"] * engagement
        + w["tier"] * tier
        + w["budget"] * budget
        + w["reputation"] * reputation
        + w["verified"] * verified
    )
    return (penalty * total).label("upper")


def _candidates(campaign: Campaign, pool: int) -> list[Any]:
    upper = upper_bound_score(campaign)
    stmt = (
        select(
            P.id,
            P.display_name,
            P.niches,
            P.tier,
            P.engagement_rate,
            P.audience_countries,
            P.fraud_risk,
            P.accepts_in_kind,
            P.rating_avg,
            P.rating_count,
            P.verified,
            P.followers,
            upper,
        )
        .where(*hard_filters(campaign))
        .order_by(upper.desc(), P.id)
        .limit(pool + 1)
    )
    if is_postgres():
        # JIT compiling this one-off expression costs more (~50 ms) than it saves.
        db.session.execute(text("SET LOCAL jit = off"))
    return list(db.session.execute(stmt).all())


def _rate_cards(profile_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[tuple[str, str, bool], int]]:
    cards: dict[uuid.UUID, dict[tuple[str, str, bool], int]] = {pid: {} for pid in profile_ids}
    if profile_ids:
        rows = db.session.execute(
            select(
                RatePrice.profile_id,
                RatePrice.platform,
                RatePrice.deliverable,
                RatePrice.content_creation,
                RatePrice.price_minor,
            ).where(RatePrice.profile_id.in_(profile_ids))
        ).all()
        for profile_id, platform, deliverable, creation, price in rows:
            cards[profile_id][(platform, deliverable, creation)] = price
    return cards


def compute_matches(campaign: Campaign, k: int) -> tuple[list[rules.MatchScore], dict[str, Any]]:
    """The top k exact scores for a campaign, and figures about the run.

    The pool of candidates ranked by the SQL upper bound grows until the k-th exact score is at least
    the upper bound of the best candidate left out (then no one left out can beat it), or until
    every candidate has been scored.
    """
    started = time.perf_counter()
    brief = brief_of(campaign)
    first = max(5 * k, POOLS[0])
    for pool in [first, *(p for p in POOLS if p > first)]:
        rows = _candidates(campaign, pool)
        overflow = rows[pool] if len(rows) > pool else None
        rows = rows[:pool]
        scored = _score(rows, brief, k)
        exact = overflow is None or (len(scored) == k and scored[-1].total >= overflow.upper - 1e-9)
        if exact:
            break
    return scored, {
        "candidates_scored": len(rows),
        "exact": exact,
        "seconds": round(time.perf_counter() - started, 4),
    }


def _score(rows: list[Any], brief: rules.BriefFeatures, k: int) -> list[rules.MatchScore]:
    cards = _rate_cards([r.id for r in rows])
    return rules.rank(
        (
            rules.CandidateFeatures(
                influencer_id=r.id,
                display_name=r.display_name,
                niches=r.niches,
                tier=r.tier,
                engagement_rate=r.engagement_rate,
                audience_countries=r.audience_countries or {},
                fraud_risk=r.fraud_risk,
                rate_card=cards[r.id],
                accepts_in_kind=r.accepts_in_kind,
                rating=r.rating_avg,
                rating_count=r.rating_count,
                verified=r.verified,
                followers=r.followers,
            )
            for r in rows
        ),
        brief,
        k,
    )


def run_matching(campaign_id: uuid.UUID) -> dict[str, Any]:
    """Compute and store a campaign's matches, replacing the previous run (the matching job)."""
    campaign = get_or_404(Campaign, campaign_id)
    if campaign.status != "published":
        return {"campaign_id": str(campaign.id), "skipped": f"campaign is {campaign.status}"}
    scored, figures = compute_matches(campaign, current_tenant().match_top_k)
    # Lock the campaign so two runs replace the result one after the other, never interleaved.
    get_or_404(Campaign, campaign_id, for_update=True)
    run_id = uuid.uuid4()
    db.session.execute(delete(CampaignMatch).where(CampaignMatch.campaign_id == campaign.id))
    if scored:
        tenant_id = current_tenant().id
        db.session.execute(
            insert(CampaignMatch),
            [
                {
                    "tenant_id": tenant_id,
                    "id": uuid.uuid4(),
                    "campaign_id": campaign.id,
                    "profile_id": s.influencer_id,
                    "rank": rank,
                    "score": round(s.total, 6),
                    "niche_fit": s.niche_fit,
                    "contributions": {k: round(v, 6) for k, v in s.contributions.items()},
                    "factor_values": {k: round(v, 6) for k, v in s.values.items()},
                    "sentence": s.sentence,
                    "run_id": run_id,
                }
                for rank, s in enumerate(scored, start=1)
            ],
        )
    db.session.commit()
    return {"campaign_id": str(campaign.id), "matches": len(scored), "run_id": str(run_id), **figures}


def start_matching(user: User, campaign: Campaign) -> Any:
    """Queue the matching job of a campaign on the matching queue (its own workers scale apart)."""
    from marketplace.services.jobs import start_job
    from workers.queues import MATCHING_QUEUE, JobSpec

    return start_job(MATCH_JOB, user=user, spec=JobSpec(queue=MATCHING_QUEUE), campaign_id=str(campaign.id))


def list_matches(campaign: Campaign, cursor: str | None, limit: int | None) -> Page:
    """A campaign's stored matches, best first, with the profile's headline figures."""
    stmt = (
        select(CampaignMatch, P)
        .join(P, and_(P.tenant_id == CampaignMatch.tenant_id, P.id == CampaignMatch.profile_id))
        .where(CampaignMatch.campaign_id == campaign.id)
    )
    page = paginate(
        stmt, [SortKey(CampaignMatch.rank, False, lambda row: row[0].rank, int)], cursor, limit, scalars=False
    )
    page.items = [_match_view(m, p) for m, p in page.items]
    return page


def _match_view(match: CampaignMatch, profile: InfluencerProfile) -> dict[str, Any]:
    return {
        "rank": match.rank,
        "score": match.score,
        "niche_fit": match.niche_fit,
        "contributions": match.contributions,
        "values": match.factor_values,
        "sentence": match.sentence,
        "influencer": {
            c: getattr(profile, c)
            for c in (
                "id",
                "display_name",
                "country",
                "niches",
                "platforms",
                "followers",
                "tier",
                "engagement_rate",
                "verified",
                "fraud_risk",
            )
        },
    }


def require_match_viewer(user: User, campaign_id: Any) -> Campaign:
    """Matches are for the campaign's brand members and admins only."""
    from marketplace.services.brands import brand_ids_of

    campaign = get_or_404(Campaign, campaign_id)
    if user.role == "admin" or (user.role == "brand" and campaign.brand_id in brand_ids_of(user)):
        return campaign
    raise NotFound("No such campaign.")
