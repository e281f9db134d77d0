"""The existing pure rules: tiers, engagement, money, lifecycles and the niche taxonomy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.domain import lifecycles, money, niches, tiers
from marketplace.domain.engagement import AccountNumbers, engagement_rate, overall_engagement

# --- tiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, "nano"),
        (1_999, "nano"),
        (2_000, "micro"),
        (49_999, "micro"),
        (50_000, "macro"),
        (999_999, "macro"),
        (1_000_000, "mega"),
        (50_000_000, "mega"),
    ],
)
def test_tier_boundaries_at_the_default_thresholds(followers: int, tier: str) -> None:
    """Each default threshold is the first follower count of its tier."""
    assert tiers.tier_for(followers) == tier


def test_tier_uses_custom_thresholds() -> None:
    """A tenant's own thresholds move the boundaries."""
    custom = {"micro": 1_000, "macro": 10_000, "mega": 100_000}
    assert tiers.tier_for(999, custom) == "nano"
    assert tiers.tier_for(1_000, custom) == "micro"
    assert tiers.tier_for(9_999, custom) == "micro"
    assert tiers.tier_for(10_000, custom) == "macro"
    assert tiers.tier_for(99_999, custom) == "macro"
    assert tiers.tier_for(100_000, custom) == "mega"


def test_tier_bounds_match_tier_for() -> None:
    """tier_bounds gives [low, high) ranges that agree with tier_for."""
    for tier in tiers.TIERS:
        low, high = tiers.tier_bounds(tier)
        assert tiers.tier_for(low) == tier
        if high is not None:
            assert tiers.tier_for(high - 1) == tier
            assert tiers.tier_for(high) != tier


def test_threshold_validation() -> None:
    """Thresholds must all be present, positive and increasing."""
    assert tiers.validate_thresholds(tiers.DEFAULT_THRESHOLDS) == []
    assert tiers.validate_thresholds({"micro": 1, "macro": 2})
    assert tiers.validate_thresholds({"micro": 5, "macro": 2, "mega": 9})
    assert tiers.validate_thresholds({"micro": 0, "macro": 2, "mega": 9})


@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9))
def test_tier_never_drops_with_more_followers(a: int, b: int) -> None:
    """More followers never give a lower tier."""
    low, high = sorted((a, b))
    assert tiers.TIERS.index(tiers.tier_for(low)) <= tiers.TIERS.index(tiers.tier_for(high))


# --- engagement --------------------------------------------------------------------------------


def test_engagement_rate_is_interactions_over_followers() -> None:
    """(likes + comments) / followers, and 0 without followers."""
    assert engagement_rate(10_000, 300, 50) == pytest.approx(0.035)
    assert engagement_rate(0, 300, 50) == 0.0
    assert engagement_rate(1_000, -5, 10) == pytest.approx(0.01)


def test_overall_engagement_weights_by_followers() -> None:
    """Overall engagement is total interactions over total followers, skipping empty accounts."""
    accounts = [
        AccountNumbers(10_000, 400, 100),
        AccountNumbers(90_000, 1_400, 100),
        AccountNumbers(0, 50, 5),
    ]
    assert overall_engagement(accounts) == pytest.approx(2_000 / 100_000)
    assert overall_engagement([]) == 0.0


# --- money -------------------------------------------------------------------------------------


def test_fee_rounds_half_up() -> None:
    """The fee rounds half up to the minor unit."""
    assert money.fee_of(1_000, 1_000) == 100
    assert money.fee_of(5, 1_000) == 1  # 0.5 -> 1
    assert money.fee_of(4, 1_000) == 0  # 0.4 -> 0
    assert money.fee_of(15, 1_000) == 2  # 1.5 -> 2
    assert money.fee_of(0, 2_500) == 0
    with pytest.raises(ValueError):
        money.fee_of(-1, 100)
    with pytest.raises(ValueError):
        money.fee_of(100, 10_001)


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_split_fee_balances_for_both_payers(cash: int, bps: int) -> None:
    """Whoever pays the fee, what the brand pays equals the fee plus the influencer's net."""
    for payer in ("brand", "influencer"):
        split = money.split_fee(cash, bps, payer)
        assert split.brand_pays == split.platform_fee + split.influencer_net
        assert split.platform_fee == money.fee_of(cash, bps)
    assert money.split_fee(cash, bps, "brand").influencer_net == cash
    assert money.split_fee(cash, bps, "influencer").brand_pays == cash


def test_split_fee_refuses_an_unknown_payer() -> None:
    """The fee payer is the brand or the influencer."""
    with pytest.raises(ValueError):
        money.split_fee(100, 100, "platform")


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=10_000))
def test_share_of_gives_the_remainder_to_the_rest(amount: int, bps: int) -> None:
    """share + rest is the amount, and the share is rounded down."""
    share, rest = money.share_of(amount, bps)
    assert share + rest == amount
    assert share == amount * bps // 10_000


