"""Schemas of influencer profiles, metrics, rate cards, search and rate estimates."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.domain.tiers import TIERS
from marketplace.models.influencer import DELIVERABLE_TYPES, PLATFORMS
from marketplace.schemas.common import PageArgsSchema, SparseLoadSchema
from marketplace.schemas.validators import (
    COUNTRY,
    country_field,
    language_field,
    niche_field,
    validate_shares,
)

AGE_BUCKETS = ("13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+")
GENDERS = ("female", "male", "other")
# Average likes, comments and views per post: bounded like followers, so engagement stays finite.
AVERAGE = validate.Range(min=0, max=2_000_000_000)


class SocialAccountSchema(ma.Schema):
    """One social account as the influencer declares it."""

    id = fields.UUID(dump_only=True)
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    handle = fields.String(required=True, validate=validate.Length(min=1, max=100))
    url = fields.URL(load_default=None, allow_none=True, validate=validate.Length(max=500))
    followers = fields.Integer(required=True, validate=validate.Range(min=0, max=2_000_000_000))
    following = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2_000_000_000))
    avg_likes = fields.Float(load_default=0, validate=AVERAGE)
    avg_comments = fields.Float(load_default=0, validate=AVERAGE)
    avg_views = fields.Float(load_default=0, validate=AVERAGE)
    posts_per_month = fields.Float(load_default=0, validate=validate.Range(min=0, max=10_000))
    engagement_rate = fields.Float(dump_only=True)


class AudienceSchema(ma.Schema):
    """Who follows the influencer: shares between 0 and 1, each set summing to at most 1."""

    countries = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        load_default=dict,
        validate=validate_shares(pattern=COUNTRY),
    )
    ages = fields.Dict(
        keys=fields.String(),
        values=fields.Float(),
        load_default=dict,
        validate=validate_shares(keys=AGE_BUCKETS),
    )
    genders = fields.Dict(
        keys=fields.String(), values=fields.Float(), load_default=dict, validate=validate_shares(keys=GENDERS)
    )


class ProfileInputSchema(ma.Schema):
    """The influencer's own profile; derived figures are not accepted here."""

    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    bio = fields.String(load_default="", validate=validate.Length(max=5000))
    country = country_field(load_default=None, allow_none=True)
    languages = fields.List(language_field(), load_default=list, validate=validate.Length(max=20))
    niches = fields.List(niche_field(), load_default=list, validate=validate.Length(max=10))
    social_accounts = fields.List(
        fields.Nested(SocialAccountSchema), load_default=list, validate=validate.Length(max=20)
    )
    audience = fields.Nested(AudienceSchema, load_default=dict)
    accepts_in_kind = fields.Boolean(load_default=False)
    min_cash_rate_minor = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=1_000_000_000)
    )
    tier_platform = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(PLATFORMS),
        metadata={
            "description": "The platform whose account gives the tier (one of the profile's accounts); "
            "null: the largest account"
        },
    )

    @ma.validates_schema
    def _tier_platform_is_an_account(self, data: dict[str, Any], **kwargs: Any) -> None:
        platform = data.get("tier_platform")
        if platform and platform not in {a["platform"] for a in data.get("social_accounts", [])}:
            raise ma.ValidationError("The profile has no account on this platform.", "tier_platform")


class RateLineSchema(ma.Schema):
    """One price of the rate card."""

    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    deliverable = fields.String(required=True, validate=validate.OneOf(DELIVERABLE_TYPES))
    content_creation = fields.Boolean(required=True)
    price_minor = fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000_000))


class RateCardInputSchema(ma.Schema):
    """The whole rate card, replacing the previous one."""

    rates = fields.List(fields.Nested(RateLineSchema), required=True, validate=validate.Length(max=200))


class RateCardSchema(ma.Schema):
    """The rate card in the tenant's currency."""

    currency = fields.String()
    rates = fields.List(fields.Nested(RateLineSchema))


class MetricSnapshotInputSchema(ma.Schema):
    """A reading of one account's figures."""

    account_id = fields.UUID(required=True)
    followers = fields.Integer(required=True, validate=validate.Range(min=0, max=2_000_000_000))
    following = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2_000_000_000))
    avg_likes = fields.Float(load_default=0, validate=AVERAGE)
    avg_comments = fields.Float(load_default=0, validate=AVERAGE)
    avg_views = fields.Float(load_default=0, validate=AVERAGE)
    taken_at = fields.AwareDateTime(load_default=None, allow_none=True)


class MetricSnapshotSchema(MetricSnapshotInputSchema):
    """A stored snapshot."""

    id = fields.UUID(dump_only=True)


