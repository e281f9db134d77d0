"""Campaign reports: read the reported contracts and their latest live metrics, let domain.reports add up.

Which contracts, deliverables and metrics count, and every ratio, are defined in docs/reports.md.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

from sqlalchemy import func, select

from marketplace.domain.reports import (
    REPORTED_STATUSES,
    CampaignReport,
    ContractFigures,
    Figures,
    build_report,
)
from marketplace.extensions import db
from marketplace.models import Campaign, Contract, Deliverable, DeliverableMetric, InfluencerProfile, User
from marketplace.models.base import utcnow
from marketplace.services.matching import require_match_viewer

METRIC_COLUMNS = ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks", "conversions")
# A live post the brand sent back is superseded by its resubmission (a new deliverable row).
SUPERSEDED = "changes_requested"
CSV_COLUMNS = (
    "level",
    "tier",
    "display_name",
    "profile_id",
    "contract_id",
    "contract_status",
    "currency",
    "contracts",
    "live_deliverables",
    "cash_minor",
    "platform_fee_minor",
    "brand_pays_minor",
    "in_kind_value_minor",
    "total_spend_minor",
    "impressions",
    "reach",
    "likes",
    "comments",
    "shares",
    "saves",
    "engagements",
    "clicks",
    "conversions",
    "engagement_rate",
    "cpm_minor",
    "cpe_minor",
    "cpc_minor",
    "cost_per_conversion_minor",
)


def _counted_deliverables(campaign_id: uuid.UUID) -> Any:
    """Live, not superseded deliverables of the campaign's reported contracts (a select to extend)."""
    return (
        select(Deliverable.id, Deliverable.contract_id)
        .join(
            Contract, (Contract.tenant_id == Deliverable.tenant_id) & (Contract.id == Deliverable.contract_id)
        )
        .where(
            Contract.campaign_id == campaign_id,
            Contract.status.in_(REPORTED_STATUSES),
            Deliverable.stage == "live",
            Deliverable.status != SUPERSEDED,
        )
    )


def _live_counts(campaign_id: uuid.UUID) -> dict[uuid.UUID, int]:
    counted = _counted_deliverables(campaign_id).subquery()
    rows = db.session.execute(
        select(counted.c.contract_id, func.count()).group_by(counted.c.contract_id)
    ).all()
    return {contract_id: count for contract_id, count in rows}


def _latest_metric_sums(campaign_id: uuid.UUID) -> dict[uuid.UUID, dict[str, int]]:
    """Per contract, the sum over its counted deliverables of each deliverable's latest metric row."""
    counted = _counted_deliverables(campaign_id).subquery()
    rank = (
        func.row_number()
        .over(
            partition_by=DeliverableMetric.deliverable_id,
            order_by=(
                DeliverableMetric.reported_at.desc(),
                DeliverableMetric.created_at.desc(),
                DeliverableMetric.id.desc(),
            ),
        )
        .label("rank")
    )
    ranked = (
        select(counted.c.contract_id, *(getattr(DeliverableMetric, c) for c in METRIC_COLUMNS), rank)
        .join(counted, counted.c.id == DeliverableMetric.deliverable_id)
        .subquery()
    )
    sums = (
        select(ranked.c.contract_id, *(func.sum(ranked.c[c]) for c in METRIC_COLUMNS))
        .where(ranked.c.rank == 1)
        .group_by(ranked.c.contract_id)
    )
    return {
        contract_id: dict(zip(METRIC_COLUMNS, (int(v or 0) for v in values), strict=True))
        for contract_id, *values in db.session.execute(sums).all()
    }


def reported_contracts(campaign_id: uuid.UUID) -> list[ContractFigures]:
    """The campaign's binding contracts with their spend and summed latest live metrics."""
    rows = db.session.execute(
        select(Contract, InfluencerProfile.display_name, InfluencerProfile.tier)
        .join(
            InfluencerProfile,
            (InfluencerProfile.tenant_id == Contract.tenant_id)
            & (InfluencerProfile.id == Contract.profile_id),
        )
        .where(Contract.campaign_id == campaign_id, Contract.status.in_(REPORTED_STATUSES))
    ).all()
    metrics = _latest_metric_sums(campaign_id)
    live = _live_counts(campaign_id)
    return [
        ContractFigures(
            contract_id=contract.id,
            profile_id=contract.profile_id,
            display_name=display_name,
            tier=tier,
            status=contract.status,
            figures=Figures(
                contracts=1,
                live_deliverables=live.get(contract.id, 0),
                cash_minor=contract.cash_minor,
                platform_fee_minor=contract.platform_fee_minor,
                brand_pays_minor=contract.brand_pays_minor,
                in_kind_value_minor=contract.in_kind_value_minor,
                **metrics.get(contract.id, {}),
            ),
        )
        for contract, display_name, tier in rows
    ]


def campaign_report(user: User, campaign_id: Any) -> dict[str, Any]:
    """The report of one campaign, for its brand's members and admins (others: 404)."""
    campaign: Campaign = require_match_viewer(user, campaign_id)
    report = build_report(reported_contracts(campaign.id))
    return report_view(campaign, report)


def report_view(campaign: Campaign, report: CampaignReport) -> dict[str, Any]:
    """The report as ReportSchema dumps it."""
    return {
        "campaign_id": campaign.id,
        "brand_id": campaign.brand_id,
        "title": campaign.title,
        "currency": campaign.currency,
        "generated_at": utcnow(),
        "reported_statuses": sorted(REPORTED_STATUSES),
        "influencers": [line.as_dict() for line in report.influencers],
        "tiers": [line.as_dict() for line in report.tiers],
        "total": report.total.as_dict(),
    }


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # A spreadsheet would run it as a formula (CSV injection); a leading quote keeps it text.
        return "'" + value
    return value


def report_csv(view: dict[str, Any]) -> str:
    """The report as CSV: one row per influencer, then per tier, then the total; empty cells for null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in (*view["influencers"], *view["tiers"], view["total"]):
        row = {**line, "currency": view["currency"]}
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
    return buffer.getvalue()
