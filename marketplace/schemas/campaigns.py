"""Schemas of campaigns (briefs)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.domain.tiers import TIERS
from marketplace.models.campaign import CAMPAIGN_STATUSES, COMPENSATION_KINDS
from marketplace.models.influencer import DELIVERABLE_TYPES, PLATFORMS
from marketplace.schemas.common import PageArgsSchema
from marketplace.schemas.validators import country_field, language_field, niche_field


class DeliverableSpecSchema(ma.Schema):
    """What the brand wants made or shared."""

    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    type = fields.String(required=True, validate=validate.OneOf(DELIVERABLE_TYPES))
    quantity = fields.Integer(load_default=1, validate=validate.Range(min=1, max=50))
    content_creation = fields.Boolean(load_default=True)


class CampaignFieldsSchema(ma.Schema):
    """Fields of a brief, shared by create and patch."""

    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=10_000))
    niches = fields.List(niche_field(), validate=validate.Length(min=1, max=10))
    target_countries = fields.List(country_field(), validate=validate.Length(max=50))
    languages = fields.List(language_field(), validate=validate.Length(max=20))
    platforms = fields.List(
        fields.String(validate=validate.OneOf(PLATFORMS)), validate=validate.Length(max=7)
    )
    deliverables = fields.List(fields.Nested(DeliverableSpecSchema), validate=validate.Length(min=1, max=30))
    compensation_kind = fields.String(validate=validate.OneOf(COMPENSATION_KINDS))
    cash_per_influencer_minor = fields.Integer(validate=validate.Range(min=0, max=1_000_000_000))
    in_kind_description = fields.String(allow_none=True, validate=validate.Length(max=2000))
    in_kind_value_minor = fields.Integer(validate=validate.Range(min=0, max=1_000_000_000))
    total_budget_minor = fields.Integer(validate=validate.Range(min=0, max=100_000_000_000))
    slots = fields.Integer(validate=validate.Range(min=1, max=1000))
    wanted_tiers = fields.List(fields.String(validate=validate.OneOf(TIERS)))
    min_engagement = fields.Float(validate=validate.Range(min=0, max=1))
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    application_deadline = fields.Date(allow_none=True)


class CampaignCreateSchema(CampaignFieldsSchema):
    """A new brief, created as a draft."""

    brand_id = fields.UUID(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    niches = fields.List(niche_field(), required=True, validate=validate.Length(min=1, max=10))
    deliverables = fields.List(
        fields.Nested(DeliverableSpecSchema), required=True, validate=validate.Length(min=1, max=30)
    )
    compensation_kind = fields.String(required=True, validate=validate.OneOf(COMPENSATION_KINDS))
    slots = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1000))


class BrandSummarySchema(ma.Schema):
    """The brand behind a campaign, as anyone who sees the campaign sees it."""

    id = fields.UUID()
    name = fields.String()
    rating = fields.Float(allow_none=True, metadata={"description": "Average stars from influencers"})
    rating_count = fields.Integer()


class CampaignSchema(ma.Schema):
    """A campaign as its brand and the influencers it is open to see it."""

    id = fields.UUID()
    brand_id = fields.UUID()
    brand = fields.Nested(
        BrandSummarySchema,
        metadata={"description": "On GET /campaigns and GET /campaigns/{id}: the brand's name and rating"},
    )
    status = fields.String(metadata={"enum": list(CAMPAIGN_STATUSES)})
    title = fields.String()
    description = fields.String()
    niches = fields.List(fields.String())
    target_countries = fields.List(fields.String())
    languages = fields.List(fields.String())
    platforms = fields.List(fields.String())
    deliverables = fields.List(fields.Nested(DeliverableSpecSchema))
    compensation_kind = fields.String()
    currency = fields.String()
    cash_per_influencer_minor = fields.Integer()
    in_kind_description = fields.String(allow_none=True)
    in_kind_value_minor = fields.Integer()
    total_budget_minor = fields.Integer()
    slots = fields.Integer()
    wanted_tiers = fields.List(fields.String())
    min_engagement = fields.Float()
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    application_deadline = fields.Date(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class CampaignListArgsSchema(PageArgsSchema):
    """Filters of GET /campaigns."""

    status = fields.String(load_default=None, validate=validate.OneOf(CAMPAIGN_STATUSES))
    brand_id = fields.UUID(load_default=None)
    niche = niche_field(load_default=None)


class PublishedSchema(ma.Schema):
    """A published campaign and the matching job it started."""

    campaign = fields.Nested(CampaignSchema)
    matching_job_id = fields.UUID(allow_none=True)
    status_url = fields.String(allow_none=True)


class MatchedInfluencerSchema(ma.Schema):
    """The headline figures of a matched influencer."""

    id = fields.UUID()
    display_name = fields.String()
    country = fields.String(allow_none=True)
    niches = fields.List(fields.String())
    platforms = fields.List(fields.String())
    followers = fields.Integer()
    tier = fields.String()
    engagement_rate = fields.Float()
    verified = fields.Boolean()
    fraud_risk = fields.Float(allow_none=True)


class MatchSchema(ma.Schema):
    """One ranked match: total, each factor's value and contribution, and why."""

    rank = fields.Integer()
    score = fields.Float()
    niche_fit = fields.String(metadata={"enum": ["exact", "related", "none"]})
    contributions = fields.Dict(keys=fields.String(), values=fields.Float())
    values = fields.Dict(keys=fields.String(), values=fields.Float())
    sentence = fields.String()
    influencer = fields.Nested(MatchedInfluencerSchema)


class PortfolioPickSchema(ma.Schema):
    """One pick of a portfolio and what it adds."""

    influencer_id = fields.UUID()
    display_name = fields.String(allow_none=True)
    marginal_gain = fields.Float()
    cumulative_coverage = fields.Float()
    cost_minor = fields.Integer()
    explanation = fields.String()


class PortfolioSchema(ma.Schema):
    """A proposed set of complementary influencers within the budget."""

    strategy = fields.String()
    slots = fields.Integer()
    budget_minor = fields.Integer(allow_none=True)
    total_cost_minor = fields.Integer()
    coverage = fields.Float(metadata={"description": "Objective: decayed reach in target countries/niches"})
    target_audience = fields.Float(metadata={"description": "Followers x share in the target countries"})
    considered = fields.Integer()
    notes = fields.List(fields.String())
    approximation = fields.String()
    picks = fields.List(fields.Nested(PortfolioPickSchema))
