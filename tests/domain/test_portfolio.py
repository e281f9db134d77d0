"""Portfolio selection: slots and budget respected, overlap penalised, better reach than top-by-score."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.domain.niches import niche_fit
from marketplace.domain.portfolio import PortfolioCandidate, build_portfolio, target_audience_covered

COUNTRIES = ["FR", "BE", "DE", "ES", "IT", "US", "GB", "CH"]
NICHES = ["food", "travel", "fashion", "fitness", "tech", "gaming", "beauty", "parenting"]
PLATFORMS = ["instagram", "tiktok", "youtube"]
TARGETS = ["FR", "BE"]


def synthetic(seed: int, count: int = 60, wanted: tuple[str, ...] = ("food",)) -> list[PortfolioCandidate]:
    """A seeded roster; match scores follow niche fit the way the matcher's do (fit dominates)."""
    rng = random.Random(seed)
    roster = []
    for i in range(count):
        followers = int(10 ** rng.uniform(3, 6.3))
        countries = rng.sample(COUNTRIES, rng.randint(1, 4))
        weights = [rng.random() for _ in countries]
        total = sum(weights) * rng.uniform(1.0, 1.3)  # some audience stays undeclared
        niches = rng.sample(NICHES, rng.randint(1, 2))
        fit = niche_fit(niches, list(wanted)) if wanted else "exact"
        score = 0.4 * {"exact": 1.0, "related": 0.5, "none": 0.0}[fit] + 0.6 * rng.random()
        roster.append(
            PortfolioCandidate(
                id=f"inf-{i:03d}",
                followers=followers,
                audience_countries={c: w / total for c, w in zip(countries, weights, strict=True)},
                niches=niches,
                platforms=rng.sample(PLATFORMS, rng.randint(1, 2)),
                cost_minor=int(followers * rng.uniform(0.5, 3.0)),
                match_score=score * (0.3 if fit == "none" else 1.0),
            )
        )
    return roster


def top_by_score(candidates: list[PortfolioCandidate], slots: int, budget: int) -> list[str]:
    """The baseline: best match scores first, skipping whoever no longer fits the budget."""
    chosen, left = [], budget
    for candidate in sorted(candidates, key=lambda c: (-c.match_score, str(c.id))):
        if len(chosen) == slots:
            break
        if candidate.cost_minor <= left:
            chosen.append(candidate.id)
            left -= candidate.cost_minor
    return chosen


@pytest.mark.parametrize("seed", [42, 7, 1234, 2024, 99, 31337])
@pytest.mark.parametrize("wanted", [("food",), ()])
def test_portfolio_covers_at_least_the_top_by_score_for_the_same_budget(
    seed: int, wanted: tuple[str, ...]
) -> None:
    """Same slots and budget: the portfolio reaches at least the target audience of top-by-score."""
    rng = random.Random(seed)
    candidates = synthetic(seed, wanted=wanted)
    slots = rng.randint(3, 8)
    budget = int(sum(c.cost_minor for c in candidates) * rng.uniform(0.05, 0.3) * slots / len(candidates))
    portfolio = build_portfolio(
        candidates, target_countries=TARGETS, target_niches=wanted, slots=slots, budget_minor=budget
    )
    baseline = target_audience_covered(top_by_score(candidates, slots, budget), candidates, TARGETS)
    assert portfolio.target_audience >= baseline
    assert len(portfolio.picks) <= slots
    assert portfolio.total_cost_minor <= budget


def test_overlap_is_penalised() -> None:
    """With one slot left, a different platform and niche beats a slightly larger look-alike."""
    anchor = PortfolioCandidate("anchor", 100_000, {"FR": 1.0}, ["food"], ["instagram"], 100)
    twin = PortfolioCandidate("twin", 60_000, {"FR": 1.0}, ["food"], ["instagram"], 100)
    other = PortfolioCandidate("other", 50_000, {"FR": 1.0}, ["travel"], ["tiktok"], 100)
    portfolio = build_portfolio([anchor, twin, other], target_countries=["FR"], slots=2, budget_minor=1_000)
    assert [p.id for p in portfolio.picks] == ["anchor", "other"]
    portfolio = build_portfolio([anchor, twin], target_countries=["FR"], slots=2, budget_minor=1_000)
    assert "overlaps niche food with 1 earlier pick(s)" in portfolio.picks[1].explanation


