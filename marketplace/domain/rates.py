"""Rate estimate: what is a fair price for one deliverable of one influencer?

The model uses exactly the spec's inputs and multiplies one factor per input::

    typical = base(platform, deliverable)      EUR per 1,000 followers, BASE tables below
            x followers                        thousands of followers, sub-linear: f ** 0.9
            x engagement                       relative to the tier's norm, clamped
            x category                         niche -> pricing category multiplier, mean over niches
            x scope                            content creation 1.0, share-only 0.4
            x geography                        audience country shares x market price levels
            x currency                         EUR -> the asked currency (rough static levels)
            x calibration                      the tenant's own market ratio, when it has enough data

and never goes below a small floor. With the model alone the range is typical x 0.75 .. typical x 1.35;
once the tenant has at least `min_comparables` accepted contracts of comparable profiles, the whole
model is scaled by the median of (actual price / model price) over them, and the range comes from
the 25th and 75th percentiles of those ratios (at least +-10 % around the typical price).

Every factor is returned as a `RateFactor` so an API can show why a price is what it is.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from marketplace.domain import money, niches, tiers

# Price of a standard created post, in EUR per 1,000 followers, per platform (the reference basis).
# Long-form video and professional audiences pay more per follower; short text posts less.
PLATFORM_BASE_EUR: dict[str, float] = {
    "instagram": 10.0,
    "tiktok": 8.0,
    "youtube": 20.0,
    "twitch": 12.0,
    "x": 5.0,
    "linkedin": 12.0,
    "blog": 15.0,
}
# How a deliverable type compares with a standard post on the same platform.
DELIVERABLE_FACTOR: dict[str, float] = {
    "post": 1.0,
    "story": 0.4,  # ephemeral, 24 h
    "reel": 1.2,  # short video, more production work
    "short": 1.0,
    "video": 2.0,  # long-form, dedicated or integrated
    "live": 1.5,
    "blog_article": 1.5,
    "share": 1.0,  # always share-only: the scope factor brings it to 0.4 of a post
}
SHARE_ONLY_MULTIPLIER = 0.4  # relaying existing content costs 0.4x of creating it

# Followers: price grows slower than the audience. The multiplier is the "effective thousands":
# REFERENCE_FOLLOWERS / 1000 x (followers / REFERENCE_FOLLOWERS) ** FOLLOWER_EXPONENT,
# so an account of exactly 10,000 followers counts as 10 thousand and 1,000,000 as ~631 thousand.
REFERENCE_FOLLOWERS = 10_000
FOLLOWER_EXPONENT = 0.9

# Engagement: (rate / tier norm) ** 0.5 kept within 0.5..1.6, so twice the norm pays 1.41x and a
# dead audience never drops the price below half. Monotone non-decreasing in the rate.
ENGAGEMENT_EXPONENT = 0.5
ENGAGEMENT_MIN_MULTIPLIER = 0.5
ENGAGEMENT_MAX_MULTIPLIER = 1.6

# Market price level of an audience by country (Western Europe = 1.0). Rough purchasing-power and
# ad-market levels: what a brand pays to reach one person there compared with France or Germany.
COUNTRY_PRICE_LEVEL: dict[str, float] = {
    # high-price markets
    "US": 1.3, "CH": 1.4, "NO": 1.3, "LU": 1.3, "DK": 1.2, "IS": 1.2, "AU": 1.2, "SE": 1.15,
    "GB": 1.15, "CA": 1.15, "IE": 1.1, "NZ": 1.1, "SG": 1.1, "JP": 1.1, "AE": 1.1,
    # Western Europe and comparable
    "DE": 1.0, "FR": 1.0, "NL": 1.05, "BE": 1.0, "AT": 1.05, "FI": 1.05, "KR": 1.0, "IL": 1.0,
    "IT": 0.9, "ES": 0.85, "PT": 0.75, "GR": 0.7, "SI": 0.75, "EE": 0.75,
    # Central and Eastern Europe
    "PL": 0.65, "CZ": 0.7, "SK": 0.65, "HU": 0.6, "HR": 0.6, "LT": 0.65, "LV": 0.65,
    "RO": 0.55, "BG": 0.5, "RU": 0.45, "UA": 0.35, "TR": 0.45,
    # emerging markets
    "CN": 0.6, "MX": 0.5, "BR": 0.5, "CL": 0.55, "AR": 0.4, "CO": 0.4, "PE": 0.4, "ZA": 0.5,
    "MY": 0.5, "TH": 0.45, "ID": 0.35, "PH": 0.35, "VN": 0.35, "MA": 0.35, "IN": 0.3,
    "NG": 0.3, "KE": 0.3, "EG": 0.3, "PK": 0.25, "BD": 0.25,
}  # fmt: skip
# Countries not in the table, and the share of the audience nobody declared, price at this level.
DEFAULT_PRICE_LEVEL = 0.8

# Rough, static units of each currency per EUR: the model's prices are set in EUR. They only need
# to be right to within tens of percent; the tenant calibration absorbs the rest once it has data.
CURRENCY_PER_EUR: dict[str, float] = {
    "EUR": 1.0, "USD": 1.08, "GBP": 0.85, "CHF": 0.95, "CAD": 1.47, "AUD": 1.65, "NZD": 1.8,
    "SEK": 11.3, "NOK": 11.5, "DKK": 7.46, "PLN": 4.3, "CZK": 25.0, "HUF": 395.0, "RON": 4.97,
    "JPY": 160.0, "KRW": 1450.0, "SGD": 1.45, "HKD": 8.4, "CNY": 7.8, "INR": 90.0, "AED": 3.97,
    "MXN": 19.0, "BRL": 5.9, "ZAR": 20.0, "TRY": 35.0,
}  # fmt: skip

FLOOR_EUR = 10.0  # the smallest typical price the model answers: nobody works for less
MODEL_LOW, MODEL_HIGH = 0.75, 1.35  # range around the typical price without calibration
MIN_CALIBRATED_SPREAD = 0.10  # calibrated range is at least +-10 % of the typical price


@dataclass(frozen=True)
class RateInputs:
    """What the estimate is computed from: the influencer's figures and the deliverable asked."""

    followers: int
    engagement_rate: float
    niches: Sequence[str]
    platform: str
    deliverable: str
    content_creation: bool
    audience_countries: Mapping[str, float]
    currency: str
    tier_thresholds: Mapping[str, int] | None = None


