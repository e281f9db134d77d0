"""Fake-follower risk: a 0..1 score with the reasons behind it.

Each signal yields a severity s in [0, 1]; each has a weight w in [0, 1] (DEFAULT_WEIGHTS). They
combine like independent pieces of evidence::

    score = 1 - product(1 - w_i * s_i)

so the score stays within [0, 1], one strong signal alone reaches at most its weight, and several
weak signals add up (two signals of 0.3 give 0.51, not 0.3). Raising any severity never lowers the
score. Thresholds and what the score cannot see are documented in docs/fraud.md.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from marketplace.domain import tiers

LOW_ENGAGEMENT = "low_engagement"
FOLLOWER_JUMP = "follower_jump"
FOLLOWING_RATIO = "following_ratio"
COMMENT_LIKE_RATIO = "comment_like_ratio"
AUDIENCE_MISMATCH = "audience_mismatch"

# How much a fully severe signal alone moves the score. Engagement far below the tier norm and
# sudden follower jumps are the classic marks of bought followers; the others are weaker alone
# because honest accounts trip them more often (follow-for-follow, giveaways, diaspora audiences).
DEFAULT_WEIGHTS: dict[str, float] = {
    LOW_ENGAGEMENT: 0.6,
    FOLLOWER_JUMP: 0.6,
    FOLLOWING_RATIO: 0.35,
    COMMENT_LIKE_RATIO: 0.35,
    AUDIENCE_MISMATCH: 0.4,
}
REVIEW_THRESHOLD = 0.5  # at or above: the profile goes to the admin review queue

# Engagement: suspicious below 30 % of the tier norm, fully severe at 5 % of it.
ENGAGEMENT_SUSPICIOUS_RATIO = 0.3
ENGAGEMENT_CERTAIN_RATIO = 0.05
# Follower jumps: growth above 20 % between snapshots at most 7 days apart; the severity is the
# growth per day (over at least one day) divided by 20 % a day; tiny absolute gains are noise.
JUMP_WINDOW_DAYS = 7.0
JUMP_MIN_GROWTH = 0.20
JUMP_SEVERE_PER_DAY = 0.20
JUMP_MIN_GAIN = 200
# Follower/following: following at least the followers on accounts above 2,000 followers, or a
# huge following list (suspicious from 2,000, fully at Instagram's 7,500 cap).
RATIO_MIN_FOLLOWERS = 2_000
FOLLOWING_HUGE_FROM = 2_000
FOLLOWING_HUGE_FULL = 7_500
# Comments per like: normal between 0.002 and 0.5, judged only above 50 likes per post.
COMMENTS_PER_LIKE_MIN = 0.002
COMMENTS_PER_LIKE_MAX = 0.5
COMMENT_RATIO_MIN_LIKES = 50
# Audience: the declared country should hold at least 10 % of the audience.
DECLARED_COUNTRY_MIN_SHARE = 0.10


@dataclass(frozen=True)
class FraudInputs:
    """The figures the signals read: one account's numbers, its history and its audience."""

    tier: str
    followers: int
    following: int
    engagement_rate: float
    avg_likes: float
    avg_comments: float
    snapshots: Sequence[tuple[datetime, int]] = ()
    audience_countries: Mapping[str, float] = field(default_factory=dict)
    declared_country: str | None = None


@dataclass(frozen=True)
class FraudReason:
    """One signal that fired: its code, weight, severity 0..1 and a readable detail."""

    code: str
    weight: float
    severity: float
    detail: str


@dataclass(frozen=True)
class FraudAssessment:
    """The risk score 0..1 and the reasons behind it, strongest first."""

    score: float
    reasons: list[FraudReason]

    @property
    def needs_review(self) -> bool:
        """True when the score is high enough for the admin review queue."""
        return self.score >= REVIEW_THRESHOLD


def assess_fraud(inputs: FraudInputs, weights: Mapping[str, float] = DEFAULT_WEIGHTS) -> FraudAssessment:
    """Score the fake-follower risk of an account from every signal and combine them."""
    found = [
        _low_engagement(inputs),
        _follower_jump(inputs),
        _following_ratio(inputs),
        _comment_like_ratio(inputs),
        _audience_mismatch(inputs),
    ]
    pairs, reasons = [], []
    for signal in found:
        if signal is None:
            continue
        code, severity, detail = signal
        severity = _clamp(severity)
        weight = _clamp(weights.get(code, DEFAULT_WEIGHTS[code]))
        if severity <= 0 or weight <= 0:
            continue
        pairs.append((weight, severity))
        reasons.append(FraudReason(code, weight, round(severity, 4), detail))
    reasons.sort(key=lambda r: (-r.weight * r.severity, r.code))
    return FraudAssessment(score=combine(pairs), reasons=reasons)


def combine(weighted_severities: Sequence[tuple[float, float]]) -> float:
    """1 - product(1 - w * s) over (weight, severity) pairs, each clamped to [0, 1]."""
    keep = 1.0
    for weight, severity in weighted_severities:
        keep *= 1.0 - _clamp(weight) * _clamp(severity)
    return _clamp(1.0 - keep)


Signal = tuple[str, float, str] | None


