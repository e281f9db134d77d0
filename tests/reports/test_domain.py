"""Report arithmetic on a hand-computed campaign: two micro influencers and one macro, plus edge cases."""

from __future__ import annotations

import uuid
from decimal import Decimal

from marketplace.domain.reports import ContractFigures, Figures, build_report, ratio, ratios_of

# Ana (micro): cash 500.00, the influencer pays the 10 % fee, so the brand pays 500.00.
ANA = Figures(
    contracts=1, live_deliverables=1, cash_minor=50_000, platform_fee_minor=5_000, brand_pays_minor=50_000,
    impressions=20_000, reach=15_000, likes=900, comments=60, shares=30, saves=10, clicks=200, conversions=10,
)  # fmt: skip
# Bea (micro): cash 300.00 with the fee on top for the brand (330.00), plus products declared at 50.00.
BEA = Figures(
    contracts=1, live_deliverables=2, cash_minor=30_000, platform_fee_minor=3_000, brand_pays_minor=33_000,
    in_kind_value_minor=5_000, impressions=16_000, reach=12_000, likes=750, comments=65, shares=35, saves=50,
    clicks=150, conversions=5,
)  # fmt: skip
# Carl (macro): cash 2,000.00, the influencer pays the fee.
CARL = Figures(
    contracts=1, live_deliverables=1, cash_minor=200_000, platform_fee_minor=20_000, brand_pays_minor=200_000,
    impressions=300_000, reach=200_000, likes=4_000, comments=300, shares=500, saves=200, clicks=1_500,
    conversions=30,
)  # fmt: skip


def _contract(name: str, tier: str, figures: Figures) -> ContractFigures:
    return ContractFigures(uuid.uuid4(), uuid.uuid4(), name, tier, "completed", figures)


def _report():
    return build_report(
        [_contract("Carl", "macro", CARL), _contract("Bea", "micro", BEA), _contract("Ana", "micro", ANA)]
    )


def test_ratio_rounds_half_up_once_and_divides_by_zero_to_none() -> None:
    """0.125 rounds up to 0.13 (not to even), 2/3 to 0.67, and a zero denominator gives None."""
    assert ratio(1, 8, 2) == Decimal("0.13")
    assert ratio(2, 3, 2) == Decimal("0.67")
    assert ratio(1, 3, 6) == Decimal("0.333333")
    assert ratio(5, 0, 2) is None


def test_spend_and_engagements_of_one_contract() -> None:
    """Total spend is what the brand pays plus in-kind value; engagements: likes, comments, shares, saves."""
    assert BEA.total_spend_minor == 33_000 + 5_000 == 38_000
    assert BEA.engagements == 750 + 65 + 35 + 50 == 900
    assert ANA.total_spend_minor == 50_000  # the fee came out of Ana's cash, not on top


def test_ratios_per_influencer_by_hand() -> None:
    """Each influencer's ratios, computed by hand from its own figures."""
    ana, bea, carl = (line.as_dict() for line in _report().influencers[:3])
    assert [ana["display_name"], bea["display_name"], carl["display_name"]] == ["Ana", "Bea", "Carl"]
    # Ana: 1,000 engagements / 15,000 reach; 50,000 spend over 20,000 impressions, 1,000 eng, 200 clicks.
    assert ana["engagement_rate"] == Decimal("0.066667")
    assert ana["cpm_minor"] == Decimal("2500.00")
    assert ana["cpe_minor"] == Decimal("50.00")
    assert ana["cpc_minor"] == Decimal("250.00")
    assert ana["cost_per_conversion_minor"] == Decimal("5000.00")
    # Bea: 900 / 12,000; 38,000 * 1000 / 16,000; 38,000 / 900; 38,000 / 150; 38,000 / 5.
    assert bea["engagement_rate"] == Decimal("0.075000")
    assert bea["cpm_minor"] == Decimal("2375.00")
    assert bea["cpe_minor"] == Decimal("42.22")
    assert bea["cpc_minor"] == Decimal("253.33")
    assert bea["cost_per_conversion_minor"] == Decimal("7600.00")
    # Carl: 5,000 / 200,000; 200,000,000 / 300,000; 200,000 / 5,000; 200,000 / 1,500; 200,000 / 30.
    assert carl["engagement_rate"] == Decimal("0.025000")
    assert carl["cpm_minor"] == Decimal("666.67")
    assert carl["cpe_minor"] == Decimal("40.00")
    assert carl["cpc_minor"] == Decimal("133.33")
    assert carl["cost_per_conversion_minor"] == Decimal("6666.67")


