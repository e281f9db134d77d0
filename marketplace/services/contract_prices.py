"""Prices the tenant's market actually paid: accepted contracts, the basis of calibrated estimates."""

from __future__ import annotations

from marketplace.domain.rates import ComparablePrice


def accepted_prices(
    tier: str, platform: str, deliverable: str, content_creation: bool
) -> list[ComparablePrice]:
    """Accepted contract prices for comparable profiles; contracts arrive with the offers feature."""
    return []
