"""The rate estimate: model factors, calibration on the tenant's market, and its invariants."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.domain.rates import (
    DELIVERABLE_FACTOR,
    PLATFORM_BASE_EUR,
    ComparablePrice,
    RateInputs,
    estimate_rate,
    geography_multiplier,
)

BASE = RateInputs(
    followers=25_000,
    engagement_rate=0.04,
    niches=["food"],
    platform="instagram",
    deliverable="post",
    content_creation=True,
    audience_countries={"FR": 0.6, "BE": 0.2},
    currency="EUR",
)

inputs_strategy = st.builds(
    RateInputs,
    followers=st.integers(min_value=0, max_value=50_000_000),
    engagement_rate=st.floats(min_value=0, max_value=1, allow_nan=False),
    niches=st.lists(st.sampled_from(["food", "finance", "fashion", "gaming", "travel", "nope"]), max_size=3),
    platform=st.sampled_from(sorted(PLATFORM_BASE_EUR)),
    deliverable=st.sampled_from(sorted(DELIVERABLE_FACTOR)),
    content_creation=st.booleans(),
    audience_countries=st.dictionaries(
        st.sampled_from(["US", "FR", "IN", "CH", "BR", "ZZ"]), st.floats(min_value=0, max_value=1), max_size=4
    ),
    currency=st.sampled_from(["EUR", "USD", "JPY", "CHF", "XYZ"]),
)


def _amounts(inputs: RateInputs, comparables: list[ComparablePrice] | None = None) -> tuple[int, int, int]:
    estimate = estimate_rate(inputs, comparables)
    return estimate.low_minor, estimate.typical_minor, estimate.high_minor


def _market(ratio: float, count: int) -> list[ComparablePrice]:
    """Comparables each paid `ratio` times what the model prices them at."""
    comparables = []
    for i in range(count):
        followers = 5_000 + 3_000 * i
        model = estimate_rate(
            dataclasses.replace(BASE, followers=followers, niches=[], audience_countries={})
        )
        comparables.append(
            ComparablePrice(
                followers=followers,
                engagement_rate=BASE.engagement_rate,
                platform="instagram",
                deliverable="post",
                content_creation=True,
                price_minor=round(model.typical_minor * ratio),
            )
        )
    return comparables


@given(inputs_strategy, st.integers(min_value=0, max_value=50_000_000))
def test_more_followers_never_lower_the_estimate(inputs: RateInputs, other: int) -> None:
    """All else equal, more followers never lower low, typical or high."""
    small, large = sorted((inputs.followers, other))
    before = _amounts(dataclasses.replace(inputs, followers=small))
    after = _amounts(dataclasses.replace(inputs, followers=large))
    assert all(a <= b for a, b in zip(before, after, strict=True))


@given(inputs_strategy, st.floats(min_value=0, max_value=1, allow_nan=False))
def test_higher_engagement_never_lowers_the_estimate(inputs: RateInputs, other: float) -> None:
    """All else equal, higher engagement never lowers low, typical or high."""
    low, high = sorted((inputs.engagement_rate, other))
    before = _amounts(dataclasses.replace(inputs, engagement_rate=low))
    after = _amounts(dataclasses.replace(inputs, engagement_rate=high))
    assert all(a <= b for a, b in zip(before, after, strict=True))


@given(inputs_strategy)
def test_content_creation_never_costs_less_than_sharing(inputs: RateInputs) -> None:
    """Creating the content costs at least as much as only sharing it."""
    created = _amounts(dataclasses.replace(inputs, content_creation=True))
    shared = _amounts(dataclasses.replace(inputs, content_creation=False))
    assert all(s <= c for s, c in zip(shared, created, strict=True))


@given(inputs_strategy)
def test_amounts_are_ordered_and_non_negative(inputs: RateInputs) -> None:
    """0 <= low <= typical <= high, in whole currency units."""
    estimate = estimate_rate(inputs)
    assert 0 <= estimate.low_minor <= estimate.typical_minor <= estimate.high_minor
    assert estimate.typical_minor > 0
    unit = 1 if inputs.currency == "JPY" else 100
    assert estimate.typical_minor % unit == 0 and estimate.low_minor % unit == 0


@given(inputs_strategy, st.floats(min_value=0.2, max_value=5), st.integers(min_value=0, max_value=50_000_000))
def test_calibrated_estimates_keep_the_invariants(inputs: RateInputs, ratio: float, other: int) -> None:
    """With a fixed tenant market, more followers still never lower the estimate; the range stays ordered."""
    comparables = [dataclasses.replace(c, currency=inputs.currency) for c in _market(ratio, 20)]
    small, large = sorted((inputs.followers, other))
    before = _amounts(dataclasses.replace(inputs, followers=small), comparables)
    after = _amounts(dataclasses.replace(inputs, followers=large), comparables)
    assert all(a <= b for a, b in zip(before, after, strict=True))
    assert 0 <= before[0] <= before[1] <= before[2]


def test_zero_followers_gives_the_floor() -> None:
    """An account without followers gets a small floor price, not an error or zero."""
    estimate = estimate_rate(dataclasses.replace(BASE, followers=0, engagement_rate=0.0))
    assert estimate.typical_minor == 1_000  # EUR 10
    assert 0 < estimate.low_minor <= estimate.typical_minor <= estimate.high_minor
    assert any(f.name == "minimum" for f in estimate.factors)


def test_every_factor_is_reported() -> None:
    """The estimate names each factor with its value, multiplier and explanation."""
    estimate = estimate_rate(BASE)
    names = [f.name for f in estimate.factors]
    expected = (
        "base",
        "followers",
        "engagement",
        "category",
        "scope",
        "geography",
        "currency",
        "calibration",
    )
    assert set(expected) <= set(names)
    assert all(f.explanation for f in estimate.factors)
    assert estimate.basis == "model" and estimate.comparables_used == 0


def test_model_range_is_three_quarters_to_one_point_three_five() -> None:
    """Without calibration, low and high are 0.75x and 1.35x the typical price."""
    estimate = estimate_rate(dataclasses.replace(BASE, followers=200_000))
    assert estimate.low_minor == pytest.approx(estimate.typical_minor * 0.75, abs=100)
    assert estimate.high_minor == pytest.approx(estimate.typical_minor * 1.35, abs=100)


def test_share_deliverable_is_always_share_only() -> None:
    """A `share` is priced share-only even when content creation is asked."""
    created = estimate_rate(dataclasses.replace(BASE, followers=200_000, deliverable="share"))
    scope = next(f for f in created.factors if f.name == "scope")
    assert scope.multiplier == pytest.approx(0.4)
    post = estimate_rate(dataclasses.replace(BASE, followers=200_000))
    assert created.typical_minor == pytest.approx(post.typical_minor * 0.4, rel=0.01)


def test_category_and_geography_move_the_price() -> None:
    """Finance pays more than food; a US audience more than an Indian one."""
    food = estimate_rate(BASE).typical_minor
    finance = estimate_rate(dataclasses.replace(BASE, niches=["finance"])).typical_minor
    assert finance > food
    us = estimate_rate(dataclasses.replace(BASE, audience_countries={"US": 1.0})).typical_minor
    india = estimate_rate(dataclasses.replace(BASE, audience_countries={"IN": 1.0})).typical_minor
    assert us > india


def test_geography_prices_the_undeclared_remainder_at_the_default_level() -> None:
    """Shares that do not add up to 1 leave the rest at the default level; excess shares are scaled."""
    assert geography_multiplier({}) == pytest.approx(0.8)
    assert geography_multiplier({"US": 0.5}) == pytest.approx(0.5 * 1.3 + 0.5 * 0.8)
    assert geography_multiplier({"US": 1.0, "FR": 1.0}) == pytest.approx((1.3 + 1.0) / 2)


def test_zero_decimal_currency_amounts() -> None:
    """JPY amounts are whole yen at the currency's price level, about 160x the EUR figure."""
    eur = estimate_rate(BASE).typical_minor / 100
    jpy = estimate_rate(dataclasses.replace(BASE, currency="JPY")).typical_minor
    assert jpy == pytest.approx(eur * 160, rel=0.01)


