"""Rate estimates for one influencer and deliverable, calibrated on the tenant's own prices."""

from __future__ import annotations

from typing import Any

from marketplace.domain.rates import ComparablePrice, RateEstimate, RateInputs, estimate_rate
from marketplace.models import InfluencerProfile
from marketplace.tenancy import current_tenant


def comparable_prices(
    profile: InfluencerProfile, platform: str, deliverable: str, content_creation: bool
) -> list[ComparablePrice]:
    """Accepted contract prices of comparable profiles (same tier, platform and deliverable)."""
    from marketplace.services.contract_prices import accepted_prices

    return accepted_prices(profile.tier, platform, deliverable, content_creation)


def estimate_for(
    profile: InfluencerProfile, platform: str, deliverable: str, content_creation: bool
) -> RateEstimate:
    """The estimate for a profile; it says whether the tenant's market or the model was the basis."""
    tenant = current_tenant()
    creation = content_creation and deliverable != "share"
    inputs = RateInputs(
        followers=profile.followers,
        engagement_rate=profile.engagement_rate,
        niches=profile.niches,
        platform=platform,
        deliverable=deliverable,
        content_creation=creation,
        audience_countries=profile.audience_countries or {},
        currency=tenant.currency,
        tier_thresholds=tenant.tier_thresholds,
    )
    comparables = comparable_prices(profile, platform, deliverable, creation)
    return estimate_rate(inputs, comparables, tenant.rate_calibration_min_contracts)


def estimate_view(estimate: RateEstimate) -> dict[str, Any]:
    """Plain dict of an estimate (the schema dumps dataclasses too; jobs store dicts)."""
    return {
        "low_minor": estimate.low_minor,
        "typical_minor": estimate.typical_minor,
        "high_minor": estimate.high_minor,
        "currency": estimate.currency,
        "basis": estimate.basis,
        "comparables_used": estimate.comparables_used,
        "factors": [vars(f) for f in estimate.factors],
    }