def _low_engagement(inputs: FraudInputs) -> Signal:
    if inputs.followers <= 0:
        return None
    tier = inputs.tier if inputs.tier in tiers.TIER_ENGAGEMENT_NORM else tiers.tier_for(inputs.followers)
    norm = tiers.TIER_ENGAGEMENT_NORM[tier]
    ratio = max(inputs.engagement_rate, 0.0) / norm
    if ratio >= ENGAGEMENT_SUSPICIOUS_RATIO:
        return None
    severity = (ENGAGEMENT_SUSPICIOUS_RATIO - ratio) / (
        ENGAGEMENT_SUSPICIOUS_RATIO - ENGAGEMENT_CERTAIN_RATIO
    )
    return (
        LOW_ENGAGEMENT,
        severity,
        f"Engagement {inputs.engagement_rate:.2%} is {ratio:.2f}x the {tier} norm of {norm:.1%} "
        f"(suspicious below {ENGAGEMENT_SUSPICIOUS_RATIO}x).",
    )


def _follower_jump(inputs: FraudInputs) -> Signal:
    ordered = sorted(inputs.snapshots, key=lambda snap: snap[0])
    worst: tuple[float, float, float, int, int] | None = None  # severity, growth, days, before, after
    for (t0, before), (t1, after) in itertools.pairwise(ordered):
        days = (t1 - t0).total_seconds() / 86_400
        if before <= 0 or days > JUMP_WINDOW_DAYS or after - before < JUMP_MIN_GAIN:
            continue
        growth = (after - before) / before
        if growth <= JUMP_MIN_GROWTH:
            continue
        severity = min(growth / max(days, 1.0) / JUMP_SEVERE_PER_DAY, 1.0)
        if worst is None or severity > worst[0]:
            worst = (severity, growth, days, before, after)
    if worst is None:
        return None
    severity, growth, days, before, after = worst
    return (
        FOLLOWER_JUMP,
        severity,
        f"Followers jumped {growth:+.0%} ({before:,} -> {after:,}) in {days:.1f} days "
        f"(suspicious above {JUMP_MIN_GROWTH:.0%} within {JUMP_WINDOW_DAYS:g} days).",
    )


def _following_ratio(inputs: FraudInputs) -> Signal:
    followers, following = max(inputs.followers, 0), max(inputs.following, 0)
    by_ratio = 0.0
    if followers > RATIO_MIN_FOLLOWERS and following >= followers:
        by_ratio = min(0.5 + 0.5 * (following / followers - 1.0), 1.0)
    by_size = min(
        max((following - FOLLOWING_HUGE_FROM) / (FOLLOWING_HUGE_FULL - FOLLOWING_HUGE_FROM), 0.0), 1.0
    )
    severity = max(by_ratio, by_size)
    if severity <= 0:
        return None
    why = (
        "follows at least as many accounts as follow it"
        if by_ratio >= by_size
        else "follows very many accounts"
    )
    return (
        FOLLOWING_RATIO,
        severity,
        f"Follows {following:,} accounts for {followers:,} followers: {why}.",
    )


def _comment_like_ratio(inputs: FraudInputs) -> Signal:
    likes, comments = max(inputs.avg_likes, 0.0), max(inputs.avg_comments, 0.0)
    if likes <= COMMENT_RATIO_MIN_LIKES:
        return None
    ratio = comments / likes
    if ratio < COMMENTS_PER_LIKE_MIN:
        severity = 0.3 + 0.7 * (COMMENTS_PER_LIKE_MIN - ratio) / COMMENTS_PER_LIKE_MIN
        why = "almost nobody comments: likes may be bought"
    elif ratio > COMMENTS_PER_LIKE_MAX:
        severity = 0.3 + 0.7 * min((ratio - COMMENTS_PER_LIKE_MAX) / COMMENTS_PER_LIKE_MAX, 1.0)
        why = "comments outnumber likes unusually: comment pods or bots"
    else:
        return None
    return (
        COMMENT_LIKE_RATIO,
        severity,
        f"{ratio:.3f} comments per like ({comments:,.0f} / {likes:,.0f}), normal is "
        f"{COMMENTS_PER_LIKE_MIN}-{COMMENTS_PER_LIKE_MAX}: {why}.",
    )


def _audience_mismatch(inputs: FraudInputs) -> Signal:
    if not inputs.declared_country or not inputs.audience_countries:
        return None
    declared = inputs.declared_country.upper()
    shares = {code.upper(): max(float(share), 0.0) for code, share in inputs.audience_countries.items()}
    share = shares.get(declared, 0.0)
    if share >= DECLARED_COUNTRY_MIN_SHARE:
        return None
    top_code, top_share = max(shares.items(), key=lambda item: (item[1], item[0]))
    severity = 0.5 + 0.5 * (DECLARED_COUNTRY_MIN_SHARE - share) / DECLARED_COUNTRY_MIN_SHARE
    return (
        AUDIENCE_MISMATCH,
        severity,
        f"Only {share:.0%} of the audience is in the declared market {declared} "
        f"(largest: {top_code} {top_share:.0%}; expected at least {DECLARED_COUNTRY_MIN_SHARE:.0%}).",
    )


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