@dataclass(frozen=True)
class ComparablePrice:
    """An accepted contract price of a comparable profile in the same tenant."""

    followers: int
    engagement_rate: float
    platform: str
    deliverable: str
    content_creation: bool
    price_minor: int
    currency: str | None = None  # None: in the currency of the estimate
    niches: Sequence[str] = ()
    audience_countries: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RateFactor:
    """One factor of the estimate: its input value, its multiplier and a readable why."""

    name: str
    value: float | str
    multiplier: float
    explanation: str


@dataclass(frozen=True)
class RateEstimate:
    """A price range in minor units, how it was obtained, and every factor behind it."""

    low_minor: int
    typical_minor: int
    high_minor: int
    currency: str
    basis: str  # "model" or "tenant_market"
    comparables_used: int
    factors: list[RateFactor]


def estimate_rate(
    inputs: RateInputs, comparables: list[ComparablePrice] | None = None, min_comparables: int = 20
) -> RateEstimate:
    """A fair price range for one deliverable, calibrated on the tenant's market when it has enough data."""
    currency = inputs.currency.upper()
    typical, factors = _model(
        followers=inputs.followers,
        engagement_rate=inputs.engagement_rate,
        niche_names=inputs.niches,
        platform=inputs.platform,
        deliverable=inputs.deliverable,
        content_creation=inputs.content_creation,
        audience_countries=inputs.audience_countries,
        currency=currency,
        thresholds=inputs.tier_thresholds,
    )
    ratios = _market_ratios(comparables or [], currency, inputs.tier_thresholds)
    if ratios and len(ratios) >= max(min_comparables, 1):
        median = statistics.median(ratios)
        q25, q75 = _quartiles(ratios)
        low_ratio = min(q25, median * (1 - MIN_CALIBRATED_SPREAD)) / median
        high_ratio = max(q75, median * (1 + MIN_CALIBRATED_SPREAD)) / median
        basis, used, multiplier = "tenant_market", len(ratios), median
        explanation = (
            f"Accepted contracts of {used} comparable profiles in this marketplace were paid "
            f"{median:.2f}x the model price (median; quartiles {q25:.2f}x-{q75:.2f}x)."
        )
    else:
        low_ratio, high_ratio = MODEL_LOW, MODEL_HIGH
        basis, used, multiplier = "model", 0, 1.0
        explanation = (
            f"{len(ratios)} comparable accepted contracts, fewer than the {min_comparables} needed "
            f"to calibrate on this marketplace: model prices only."
        )
    factors.append(RateFactor("calibration", round(multiplier, 4), multiplier, explanation))
    typical *= multiplier

    floor = FLOOR_EUR * _currency_level(currency)
    if typical < floor:
        factors.append(
            RateFactor(
                "minimum",
                round(floor, 2),
                1.0,
                f"Raised to the minimum price of {money.format_money(_to_minor(floor, currency), currency)}.",
            )
        )
        typical = floor
    return RateEstimate(
        low_minor=_to_minor(typical * low_ratio, currency),
        typical_minor=_to_minor(typical, currency),
        high_minor=_to_minor(typical * high_ratio, currency),
        currency=currency,
        basis=basis,
        comparables_used=used,
        factors=factors,
    )


