"""Match scoring: how well one influencer fits a campaign brief, and why.

This is the Python half of the matcher. SQL applies the hard filters (platforms, languages, minimum
engagement, exclusions, suspensions) and a first score; this module computes the final score. It is
deliberately a weighted sum of simple per-factor values in [0, 1] so SQL can mirror it::

    total = penalty x sum(WEIGHTS[f] x value[f])      penalty = NICHE_NONE_PENALTY if niche fit is "none"

Per-factor values:

- niche: exact 1.0, related 0.5, none 0.0 (niches.niche_fit)
- audience: share of the audience in the target countries (1.0 when the brief names none)
- tier: 1.0 wanted (or no tier wanted), 0.5 a neighbouring tier, 0.0 otherwise
- engagement: engagement / tier norm / 1.5, capped at 1 (1.5x the norm or more is full marks)
- authenticity: 1 - fraud risk (an unassessed profile counts as 0.5)
- budget: see budget_fit
- reputation: Bayesian mean rating / 5, pulled toward 3.5 by 3 phantom ratings (0.7 when unrated)
- verified: 1.0 or 0.0

Niche fit dominates: an off-niche candidate scores at most 0.3 x 0.60 = 0.18, while an exact-niche
candidate with fraud risk <= 0.3 scores at least 0.40 + 0.12 x 0.7 = 0.484, whatever the other
numbers are. So an off-niche influencer can never outrank a credible on-niche one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from marketplace.domain import niches, tiers

WEIGHTS: dict[str, float] = {
    "niche": 0.40,
    "audience": 0.15,
    "authenticity": 0.12,
    "engagement": 0.10,
    "tier": 0.08,
    "budget": 0.08,
    "reputation": 0.04,
    "verified": 0.03,
}
NICHE_NONE_PENALTY = 0.3  # multiplies the whole total of an off-niche candidate
NICHE_VALUE = {"exact": 1.0, "related": 0.5, "none": 0.0}
ENGAGEMENT_FULL_AT = 1.5  # engagement this many times the tier norm gets full marks
UNASSESSED_FRAUD_RISK = 0.5
RATING_PRIOR_MEAN, RATING_PRIOR_COUNT = 3.5, 3
COMPENSATION_KINDS = ("full", "symbolic", "in_kind", "mixed")


class Deliverable(NamedTuple):
    """One line of a brief: what to deliver, where, how many, and whether it is created or shared."""

    platform: str
    type: str
    quantity: int
    content_creation: bool


@dataclass(frozen=True)
class BriefFeatures:
    """What a campaign brief asks for, as matching reads it."""

    niches: Sequence[str]
    target_countries: Sequence[str] = ()
    tiers: Sequence[str] = ()
    languages: Sequence[str] = ()
    platforms: Sequence[str] = ()
    min_engagement: float | None = None
    cash_per_influencer_minor: int | None = None
    compensation: str = "full"
    deliverables: Sequence[tuple[str, str, int, bool]] = ()


@dataclass(frozen=True)
class CandidateFeatures:
    """What matching reads of one influencer."""

    influencer_id: Hashable
    display_name: str
    niches: Sequence[str]
    tier: str
    engagement_rate: float
    audience_countries: Mapping[str, float] = field(default_factory=dict)
    fraud_risk: float | None = None
    rate_card: Mapping[tuple[str, str, bool], int] = field(default_factory=dict)
    accepts_in_kind: bool = False
    rating: float | None = None
    rating_count: int = 0
    verified: bool = False
    followers: int = 0


@dataclass(frozen=True)
class MatchScore:
    """A candidate's total 0..1, each factor's value and weighted contribution, and one sentence of why."""

    influencer_id: Hashable
    display_name: str
    total: float
    contributions: dict[str, float]
    values: dict[str, float]
    niche_fit: str
    multiplier: float
    sentence: str


def score_candidate(candidate: CandidateFeatures, brief: BriefFeatures) -> MatchScore:
    """Score one candidate against a brief: weighted factor values, the niche penalty, a sentence."""
    fit = niches.niche_fit(candidate.niches, brief.niches)
    budget, budget_text = budget_fit(candidate, brief)
    values = {
        "niche": NICHE_VALUE[fit],
        "audience": audience_share(candidate.audience_countries, brief.target_countries),
        "authenticity": 1.0 - _clamp(_risk(candidate)),
        "engagement": engagement_value(candidate.engagement_rate, candidate.tier),
        "tier": tier_value(candidate.tier, brief.tiers),
        "budget": budget,
        "reputation": reputation_value(candidate.rating, candidate.rating_count),
        "verified": 1.0 if candidate.verified else 0.0,
    }
    contributions = {name: WEIGHTS[name] * value for name, value in values.items()}
    multiplier = NICHE_NONE_PENALTY if fit == "none" else 1.0
    total = _clamp(multiplier * sum(contributions.values()))
    return MatchScore(
        influencer_id=candidate.influencer_id,
        display_name=candidate.display_name,
        total=total,
        contributions=contributions,
        values=values,
        niche_fit=fit,
        multiplier=multiplier,
        sentence=_sentence(candidate, brief, fit, values, budget_text),
    )


def rank(candidates: Iterable[CandidateFeatures], brief: BriefFeatures, k: int) -> list[MatchScore]:
    """The k best candidates, highest total first; ties broken by id for a stable order."""
    scores = [score_candidate(candidate, brief) for candidate in candidates]
    scores.sort(key=lambda s: (-s.total, str(s.influencer_id)))
    return scores[: max(k, 0)]


def audience_share(audience_countries: Mapping[str, float], targets: Sequence[str]) -> float:
    """Share of the audience in the target countries (1.0 when there are no targets)."""
    if not targets:
        return 1.0
    shares = {code.upper(): max(float(share), 0.0) for code, share in audience_countries.items()}
    total = sum(shares.values())
    scale = 1.0 / total if total > 1 else 1.0
    return _clamp(sum(shares.get(code.upper(), 0.0) for code in set(targets)) * scale)


def tier_value(tier: str, wanted: Sequence[str]) -> float:
    """1 for a wanted tier (or when any tier will do), 0.5 for a neighbouring tier, else 0."""
    if not wanted or tier in wanted:
        return 1.0
    if tier not in tiers.TIERS:
        return 0.0
    index = tiers.TIERS.index(tier)
    near = {tiers.TIERS[i] for i in (index - 1, index + 1) if 0 <= i < len(tiers.TIERS)}
    return 0.5 if near & set(wanted) else 0.0


def engagement_value(engagement_rate: float, tier: str) -> float:
    """Engagement relative to the tier norm, full marks at ENGAGEMENT_FULL_AT x the norm."""
    norm = tiers.TIER_ENGAGEMENT_NORM.get(tier, tiers.TIER_ENGAGEMENT_NORM["micro"])
    return _clamp(max(engagement_rate, 0.0) / norm / ENGAGEMENT_FULL_AT)


def reputation_value(rating: float | None, rating_count: int) -> float:
    """Bayesian mean of the ratings on a 0..1 scale, pulled toward 3.5/5 when there are few."""
    count = max(rating_count, 0) if rating is not None else 0
    mean = ((rating or 0.0) * count + RATING_PRIOR_MEAN * RATING_PRIOR_COUNT) / (count + RATING_PRIOR_COUNT)
    return _clamp(mean / 5.0)


def brief_cost(rate_card: Mapping[tuple[str, str, bool], int], brief: BriefFeatures) -> int | None:
    """What the brief's deliverables cost on this rate card, or None when a price is missing."""
    total = 0
    for platform, kind, quantity, creation in brief.deliverables:
        price = rate_card.get((platform, kind, bool(creation) and kind != "share"))
        if price is None:
            return None
        total += price * max(quantity, 0)
    return total