def test_budget_favours_value_for_money_and_best_single_item() -> None:
    """Cost-benefit greedy finds several cheap picks; when one big item beats them, it is taken alone."""
    big = PortfolioCandidate("big", 100_000, {"FR": 1.0}, ["food"], ["instagram"], 1_000)
    cheap = [
        PortfolioCandidate(f"cheap-{i}", 40_000, {"FR": 1.0}, [n], [p], 300)
        for i, (n, p) in enumerate([("food", "tiktok"), ("travel", "youtube"), ("fitness", "instagram")])
    ]
    portfolio = build_portfolio([big, *cheap], target_countries=["FR"], slots=3, budget_minor=1_000)
    assert {p.id for p in portfolio.picks} == {"cheap-0", "cheap-1", "cheap-2"}
    lone = PortfolioCandidate("lone", 1_000_000, {"FR": 1.0}, ["food"], ["instagram"], 1_000)
    tiny = PortfolioCandidate("tiny", 1_000, {"FR": 1.0}, ["food"], ["tiktok"], 1)
    portfolio = build_portfolio([lone, tiny], target_countries=["FR"], slots=2, budget_minor=1_000)
    assert [p.id for p in portfolio.picks] == ["lone"]


def test_picks_carry_running_totals() -> None:
    """Marginal gains add up to each pick's cumulative coverage and to the portfolio's coverage."""
    portfolio = build_portfolio(synthetic(42), target_countries=TARGETS, target_niches=["food"], slots=5)
    running = 0.0
    for pick in portfolio.picks:
        running += pick.marginal_gain
        assert pick.cumulative_coverage == pytest.approx(running)
        assert pick.marginal_gain > 0
        assert pick.explanation.startswith("Adds ")
    assert portfolio.coverage == pytest.approx(running)
    assert len(portfolio.picks) == 5  # no budget given: only the slots limit


def test_nothing_affordable_or_no_slots() -> None:
    """No slots or nothing within budget gives an empty portfolio."""
    roster = synthetic(7, count=10)
    assert build_portfolio(roster, target_countries=TARGETS, slots=0).picks == []
    empty = build_portfolio(roster, target_countries=TARGETS, slots=3, budget_minor=0)
    assert empty.picks == [] and empty.total_cost_minor == 0


def test_target_audience_is_followers_times_share() -> None:
    """The plain measure sums followers x share in the target countries, without decay."""
    a = PortfolioCandidate("a", 10_000, {"FR": 0.5, "US": 0.5}, ["food"], ["instagram"], 1)
    b = PortfolioCandidate("b", 20_000, {"BE": 0.25, "FR": 0.25}, ["food"], ["instagram"], 1)
    assert target_audience_covered(["a", "b"], [a, b], ["FR", "BE"]) == pytest.approx(15_000)
    picks = build_portfolio([a, b], target_countries=["fr", "be"], slots=2).picks
    assert target_audience_covered(picks, [a, b], ["FR", "BE"]) == pytest.approx(15_000)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=10), st.floats(0.01, 1.0)
)
def test_slots_and_budget_always_hold(seed: int, slots: int, budget_share: float) -> None:
    """Whatever the roster, the portfolio never exceeds its slots or its budget and never repeats a pick."""
    roster = synthetic(seed, count=25)
    budget = int(sum(c.cost_minor for c in roster) * budget_share / 5)
    portfolio = build_portfolio(
        roster, target_countries=TARGETS, target_niches=["food"], slots=slots, budget_minor=budget
    )
    ids = [p.id for p in portfolio.picks]
    assert len(ids) == len(set(ids)) <= slots
    assert portfolio.total_cost_minor <= budget