def test_share_of_example_and_limits() -> None:
    """A third of 100 minor units is 33 with 67 left; out-of-range bps are refused."""
    assert money.share_of(100, 3_333) == (33, 67)
    with pytest.raises(ValueError):
        money.share_of(100, 10_001)


def test_format_money_for_decimal_and_zero_decimal_currencies() -> None:
    """EUR shows two decimals, JPY none."""
    assert money.format_money(12_345, "EUR") == "EUR 123.45"
    assert money.format_money(-5, "eur") == "EUR -0.05"
    assert money.format_money(123_456_789, "EUR") == "EUR 1,234,567.89"
    assert money.format_money(500, "JPY") == "JPY 500"
    assert money.exponent("JPY") == 0
    assert money.exponent("EUR") == 2


def test_minimum_charge_per_currency() -> None:
    """Stripe's minimum charge by currency, 50 minor units when not listed."""
    assert money.minimum_charge("EUR") == 50
    assert money.minimum_charge("gbp") == 30
    assert money.minimum_charge("SEK") == 300
    assert money.minimum_charge("XYZ") == 50


# --- lifecycles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "current", "target"),
    [
        ("campaign", "draft", "published"),
        ("campaign", "published", "closed"),
        ("offer", "pending", "accepted"),
        ("offer", "pending", "countered"),
        ("contract", "generating", "awaiting_signatures"),
        ("contract", "signed", "funded"),
        ("contract", "signed", "delivered"),
        ("contract", "delivered", "completed"),
        ("deliverable", "submitted", "approved"),
        ("deliverable", "changes_requested", "submitted"),
        ("dispute", "open", "under_review"),
        ("dispute", "under_review", "resolved"),
    ],
)
def test_allowed_transitions(entity: str, current: str, target: str) -> None:
    """Transitions in the table are allowed and return the target."""
    assert lifecycles.can_transition(entity, current, target)
    assert lifecycles.check_transition(entity, current, target) == target


@pytest.mark.parametrize(
    ("entity", "current", "target"),
    [
        ("campaign", "draft", "closed"),
        ("campaign", "closed", "published"),
        ("offer", "accepted", "declined"),
        ("offer", "expired", "accepted"),
        ("contract", "generating", "signed"),
        ("contract", "completed", "disputed"),
        ("contract", "awaiting_signatures", "funded"),
        ("deliverable", "approved", "changes_requested"),
        ("dispute", "resolved", "open"),
        ("dispute", "open", "nonsense"),
    ],
)
def test_refused_transitions(entity: str, current: str, target: str) -> None:
    """Transitions outside the table raise TransitionRefused naming the allowed ones."""
    assert not lifecycles.can_transition(entity, current, target)
    with pytest.raises(lifecycles.TransitionRefused) as refused:
        lifecycles.check_transition(entity, current, target)
    assert refused.value.current == current
    assert refused.value.target == target


def test_final_states_allow_nothing() -> None:
    """A final state says so in the refusal."""
    with pytest.raises(lifecycles.TransitionRefused, match="final state"):
        lifecycles.check_transition("campaign", "cancelled", "draft")


# --- niches ------------------------------------------------------------------------------------


def test_taxonomy_is_sound_and_symmetric() -> None:
    """Every related niche exists and relates back; every category has a multiplier."""
    assert niches.validate_taxonomy() == []
    for name in niches.NICHES:
        for other in niches.related(name):
            assert name in niches.related(other)
        assert niches.category(name) in niches.CATEGORY_MULTIPLIER


def test_niche_fit_exact_related_none() -> None:
    """Shared niche is exact, a related niche is related, anything else none."""
    assert niches.niche_fit(["food", "travel"], ["food"]) == "exact"
    assert niches.niche_fit(["travel"], ["food"]) == "related"
    assert niches.niche_fit(["gaming"], ["food"]) == "none"
    assert niches.niche_fit(["gaming"], []) == "exact"


def test_food_blogger_is_not_credible_for_jewellery() -> None:
    """A food blogger praising jewellery is not credible: no fit either way."""
    assert niches.niche_fit(["food"], ["jewellery"]) == "none"
    assert niches.niche_fit(["jewellery"], ["food"]) == "none"


def test_unknown_niches_and_category_defaults() -> None:
    """Unknown names are reported sorted; an unknown niche prices as mass."""
    assert niches.unknown_niches(["food", "zzz", "aaa"]) == ["aaa", "zzz"]
    assert niches.category("zzz") == "mass"
    assert niches.related("zzz") == frozenset()
    assert niches.is_niche("food") and not niches.is_niche("zzz")
