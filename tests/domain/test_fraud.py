"""Fake-follower risk: each signal, their combination, and the score's invariants."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.domain.fraud import (
    AUDIENCE_MISMATCH,
    COMMENT_LIKE_RATIO,
    DEFAULT_WEIGHTS,
    FOLLOWER_JUMP,
    FOLLOWING_RATIO,
    LOW_ENGAGEMENT,
    FraudInputs,
    assess_fraud,
    combine,
)

T0 = datetime(2025, 3, 1, tzinfo=UTC)

GENUINE_MICRO = FraudInputs(
    tier="micro",
    followers=15_000,
    following=800,
    engagement_rate=0.04,
    avg_likes=560,
    avg_comments=40,
    snapshots=[(T0 + timedelta(days=7 * week), 14_000 + 150 * week) for week in range(8)],
    audience_countries={"FR": 0.7, "BE": 0.1, "CH": 0.05},
    declared_country="FR",
)

BOUGHT = FraudInputs(
    tier="macro",
    followers=100_000,
    following=5_000,
    engagement_rate=0.002,
    avg_likes=170,
    avg_comments=30,
    # Shuffled on purpose: the assessment orders snapshots itself.
    snapshots=[(T0 + timedelta(days=3), 99_000), (T0, 61_875), (T0 - timedelta(days=14), 61_000)],
    audience_countries={"IN": 0.8, "FR": 0.05, "US": 0.05},
    declared_country="FR",
)

fraud_inputs = st.builds(
    FraudInputs,
    tier=st.sampled_from(["nano", "micro", "macro", "mega", "unknown"]),
    followers=st.integers(min_value=0, max_value=10**8),
    following=st.integers(min_value=0, max_value=10**6),
    engagement_rate=st.floats(min_value=0, max_value=2, allow_nan=False),
    avg_likes=st.floats(min_value=0, max_value=10**7, allow_nan=False),
    avg_comments=st.floats(min_value=0, max_value=10**7, allow_nan=False),
    snapshots=st.lists(
        st.tuples(
            st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
            st.integers(min_value=0, max_value=10**8),
        ),
        max_size=6,
    ),
    audience_countries=st.dictionaries(
        st.sampled_from(["FR", "US", "IN", "BR"]), st.floats(0, 1), max_size=4
    ),
    declared_country=st.one_of(st.none(), st.sampled_from(["FR", "US", "DE"])),
)


def test_genuine_micro_profile_scores_low() -> None:
    """A steady micro account with normal engagement and a home audience scores below 0.3."""
    assessment = assess_fraud(GENUINE_MICRO)
    assert assessment.score < 0.3
    assert not assessment.needs_review


def test_bought_followers_profile_scores_high_with_its_reasons() -> None:
    """Low engagement, a +60 % jump in 3 days, a big following list and a foreign audience score above 0.7."""
    assessment = assess_fraud(BOUGHT)
    assert assessment.score > 0.7
    assert assessment.needs_review
    codes = {reason.code for reason in assessment.reasons}
    assert {LOW_ENGAGEMENT, FOLLOWER_JUMP, FOLLOWING_RATIO, AUDIENCE_MISMATCH} <= codes
    jump = next(r for r in assessment.reasons if r.code == FOLLOWER_JUMP)
    assert "+60%" in jump.detail
    strengths = [r.weight * r.severity for r in assessment.reasons]
    assert strengths == sorted(strengths, reverse=True)


def test_low_engagement_grows_below_thirty_percent_of_the_norm() -> None:
    """Engagement at 30 % of the tier norm or more is fine; below, severity grows to 1."""
    base = dataclasses.replace(GENUINE_MICRO, snapshots=[], avg_likes=0, avg_comments=0)
    severities = []
    for ratio in (0.35, 0.25, 0.15, 0.05, 0.0):
        found = assess_fraud(dataclasses.replace(base, engagement_rate=0.035 * ratio)).reasons
        severities.append(next((r.severity for r in found if r.code == LOW_ENGAGEMENT), 0.0))
    assert severities[0] == 0.0
    assert severities == sorted(severities)
    assert severities[-1] == 1.0


def test_follower_jump_needs_twenty_percent_within_a_week() -> None:
    """+25 % within 7 days fires, +25 % over 10 days does not, +10 % within a day does not."""
    base = dataclasses.replace(GENUINE_MICRO, snapshots=[])

    def jump(days: float, before: int, after: int) -> float:
        snaps = [(T0, before), (T0 + timedelta(days=days), after)]
        found = assess_fraud(dataclasses.replace(base, snapshots=snaps)).reasons
        return next((r.severity for r in found if r.code == FOLLOWER_JUMP), 0.0)

    assert jump(7, 10_000, 12_500) > 0
    assert jump(10, 10_000, 12_500) == 0
    assert jump(1, 10_000, 11_000) == 0
    assert jump(1, 10_000, 13_000) > jump(7, 10_000, 13_000)  # faster is worse
    assert jump(2, 100, 250) == 0  # tiny absolute gains are noise


def test_follower_following_ratio() -> None:
    """Following at least the followers above 2,000 followers, or a huge following list, fires."""
    base = dataclasses.replace(GENUINE_MICRO, snapshots=[])

    def severity(followers: int, following: int) -> float:
        found = assess_fraud(dataclasses.replace(base, followers=followers, following=following)).reasons
        return next((r.severity for r in found if r.code == FOLLOWING_RATIO), 0.0)

    assert severity(15_000, 800) == 0
    assert severity(3_000, 1_900) == 0
    assert severity(3_000, 3_000) >= 0.5
    assert severity(1_500, 1_600) == 0  # small accounts often follow back
    assert severity(500_000, 7_500) == 1.0


def test_comment_like_ratio_out_of_range() -> None:
    """Under 0.002 or over 0.5 comments per like fires above 50 likes; below 50 likes it is not judged."""
    base = dataclasses.replace(GENUINE_MICRO, snapshots=[])

    def severity(likes: float, comments: float) -> float:
        found = assess_fraud(dataclasses.replace(base, avg_likes=likes, avg_comments=comments)).reasons
        return next((r.severity for r in found if r.code == COMMENT_LIKE_RATIO), 0.0)

    assert severity(1_000, 50) == 0
    assert severity(10_000, 5) > 0
    assert severity(1_000, 900) > 0
    assert severity(40, 0) == 0


def test_audience_unlike_the_declared_market() -> None:
    """Less than 10 % of the audience in the declared country fires; no declared country, no signal."""
    base = dataclasses.replace(GENUINE_MICRO, snapshots=[])
    foreign = dataclasses.replace(base, audience_countries={"BR": 0.9, "FR": 0.02})
    assert AUDIENCE_MISMATCH in {r.code for r in assess_fraud(foreign).reasons}
    undeclared = dataclasses.replace(foreign, declared_country=None)
    assert AUDIENCE_MISMATCH not in {r.code for r in assess_fraud(undeclared).reasons}


def test_weak_signals_add_up() -> None:
    """Two signals together score more than either alone, following 1 - prod(1 - w*s)."""
    assert combine([(0.5, 0.6), (0.5, 0.6)]) == pytest.approx(1 - 0.7 * 0.7)
    assert combine([]) == 0.0
    assert combine([(2.0, 1.0)]) == 1.0  # weights are clamped


def test_custom_weights_change_the_score() -> None:
    """A tenant weight of 0 switches a signal off."""
    off = {**DEFAULT_WEIGHTS, LOW_ENGAGEMENT: 0.0}
    assert assess_fraud(BOUGHT, off).score < assess_fraud(BOUGHT).score
    assert LOW_ENGAGEMENT not in {r.code for r in assess_fraud(BOUGHT, off).reasons}


@given(fraud_inputs)
def test_score_always_within_zero_and_one(inputs: FraudInputs) -> None:
    """Whatever the figures, the score is within [0, 1] and every reason's severity too."""
    assessment = assess_fraud(inputs)
    assert 0.0 <= assessment.score <= 1.0
    assert all(0.0 < r.severity <= 1.0 for r in assessment.reasons)


@given(fraud_inputs, st.floats(min_value=0, max_value=2, allow_nan=False))
def test_lower_engagement_never_lowers_the_score(inputs: FraudInputs, other: float) -> None:
    """All else equal, lower engagement never gives a lower risk."""
    low, high = sorted((inputs.engagement_rate, other))
    at_low = assess_fraud(dataclasses.replace(inputs, engagement_rate=low)).score
    at_high = assess_fraud(dataclasses.replace(inputs, engagement_rate=high)).score
    assert at_low >= at_high