def geography_multiplier(audience_countries: Mapping[str, float]) -> float:
    """Share-weighted market price level of an audience; the undeclared remainder at the default level."""
    shares = _clean_shares(audience_countries)
    known = sum(shares.values())
    level = sum(share * COUNTRY_PRICE_LEVEL.get(code, DEFAULT_PRICE_LEVEL) for code, share in shares.items())
    return level + (1.0 - known) * DEFAULT_PRICE_LEVEL


def engagement_multiplier(engagement_rate: float, tier: str) -> float:
    """Price multiplier of an engagement rate relative to its tier's norm: monotone and clamped."""
    norm = tiers.TIER_ENGAGEMENT_NORM.get(tier, tiers.TIER_ENGAGEMENT_NORM["micro"])
    relative = max(engagement_rate, 0.0) / norm
    return min(max(relative**ENGAGEMENT_EXPONENT, ENGAGEMENT_MIN_MULTIPLIER), ENGAGEMENT_MAX_MULTIPLIER)


def _model(
    *,
    followers: int,
    engagement_rate: float,
    niche_names: Sequence[str],
    platform: str,
    deliverable: str,
    content_creation: bool,
    audience_countries: Mapping[str, float],
    currency: str,
    thresholds: Mapping[str, int] | None,
) -> tuple[float, list[RateFactor]]:
    """The uncalibrated, unfloored model price in major units of `currency`, with its factors."""
    if platform not in PLATFORM_BASE_EUR:
        raise ValueError(f"unknown platform {platform!r}")
    if deliverable not in DELIVERABLE_FACTOR:
        raise ValueError(f"unknown deliverable type {deliverable!r}")
    followers = max(int(followers), 0)
    engagement_rate = max(float(engagement_rate), 0.0)
    factors: list[RateFactor] = []

    base = PLATFORM_BASE_EUR[platform] * DELIVERABLE_FACTOR[deliverable]
    factors.append(
        RateFactor(
            "base",
            f"{platform} {deliverable}",
            base,
            f"EUR {base:.2f} per 1,000 followers for a {deliverable} on {platform} "
            f"({platform} post EUR {PLATFORM_BASE_EUR[platform]:.2f} x {DELIVERABLE_FACTOR[deliverable]} "
            f"for a {deliverable}).",
        )
    )

    thousands = REFERENCE_FOLLOWERS / 1000 * (followers / REFERENCE_FOLLOWERS) ** FOLLOWER_EXPONENT
    factors.append(
        RateFactor(
            "followers",
            followers,
            thousands,
            f"{followers:,} followers count as {thousands:,.1f} thousand: the price grows slower than "
            f"the audience (followers^{FOLLOWER_EXPONENT}).",
        )
    )

    tier = tiers.tier_for(followers, thresholds)
    norm = tiers.TIER_ENGAGEMENT_NORM[tier]
    engagement = engagement_multiplier(engagement_rate, tier)
    factors.append(
        RateFactor(
            "engagement",
            round(engagement_rate, 6),
            engagement,
            f"Engagement {engagement_rate:.2%} is {engagement_rate / norm:.2f}x the {tier} norm of "
            f"{norm:.1%} (multiplier: square root, kept within {ENGAGEMENT_MIN_MULTIPLIER}-"
            f"{ENGAGEMENT_MAX_MULTIPLIER}).",
        )
    )

    categories = [niches.category(n) for n in niche_names if niches.is_niche(n)]
    if categories:
        cat_multiplier = sum(niches.CATEGORY_MULTIPLIER[c] for c in categories) / len(categories)
        label = ", ".join(sorted(set(categories)))
        cat_text = f"Pricing category {label} of niche(s) {', '.join(sorted(set(niche_names)))}."
    else:
        cat_multiplier, label, cat_text = 1.0, "none", "No known niche given: neutral category."
    factors.append(RateFactor("category", label, cat_multiplier, cat_text))

    share_only = deliverable == "share" or not content_creation
    scope = SHARE_ONLY_MULTIPLIER if share_only else 1.0
    factors.append(
        RateFactor(
            "scope",
            "share only" if share_only else "content creation",
            scope,
            "Sharing existing content costs 0.4x of creating it."
            if share_only
            else "Content creation: the influencer produces the content.",
        )
    )

    geo = geography_multiplier(audience_countries)
    factors.append(RateFactor("geography", _describe_audience(audience_countries), geo, _geo_text(geo)))

    level = _currency_level(currency)
    factors.append(
        RateFactor(
            "currency",
            currency,
            level,
            f"{level:g} {currency} per EUR (static reference level)."
            if currency in CURRENCY_PER_EUR
            else f"No reference level for {currency}: priced 1:1 with EUR until the marketplace calibrates.",
        )
    )
    amount = base * thousands * engagement * cat_multiplier * scope * geo * level
    return amount, factors