def test_tiers_add_figures_then_divide() -> None:
    """The micro line sums Ana and Bea before dividing (not an average of their ratios); tiers nano first."""
    report = _report()
    assert [line.tier for line in report.tiers] == ["micro", "macro"]
    micro = report.tiers[0].as_dict()
    assert micro["contracts"] == 2 and micro["live_deliverables"] == 3
    assert (micro["cash_minor"], micro["platform_fee_minor"], micro["brand_pays_minor"]) == (
        80_000,
        8_000,
        83_000,
    )
    assert (micro["in_kind_value_minor"], micro["total_spend_minor"]) == (5_000, 88_000)
    assert (micro["impressions"], micro["reach"], micro["engagements"]) == (36_000, 27_000, 1_900)
    assert (micro["clicks"], micro["conversions"]) == (350, 15)
    assert micro["engagement_rate"] == Decimal("0.070370")  # 1,900 / 27,000
    assert micro["cpm_minor"] == Decimal("2444.44")  # 88,000,000 / 36,000
    assert micro["cpe_minor"] == Decimal("46.32")  # 88,000 / 1,900
    assert micro["cpc_minor"] == Decimal("251.43")  # 88,000 / 350
    assert micro["cost_per_conversion_minor"] == Decimal("5866.67")  # 88,000 / 15
    macro = report.tiers[1].as_dict()
    assert macro["engagement_rate"] == Decimal("0.025000") and macro["cpm_minor"] == Decimal("666.67")


def test_campaign_total_by_hand() -> None:
    """The total adds all three contracts and divides once."""
    total = _report().total.as_dict()
    assert total["level"] == "total" and total["tier"] is None
    assert total["contracts"] == 3 and total["live_deliverables"] == 4
    assert (total["cash_minor"], total["platform_fee_minor"], total["brand_pays_minor"]) == (
        280_000,
        28_000,
        283_000,
    )
    assert (total["in_kind_value_minor"], total["total_spend_minor"]) == (5_000, 288_000)
    assert (total["impressions"], total["reach"], total["engagements"]) == (336_000, 227_000, 6_900)
    assert (total["likes"], total["comments"], total["shares"], total["saves"]) == (5_650, 425, 565, 260)
    assert (total["clicks"], total["conversions"]) == (1_850, 45)
    assert total["engagement_rate"] == Decimal("0.030396")  # 6,900 / 227,000 = 0.0303964...
    assert total["cpm_minor"] == Decimal("857.14")  # 288,000,000 / 336,000
    assert total["cpe_minor"] == Decimal("41.74")  # 288,000 / 6,900
    assert total["cpc_minor"] == Decimal("155.68")  # 288,000 / 1,850
    assert total["cost_per_conversion_minor"] == Decimal("6400.00")  # 288,000 / 45


def test_no_metrics_gives_null_ratios_but_counts_spend() -> None:
    """An in-kind-only contract without metrics shows its spend and null ratios, and still adds to totals."""
    gift = Figures(contracts=1, in_kind_value_minor=8_000)
    assert ratios_of(gift) == ratios_of(Figures())
    assert all(value is None for value in vars(ratios_of(gift)).values())
    report = build_report([_contract("Nora", "nano", gift), _contract("Ana", "micro", ANA)])
    assert [line.tier for line in report.tiers] == ["nano", "micro"]
    assert report.total.figures.total_spend_minor == 58_000
    assert report.total.as_dict()["cpm_minor"] == Decimal("2900.00")  # 58,000,000 / 20,000


def test_empty_campaign() -> None:
    """No reported contract: no lines, a zero total with null ratios."""
    report = build_report([])
    assert report.influencers == [] and report.tiers == []
    assert report.total.figures == Figures()
    assert report.total.as_dict()["engagement_rate"] is None
