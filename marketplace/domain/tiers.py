"""Influencer tiers by follower count, with the tenant's thresholds."""

from __future__ import annotations

from collections.abc import Mapping

TIERS: tuple[str, ...] = ("nano", "micro", "macro", "mega")
DEFAULT_THRESHOLDS: dict[str, int] = {"micro": 2_000, "macro": 50_000, "mega": 1_000_000}

# Typical engagement rate of each tier: smaller audiences engage more.
TIER_ENGAGEMENT_NORM: dict[str, float] = {"nano": 0.05, "micro": 0.035, "macro": 0.02, "mega": 0.012}


def validate_thresholds(thresholds: Mapping[str, int]) -> list[str]:
    """Problems with a tenant's thresholds: all three present, positive and increasing."""
    problems = []
    missing = [t for t in ("micro", "macro", "mega") if t not in thresholds]
    if missing:
        return [f"missing thresholds: {', '.join(missing)}"]
    values = [thresholds["micro"], thresholds["macro"], thresholds["mega"]]
    if any(not isinstance(v, int) or v <= 0 for v in values):
        problems.append("thresholds are positive integers")
    elif not values[0] < values[1] < values[2]:
        problems.append("thresholds must increase: micro < macro < mega")
    return problems


def tier_for(followers: int, thresholds: Mapping[str, int] | None = None) -> str:
    """The tier of an account with `followers`; each threshold is the first count of its tier."""
    limits = thresholds or DEFAULT_THRESHOLDS
    if followers >= limits["mega"]:
        return "mega"
    if followers >= limits["macro"]:
        return "macro"
    if followers >= limits["micro"]:
        return "micro"
    return "nano"


def tier_bounds(tier: str, thresholds: Mapping[str, int] | None = None) -> tuple[int, int | None]:
    """The follower range [low, high) of a tier; high is None for mega."""
    limits = thresholds or DEFAULT_THRESHOLDS
    edges = [0, limits["micro"], limits["macro"], limits["mega"], None]
    index = TIERS.index(tier)
    return edges[index], edges[index + 1]
