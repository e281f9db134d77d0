"""Schemas of contracts and signatures."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.models.contract import CONTRACT_STATUSES
from marketplace.schemas.common import PageArgsSchema


class SignInputSchema(ma.Schema):
    """A signature: typed full name, explicit consent, and the hash of the document read."""

    full_name = fields.String(required=True, validate=validate.Length(min=2, max=200))
    consent = fields.Boolean(
        required=True, metadata={"description": "I agree to sign this contract electronically"}
    )
    document_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))


class CancelInputSchema(ma.Schema):
    """Why the contract is called off (told to the other side)."""

    reason = fields.String(required=True, validate=validate.Length(min=3, max=500))


class SignatureSchema(ma.Schema):
    """A recorded signature."""

    party = fields.String()
    user_id = fields.UUID()
    typed_name = fields.String()
    signed_at = fields.DateTime()
    document_sha256 = fields.String()


class ContractSchema(ma.Schema):
    """A contract's frozen terms and state."""

    id = fields.UUID()
    campaign_id = fields.UUID()
    offer_id = fields.UUID()
    brand_id = fields.UUID()
    influencer_id = fields.UUID(attribute="profile_id")
    status = fields.String(metadata={"enum": list(CONTRACT_STATUSES)})
    compensation_kind = fields.String()
    currency = fields.String()
    cash_minor = fields.Integer()
    platform_fee_bps = fields.Integer()
    fee_payer = fields.String()
    platform_fee_minor = fields.Integer()
    brand_pays_minor = fields.Integer()
    influencer_net_minor = fields.Integer()
    in_kind_items = fields.List(fields.Dict())
    in_kind_value_minor = fields.Integer()
    terms = fields.Dict()
    document_sha256 = fields.String(allow_none=True)
    document_url = fields.String(allow_none=True)
    signatures = fields.List(fields.Nested(SignatureSchema))
    signed_at = fields.DateTime(allow_none=True)
    funded_at = fields.DateTime(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ContractListArgsSchema(PageArgsSchema):
    """Filters of GET /contracts."""

    status = fields.String(load_default=None, validate=validate.OneOf(CONTRACT_STATUSES))
    campaign_id = fields.UUID(load_default=None)


class NotificationSchema(ma.Schema):
    """An in-app notification."""

    id = fields.UUID()
    kind = fields.String()
    title = fields.String()
    payload = fields.Dict()
    read_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class NotificationArgsSchema(PageArgsSchema):
    """Filters of GET /notifications."""

    unread = fields.Boolean(load_default=False)