class ProfileSchema(ma.Schema):
    """An influencer profile with its derived figures."""

    id = fields.UUID()
    user_id = fields.UUID()
    display_name = fields.String()
    bio = fields.String()
    country = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    niches = fields.List(fields.String())
    related_niches = fields.List(fields.String())
    social_accounts = fields.List(fields.Nested(SocialAccountSchema))
    audience = fields.Nested(AudienceSchema)
    accepts_in_kind = fields.Boolean()
    min_cash_rate_minor = fields.Integer(allow_none=True)
    platforms = fields.List(fields.String())
    followers = fields.Integer(metadata={"description": "Followers of the largest account"})
    tier = fields.String(metadata={"enum": list(TIERS)})
    tier_platform = fields.String(
        allow_none=True,
        metadata={"description": "The platform whose account gives the tier; null: the largest account"},
    )
    engagement_rate = fields.Float(metadata={"description": "Follower-weighted over all accounts"})
    verified = fields.Boolean()
    rating = fields.Float(allow_none=True)
    rating_count = fields.Integer()
    fraud_risk = fields.Float(allow_none=True)
    fraud_reasons = fields.List(fields.Dict(), allow_none=True)
    rates = fields.List(fields.Nested(RateLineSchema))
    currency = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProfileSummarySchema(ma.Schema):
    """A profile in search results."""

    id = fields.UUID()
    display_name = fields.String()
    country = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    niches = fields.List(fields.String())
    platforms = fields.List(fields.String())
    followers = fields.Integer()
    tier = fields.String()
    engagement_rate = fields.Float()
    verified = fields.Boolean()
    rating = fields.Float(allow_none=True, attribute="rating_avg")
    fraud_risk = fields.Float(allow_none=True)
    rate_minor = fields.Integer(allow_none=True, metadata={"description": "Price of the asked deliverable"})


SORTS = (
    "relevance",
    "followers",
    "-followers",
    "engagement",
    "-engagement",
    "rate",
    "-rate",
    "rating",
    "-rating",
    "newest",
)


class SearchArgsSchema(SparseLoadSchema, PageArgsSchema):
    """Filters and sort of GET /influencers."""

    niche = fields.List(niche_field(), load_default=list)
    related = fields.Boolean(load_default=False, metadata={"description": "Include related niches"})
    country = fields.List(country_field(), load_default=list)
    language = fields.List(language_field(), load_default=list)
    platform = fields.List(fields.String(validate=validate.OneOf(PLATFORMS)), load_default=list)
    tier = fields.List(fields.String(validate=validate.OneOf(TIERS)), load_default=list)
    # Bounded like the figures they filter (32-bit columns): a larger bound is a 422, not a 500.
    min_followers = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2_000_000_000))
    max_followers = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2_000_000_000))
    min_engagement = fields.Float(load_default=None, validate=validate.Range(min=0, max=10))
    max_engagement = fields.Float(load_default=None, validate=validate.Range(min=0, max=10))
    deliverable = fields.String(
        load_default=None,
        validate=validate.OneOf(DELIVERABLE_TYPES),
        metadata={"description": "With max_rate or sort=rate: which price"},
    )
    rate_platform = fields.String(load_default=None, validate=validate.OneOf(PLATFORMS))
    content_creation = fields.Boolean(load_default=True)
    max_rate = fields.Integer(load_default=None, validate=validate.Range(min=0, max=1_000_000_000))
    verified = fields.Boolean(load_default=None)
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS))

    @ma.validates_schema
    def _ranges(self, data: dict, **kwargs: object) -> None:
        errors = {}
        for low, high in (("min_followers", "max_followers"), ("min_engagement", "max_engagement")):
            if data.get(low) is not None and data.get(high) is not None and data[low] > data[high]:
                errors[high] = [f"Must be at least {low}."]
        if (data.get("max_rate") is not None or data.get("sort") in ("rate", "-rate")) and not data.get(
            "deliverable"
        ):
            errors["deliverable"] = ["Say which deliverable's price to filter or sort on."]
        if data.get("sort") in ("rate", "-rate") and not data.get("rate_platform"):
            errors["rate_platform"] = ["Say which platform's price to sort on."]
        if errors:
            raise ma.ValidationError(errors)


class RateEstimateArgsSchema(ma.Schema):
    """Which deliverable to price."""

    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    deliverable = fields.String(required=True, validate=validate.OneOf(DELIVERABLE_TYPES))
    content_creation = fields.Boolean(load_default=True)


class RateFactorSchema(ma.Schema):
    """One factor of a rate estimate."""

    name = fields.String()
    value = fields.Raw()
    multiplier = fields.Float()
    explanation = fields.String()


class RateEstimateSchema(ma.Schema):
    """A fair price range with every factor shown."""

    low_minor = fields.Integer()
    typical_minor = fields.Integer()
    high_minor = fields.Integer()
    currency = fields.String()
    basis = fields.String(metadata={"enum": ["model", "tenant_market"]})
    comparables_used = fields.Integer()
    factors = fields.List(fields.Nested(RateFactorSchema))
