"""Match scoring: niche fit dominates, each factor is explained, ranking is stable."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.domain.matching import (
    NICHE_NONE_PENALTY,
    WEIGHTS,
    BriefFeatures,
    CandidateFeatures,
    Deliverable,
    budget_fit,
    rank,
    score_candidate,
)

BRIEF = BriefFeatures(
    niches=["food"],
    target_countries=["FR", "BE"],
    tiers=["micro"],
    languages=["fr"],
    platforms=["instagram"],
    min_engagement=0.01,
    cash_per_influencer_minor=100_000,
    compensation="full",
    deliverables=[Deliverable("instagram", "post", 2, True), Deliverable("instagram", "story", 3, True)],
)

FOODIE = CandidateFeatures(
    influencer_id="a-foodie",
    display_name="Chez Lou",
    niches=["food"],
    tier="micro",
    engagement_rate=0.049,
    audience_countries={"FR": 0.52, "BE": 0.10, "CH": 0.08},
    fraud_risk=0.1,
    rate_card={("instagram", "post", True): 30_000, ("instagram", "story", True): 10_000},
    accepts_in_kind=True,
    rating=4.6,
    rating_count=12,
    verified=False,
    followers=22_000,
)

numbers = st.fixed_dictionaries(
    {
        "tier": st.sampled_from(["nano", "micro", "macro", "mega"]),
        "engagement_rate": st.floats(min_value=0, max_value=0.5, allow_nan=False),
        "audience_countries": st.dictionaries(
            st.sampled_from(["FR", "BE", "US", "IN"]), st.floats(0, 1), max_size=4
        ),
        "rating": st.one_of(st.none(), st.floats(min_value=0, max_value=5)),
        "rating_count": st.integers(min_value=0, max_value=500),
        "verified": st.booleans(),
        "accepts_in_kind": st.booleans(),
        "rate_card": st.dictionaries(
            st.sampled_from([("instagram", "post", True), ("instagram", "story", True)]),
            st.integers(min_value=0, max_value=10**7),
        ),
    }
)


def test_weights_add_up_to_one_and_niche_dominates() -> None:
    """The weights sum to 1 and niche fit carries the most."""
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert max(WEIGHTS, key=WEIGHTS.__getitem__) == "niche"


def test_score_explains_itself_in_one_sentence() -> None:
    """A good candidate scores high and the sentence names niche, audience, tier, engagement, risk, budget."""
    score = score_candidate(FOODIE, BRIEF)
    assert score.total > 0.85
    assert score.sentence.startswith("Exact niche fit (food), 62% of audience in BE/FR, micro tier as wanted")
    assert "engagement 1.4x the micro norm" in score.sentence
    assert "low fraud risk" in score.sentence
    assert "rate card within budget" in score.sentence
    assert score.sentence.endswith(".")
    assert set(score.contributions) == set(WEIGHTS)
    for name, value in score.values.items():
        assert 0.0 <= value <= 1.0
        assert score.contributions[name] == pytest.approx(WEIGHTS[name] * value)
    assert score.total == pytest.approx(sum(score.contributions.values()))


def test_off_niche_is_penalised_on_the_whole_total() -> None:
    """A candidate with no niche fit gets its whole total multiplied by the penalty."""
    off = dataclasses.replace(FOODIE, niches=["jewellery"])
    score = score_candidate(off, BRIEF)
    assert score.niche_fit == "none"
    assert score.multiplier == NICHE_NONE_PENALTY
    assert score.total == pytest.approx(NICHE_NONE_PENALTY * sum(score.contributions.values()))
    assert score.sentence.startswith("Off-niche (jewellery for food)")


def test_related_niche_sits_between() -> None:
    """A related niche scores between an exact and an off-niche one."""
    exact = score_candidate(FOODIE, BRIEF).total
    related = score_candidate(dataclasses.replace(FOODIE, niches=["travel"]), BRIEF)
    off = score_candidate(dataclasses.replace(FOODIE, niches=["gaming"]), BRIEF).total
    assert off < related.total < exact
    assert related.sentence.startswith("Related niche (travel, close to food)")


@given(numbers, numbers, st.floats(min_value=0, max_value=0.3), st.floats(min_value=0, max_value=1))
def test_off_niche_never_outranks_a_credible_on_niche_candidate(
    on: dict, off: dict, on_risk: float, off_risk: float
) -> None:
    """Whatever the other numbers, an exact-niche candidate with fraud risk <= 0.3 beats an off-niche one."""
    credible = dataclasses.replace(FOODIE, influencer_id="on", niches=["food"], fraud_risk=on_risk, **on)
    stranger = dataclasses.replace(
        FOODIE, influencer_id="off", niches=["jewellery"], fraud_risk=off_risk, **off
    )
    assert score_candidate(credible, BRIEF).total > score_candidate(stranger, BRIEF).total
    assert [s.influencer_id for s in rank([stranger, credible], BRIEF, 2)] == ["on", "off"]


@given(numbers)
def test_total_is_always_within_zero_and_one(features: dict) -> None:
    """Every total and every factor value stays within [0, 1]."""
    score = score_candidate(dataclasses.replace(FOODIE, **features), BRIEF)
    assert 0.0 <= score.total <= 1.0
    assert all(0.0 <= v <= 1.0 for v in score.values.values())


def test_budget_fit_for_cash_briefs() -> None:
    """Within budget 1, over budget decreasing, missing price 0.5, no cash amount 1."""
    # FOODIE's card: 2 posts x 300 + 3 stories x 100 = 900.00 for a 1,000.00 budget.
    assert budget_fit(FOODIE, BRIEF)[0] == 1.0
    tight = dataclasses.replace(BRIEF, cash_per_influencer_minor=60_000)
    assert budget_fit(FOODIE, tight)[0] == pytest.approx(0.5)
    assert "50% over budget" in budget_fit(FOODIE, tight)[1]
    very_tight = dataclasses.replace(BRIEF, cash_per_influencer_minor=30_000)
    assert budget_fit(FOODIE, very_tight)[0] == 0.0
    no_story = dataclasses.replace(FOODIE, rate_card={("instagram", "post", True): 30_000})
    assert budget_fit(no_story, BRIEF)[0] == 0.5
    assert budget_fit(FOODIE, dataclasses.replace(BRIEF, cash_per_influencer_minor=None))[0] == 1.0


def test_budget_fit_for_in_kind_and_mixed_briefs() -> None:
    """In-kind briefs score acceptance of in-kind deals; mixed ones average cash and in-kind."""
    in_kind = dataclasses.replace(BRIEF, compensation="in_kind", cash_per_influencer_minor=None)
    assert budget_fit(FOODIE, in_kind)[0] == 1.0
    refuses = dataclasses.replace(FOODIE, accepts_in_kind=False)
    assert budget_fit(refuses, in_kind)[0] == 0.0
    mixed = dataclasses.replace(BRIEF, compensation="mixed")
    assert budget_fit(refuses, mixed)[0] == pytest.approx(0.5)


def test_tier_and_rating_values() -> None:
    """A neighbouring tier scores half; an unrated profile gets a neutral reputation."""
    macro = score_candidate(dataclasses.replace(FOODIE, tier="macro"), BRIEF)
    mega = score_candidate(dataclasses.replace(FOODIE, tier="mega"), BRIEF)
    assert macro.values["tier"] == 0.5
    assert mega.values["tier"] == 0.0
    unrated = score_candidate(dataclasses.replace(FOODIE, rating=None, rating_count=0), BRIEF)
    assert unrated.values["reputation"] == pytest.approx(0.7)
    assert "rated" not in unrated.sentence


def test_fraud_risk_lowers_the_score() -> None:
    """A higher fraud risk lowers the score and the sentence says so."""
    risky = score_candidate(dataclasses.replace(FOODIE, fraud_risk=0.8), BRIEF)
    assert risky.total < score_candidate(FOODIE, BRIEF).total
    assert "high fraud risk (0.80)" in risky.sentence


def test_rank_sorts_by_total_then_id_and_cuts_at_k() -> None:
    """Highest total first, ties by id, at most k results."""
    twins = [dataclasses.replace(FOODIE, influencer_id=i) for i in ("c", "a", "b")]
    weaker = dataclasses.replace(FOODIE, influencer_id="0", engagement_rate=0.001)
    ranked = rank([*twins, weaker], BRIEF, 3)
    assert [s.influencer_id for s in ranked] == ["a", "b", "c"]
    assert [s.influencer_id for s in rank([*twins, weaker], BRIEF, 10)][-1] == "0"
    assert rank(twins, BRIEF, 0) == []
