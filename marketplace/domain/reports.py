"""Campaign report arithmetic: spend, reach and engagement summed per influencer, per tier and in total.

Pure: the service reads one `ContractFigures` per reported contract and this module adds them up and
derives the ratios. Every ratio is computed from summed figures (never an average of ratios) and
rounded in exactly one place, `ratio`. docs/reports.md defines each figure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from marketplace.domain.tiers import TIERS

# Contracts that bind the brand: signed or later. generating and awaiting_signatures are not yet
# commitments; cancelled contracts never are.
REPORTED_STATUSES: frozenset[str] = frozenset({"signed", "funded", "delivered", "completed", "disputed"})
# Decimal places of the two kinds of ratio: shares of reach, and costs in the currency's minor unit.
RATE_PLACES = 6
MONEY_PLACES = 2
PER_MILLE = 1000


def ratio(numerator: int, denominator: int, places: int) -> Decimal | None:
    """numerator / denominator rounded half up to `places` decimals; None when the denominator is 0.

    The one rounding rule of reports: every ratio goes through here, once, from exact integers.
    """
    if denominator == 0:
        return None
    exact = Decimal(numerator) / Decimal(denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    """Summed figures of one or more contracts: money in minor units, counts of the latest metrics."""

    contracts: int = 0
    live_deliverables: int = 0
    cash_minor: int = 0
    platform_fee_minor: int = 0
    brand_pays_minor: int = 0
    in_kind_value_minor: int = 0
    impressions: int = 0
    reach: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    saves: int = 0
    clicks: int = 0
    conversions: int = 0

    def __add__(self, other: Figures) -> Figures:
        """Figures of both sets of contracts."""
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(Figures)})

    @property
    def total_spend_minor(self) -> int:
        """What the brand gives: cash it pays (fee on top included) plus the declared in-kind value."""
        return self.brand_pays_minor + self.in_kind_value_minor

    @property
    def engagements(self) -> int:
        """Likes + comments + shares + saves."""
        return self.likes + self.comments + self.shares + self.saves


@dataclass(frozen=True)
class Ratios:
    """The derived figures; None where the denominator is zero."""

    engagement_rate: Decimal | None
    cpm_minor: Decimal | None
    cpe_minor: Decimal | None
    cpc_minor: Decimal | None
    cost_per_conversion_minor: Decimal | None


def ratios_of(figures: Figures) -> Ratios:
    """Engagement rate on reach, and cost per mille, engagement, click and conversion on total spend."""
    spend = figures.total_spend_minor
    return Ratios(
        engagement_rate=ratio(figures.engagements, figures.reach, RATE_PLACES),
        cpm_minor=ratio(spend * PER_MILLE, figures.impressions, MONEY_PLACES),
        cpe_minor=ratio(spend, figures.engagements, MONEY_PLACES),
        cpc_minor=ratio(spend, figures.clicks, MONEY_PLACES),
        cost_per_conversion_minor=ratio(spend, figures.conversions, MONEY_PLACES),
    )


@dataclass(frozen=True)
class ContractFigures:
    """One reported contract as the service reads it: who, which tier, what it cost, what it did."""

    contract_id: uuid.UUID
    profile_id: uuid.UUID
    display_name: str
    tier: str
    status: str
    figures: Figures


@dataclass(frozen=True)
class ReportLine:
    """One line of the report: an influencer, a tier, or the campaign total."""

    level: str  # influencer | tier | total
    figures: Figures
    ratios: Ratios
    tier: str | None = None
    profile_id: uuid.UUID | None = None
    contract_id: uuid.UUID | None = None
    display_name: str | None = None
    contract_status: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The line flattened: labels, summed figures, spend and engagements, then the ratios."""
        labels = {
            "level": self.level,
            "tier": self.tier,
            "profile_id": self.profile_id,
            "contract_id": self.contract_id,
            "display_name": self.display_name,
            "contract_status": self.contract_status,
        }
        summed = {f.name: getattr(self.figures, f.name) for f in fields(Figures)}
        summed["total_spend_minor"] = self.figures.total_spend_minor
        summed["engagements"] = self.figures.engagements
        derived = {f.name: getattr(self.ratios, f.name) for f in fields(Ratios)}
        return {**labels, **summed, **derived}


@dataclass(frozen=True)
class CampaignReport:
    """The whole report: one line per influencer, one per tier present, and the total."""

    influencers: list[ReportLine]
    tiers: list[ReportLine]
    total: ReportLine

    def lines(self) -> list[ReportLine]:
        """Every line, influencers first, then tiers, then the total (the CSV order)."""
        return [*self.influencers, *self.tiers, self.total]


def _tier_order(tier: str) -> tuple[int, str]:
    return (TIERS.index(tier) if tier in TIERS else len(TIERS), tier)


def build_report(contracts: Iterable[ContractFigures]) -> CampaignReport:
    """Add up reported contracts per influencer, per tier (nano to mega) and in total."""
    rows = sorted(contracts, key=lambda c: (_tier_order(c.tier), c.display_name.lower(), str(c.contract_id)))
    influencers = [
        ReportLine(
            level="influencer",
            figures=row.figures,
            ratios=ratios_of(row.figures),
            tier=row.tier,
            profile_id=row.profile_id,
            contract_id=row.contract_id,
            display_name=row.display_name,
            contract_status=row.status,
        )
        for row in rows
    ]
    by_tier: dict[str, Figures] = {}
    for row in rows:
        by_tier[row.tier] = by_tier.get(row.tier, Figures()) + row.figures
    tiers = [
        ReportLine(level="tier", figures=summed, ratios=ratios_of(summed), tier=tier)
        for tier, summed in by_tier.items()
    ]
    total_figures = sum((row.figures for row in rows), Figures())
    total = ReportLine(level="total", figures=total_figures, ratios=ratios_of(total_figures))
    return CampaignReport(influencers=influencers, tiers=tiers, total=total)