def test_calibrates_on_the_tenant_market_with_enough_comparables() -> None:
    """With 20 comparables paid twice the model, the estimate doubles and says so."""
    model = estimate_rate(BASE)
    calibrated = estimate_rate(BASE, _market(2.0, 20))
    assert calibrated.basis == "tenant_market"
    assert calibrated.comparables_used == 20
    assert calibrated.typical_minor == pytest.approx(model.typical_minor * 2, rel=0.02)
    assert calibrated.low_minor < calibrated.typical_minor < calibrated.high_minor
    calibration = next(f for f in calibrated.factors if f.name == "calibration")
    assert calibration.multiplier == pytest.approx(2.0, rel=0.02)


def test_calibrated_range_comes_from_the_quartiles() -> None:
    """Spread-out market ratios give low/high at their 25th/75th percentiles."""
    comparables = _market(1.0, 10) + _market(3.0, 10) + _market(2.0, 1)
    calibrated = estimate_rate(BASE, comparables, min_comparables=21)
    model = estimate_rate(BASE)
    assert calibrated.basis == "tenant_market"
    assert calibrated.typical_minor == pytest.approx(model.typical_minor * 2.0, rel=0.02)
    assert calibrated.low_minor == pytest.approx(model.typical_minor * 1.0, rel=0.02)
    assert calibrated.high_minor == pytest.approx(model.typical_minor * 3.0, rel=0.02)


def test_too_few_comparables_keep_the_model() -> None:
    """Below min_comparables the model alone prices, and comparables in another currency do not count."""
    assert estimate_rate(BASE, _market(2.0, 19)).basis == "model"
    usd = [dataclasses.replace(c, currency="USD") for c in _market(2.0, 25)]
    assert estimate_rate(BASE, usd).basis == "model"
    assert estimate_rate(BASE, _market(2.0, 5), min_comparables=5).basis == "tenant_market"


def test_unknown_platform_or_deliverable_is_refused() -> None:
    """An unknown platform or deliverable type raises ValueError."""
    with pytest.raises(ValueError, match="platform"):
        estimate_rate(dataclasses.replace(BASE, platform="myspace"))
    with pytest.raises(ValueError, match="deliverable"):
        estimate_rate(dataclasses.replace(BASE, deliverable="billboard"))