def budget_fit(candidate: CandidateFeatures, brief: BriefFeatures) -> tuple[float, str]:
    """Budget value 0..1 and its words.

    Cash: 1 within the cash per influencer, falling linearly to 0 at twice it, 0.5 when the rate
    card lacks a price for a deliverable, 1 when the brief sets no cash amount. In-kind: 1 if the
    influencer accepts in-kind deals, else 0. Mixed: the mean of the cash fit and the in-kind one.
    """
    in_kind = 1.0 if candidate.accepts_in_kind else 0.0
    in_kind_text = "accepts in-kind deals" if candidate.accepts_in_kind else "does not accept in-kind deals"
    if brief.compensation == "in_kind":
        return in_kind, in_kind_text
    cash, cash_text = _cash_fit(candidate, brief)
    if brief.compensation == "mixed":
        return (cash + in_kind) / 2, f"{cash_text}, {in_kind_text}"
    return cash, cash_text


def _cash_fit(candidate: CandidateFeatures, brief: BriefFeatures) -> tuple[float, str]:
    budget = brief.cash_per_influencer_minor
    if budget is None:
        return 1.0, "no cash budget set"
    cost = brief_cost(candidate.rate_card, brief)
    if cost is None:
        return 0.5, "no rate card price for every deliverable"
    if cost <= budget:
        return 1.0, "rate card within budget"
    if budget <= 0:
        return 0.0, "rate card above a zero cash budget"
    over = cost / budget - 1.0
    return _clamp(1.0 - over), f"rate card {over:.0%} over budget"


