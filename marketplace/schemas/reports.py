"""Schemas of campaign reports."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.domain.tiers import TIERS


def _money(description: str) -> fields.Integer:
    return fields.Integer(metadata={"description": f"{description}, in minor units"})


def _ratio(description: str) -> fields.Float:
    return fields.Float(allow_none=True, metadata={"description": f"{description}; null when dividing by 0"})


class ReportArgsSchema(ma.Schema):
    """Query arguments of the report: the format, when the Accept header cannot say it."""

    format = fields.String(
        load_default=None,
        validate=validate.OneOf(("json", "csv")),
        metadata={"description": "csv or json; overrides the Accept header"},
    )


class ReportLineSchema(ma.Schema):
    """One line: an influencer (its contract), a tier, or the total. docs/reports.md defines each figure."""

    level = fields.String(metadata={"enum": ["influencer", "tier", "total"]})
    tier = fields.String(allow_none=True, metadata={"enum": list(TIERS)})
    profile_id = fields.UUID(allow_none=True)
    contract_id = fields.UUID(allow_none=True)
    display_name = fields.String(allow_none=True)
    contract_status = fields.String(allow_none=True)
    contracts = fields.Integer()
    live_deliverables = fields.Integer()
    cash_minor = _money("Agreed cash")
    platform_fee_minor = _money("Platform fee (on top for the brand or out of the influencer's cash)")
    brand_pays_minor = _money("Cash the brand pays: cash plus the fee when the brand pays it")
    in_kind_value_minor = _money("Declared value of products and invitations")
    total_spend_minor = _money("brand_pays_minor + in_kind_value_minor, the cost of every cost ratio")
    impressions = fields.Integer()
    reach = fields.Integer(metadata={"description": "Summed over deliverables (not deduplicated)"})
    likes = fields.Integer()
    comments = fields.Integer()
    shares = fields.Integer()
    saves = fields.Integer()
    engagements = fields.Integer(metadata={"description": "likes + comments + shares + saves"})
    clicks = fields.Integer()
    conversions = fields.Integer()
    engagement_rate = _ratio("engagements / reach, 6 decimals")
    cpm_minor = _ratio("total_spend_minor * 1000 / impressions, 2 decimals")
    cpe_minor = _ratio("total_spend_minor / engagements, 2 decimals")
    cpc_minor = _ratio("total_spend_minor / clicks, 2 decimals")
    cost_per_conversion_minor = _ratio("total_spend_minor / conversions, 2 decimals")


class ReportSchema(ma.Schema):
    """A campaign's report: per influencer, per tier and in total."""

    campaign_id = fields.UUID()
    brand_id = fields.UUID()
    title = fields.String()
    currency = fields.String()
    generated_at = fields.DateTime()
    reported_statuses = fields.List(fields.String(), metadata={"description": "Contract statuses counted"})
    influencers = fields.List(fields.Nested(ReportLineSchema))
    tiers = fields.List(
        fields.Nested(ReportLineSchema), metadata={"description": "Tiers present, nano to mega"}
    )
    total = fields.Nested(ReportLineSchema)