def _market_ratios(
    comparables: list[ComparablePrice], currency: str, thresholds: Mapping[str, int] | None
) -> list[float]:
    """actual / model price for every usable comparable (same currency, known platform, positive prices)."""
    ratios = []
    for comp in comparables:
        if comp.currency is not None and comp.currency.upper() != currency:
            continue
        if comp.platform not in PLATFORM_BASE_EUR or comp.deliverable not in DELIVERABLE_FACTOR:
            continue
        if comp.price_minor <= 0:
            continue
        model, _ = _model(
            followers=comp.followers,
            engagement_rate=comp.engagement_rate,
            niche_names=comp.niches,
            platform=comp.platform,
            deliverable=comp.deliverable,
            content_creation=comp.content_creation,
            audience_countries=comp.audience_countries,
            currency=currency,
            thresholds=thresholds,
        )
        if model > 0:
            ratios.append(comp.price_minor / 10 ** money.exponent(currency) / model)
    return ratios


def _quartiles(values: list[float]) -> tuple[float, float]:
    """25th and 75th percentiles (inclusive method); a single value is its own quartiles."""
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def _currency_level(currency: str) -> float:
    return CURRENCY_PER_EUR.get(currency.upper(), 1.0)


def _to_minor(amount_major: float, currency: str) -> int:
    """Round half up to a whole currency unit, then express in minor units."""
    return max(math.floor(amount_major + 0.5), 0) * 10 ** money.exponent(currency)


def _clean_shares(audience_countries: Mapping[str, float]) -> dict[str, float]:
    """Non-negative shares by upper-case country code, scaled down when they add up to more than 1."""
    shares: dict[str, float] = {}
    for code, share in audience_countries.items():
        if share > 0:
            shares[code.upper()] = shares.get(code.upper(), 0.0) + float(share)
    total = sum(shares.values())
    if total > 1:
        shares = {code: share / total for code, share in shares.items()}
    return shares


def _describe_audience(audience_countries: Mapping[str, float]) -> str:
    shares = _clean_shares(audience_countries)
    if not shares:
        return "unknown"
    top = sorted(shares.items(), key=lambda item: (-item[1], item[0]))[:4]
    parts = [f"{code} {share:.0%}" for code, share in top]
    rest = 1.0 - sum(share for _, share in top)
    if rest > 0.005:
        parts.append(f"other {rest:.0%}")
    return ", ".join(parts)


def _geo_text(geo: float) -> str:
    return (
        f"Audience markets price at {geo:.2f}x Western Europe (share-weighted country levels; "
        f"undeclared and unlisted countries at {DEFAULT_PRICE_LEVEL})."
    )