def _risk(candidate: CandidateFeatures) -> float:
    return UNASSESSED_FRAUD_RISK if candidate.fraud_risk is None else candidate.fraud_risk


def _sentence(
    candidate: CandidateFeatures,
    brief: BriefFeatures,
    fit: str,
    values: Mapping[str, float],
    budget_text: str,
) -> str:
    """One readable sentence of why the candidate scores as it does."""
    have, want = sorted(set(candidate.niches)), sorted(set(brief.niches))
    if not want:
        parts = ["No niche asked"]
    elif fit == "exact":
        parts = [f"Exact niche fit ({', '.join(sorted(set(have) & set(want)))})"]
    elif fit == "related":
        close = sorted(set(have) & niches.expand(want))
        parts = [f"Related niche ({', '.join(close)}, close to {', '.join(want)})"]
    else:
        parts = [f"Off-niche ({', '.join(have) or 'no niche'} for {', '.join(want)})"]

    if brief.target_countries:
        targets = sorted({c.upper() for c in brief.target_countries})
        shown = "/".join(targets[:3]) + ("/..." if len(targets) > 3 else "")
        parts.append(f"{values['audience']:.0%} of audience in {shown}")

    if not brief.tiers:
        parts.append(f"{candidate.tier} tier")
    elif values["tier"] == 1.0:
        parts.append(f"{candidate.tier} tier as wanted")
    else:
        parts.append(f"{candidate.tier} tier (wanted: {', '.join(brief.tiers)})")

    norm = tiers.TIER_ENGAGEMENT_NORM.get(candidate.tier, tiers.TIER_ENGAGEMENT_NORM["micro"])
    parts.append(f"engagement {max(candidate.engagement_rate, 0.0) / norm:.1f}x the {candidate.tier} norm")

    risk = candidate.fraud_risk
    if risk is None:
        parts.append("fraud risk not assessed yet")
    elif risk < 0.3:
        parts.append("low fraud risk")
    elif risk < 0.6:
        parts.append(f"moderate fraud risk ({risk:.2f})")
    else:
        parts.append(f"high fraud risk ({risk:.2f})")

    parts.append(budget_text)
    if candidate.rating is not None and candidate.rating_count > 0:
        parts.append(f"rated {candidate.rating:.1f}/5 ({candidate.rating_count} ratings)")
    if candidate.verified:
        parts.append("verified")
    return ", ".join(parts) + "."


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
