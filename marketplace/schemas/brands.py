"""Schemas of brands and their members."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.models.brand import MEMBER_ROLES
from marketplace.schemas.validators import country_field

INDUSTRIES = (
    "fashion",
    "beauty",
    "food",
    "beverage",
    "travel",
    "tech",
    "gaming",
    "finance",
    "sport",
    "automotive",
    "health",
    "retail",
    "entertainment",
    "jewellery",
    "other",
)


class BrandInputSchema(ma.Schema):
    """A brand organisation."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    website = fields.URL(load_default=None, allow_none=True, validate=validate.Length(max=500))
    industry = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(INDUSTRIES))
    country = country_field(load_default=None, allow_none=True)
    excluded_influencers = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=1000))


class BrandPatchSchema(ma.Schema):
    """Changes to a brand; absent fields stay as they are."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    website = fields.URL(allow_none=True, validate=validate.Length(max=500))
    industry = fields.String(allow_none=True, validate=validate.OneOf(INDUSTRIES))
    country = country_field(allow_none=True)
    excluded_influencers = fields.List(fields.UUID(), validate=validate.Length(max=1000))


class MemberInputSchema(ma.Schema):
    """A brand user to add."""

    email = fields.Email(required=True)
    role = fields.String(load_default="member", validate=validate.OneOf(MEMBER_ROLES))


class MemberSchema(ma.Schema):
    """A member of a brand."""

    user_id = fields.UUID()
    display_name = fields.String()
    email = fields.String()
    role = fields.String()


class BrandSchema(ma.Schema):
    """A brand with its members and exclusion list."""

    id = fields.UUID()
    name = fields.String()
    website = fields.String(allow_none=True)
    industry = fields.String(allow_none=True)
    country = fields.String(allow_none=True)
    created_at = fields.DateTime()
    members = fields.List(fields.Nested(MemberSchema))
    excluded_influencers = fields.List(fields.UUID())
    rating = fields.Float(allow_none=True, metadata={"description": "Average stars from influencers"})
    rating_count = fields.Integer()
