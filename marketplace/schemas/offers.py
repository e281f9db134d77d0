"""Schemas of offers, applications and counter-offers."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.models.offer import DIRECTIONS, OFFER_STATUSES
from marketplace.schemas.common import PageArgsSchema


class InKindItemSchema(ma.Schema):
    """A product or invitation, with its declared value."""

    description = fields.String(required=True, validate=validate.Length(min=1, max=500))
    value_minor = fields.Integer(required=True, validate=validate.Range(min=0, max=100_000_000))


class InvitationSchema(ma.Schema):
    """A brand's offer to an influencer."""

    influencer_id = fields.UUID(required=True)
    cash_minor = fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000_000))
    in_kind_items = fields.List(
        fields.Nested(InKindItemSchema), load_default=list, validate=validate.Length(max=20)
    )
    message = fields.String(load_default="", validate=validate.Length(max=5000))


class ApplicationSchema(ma.Schema):
    """An influencer's application to a campaign."""

    proposed_cash_minor = fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000_000))
    in_kind_items = fields.List(
        fields.Nested(InKindItemSchema), load_default=list, validate=validate.Length(max=20)
    )
    pitch = fields.String(load_default="", validate=validate.Length(max=5000))


class CounterSchema(ma.Schema):
    """New terms answering an offer."""

    cash_minor = fields.Integer(required=True, validate=validate.Range(min=0, max=1_000_000_000))
    in_kind_items = fields.List(
        fields.Nested(InKindItemSchema), load_default=list, validate=validate.Length(max=20)
    )
    message = fields.String(load_default="", validate=validate.Length(max=5000))


class OfferSchema(ma.Schema):
    """An offer and where it stands."""

    id = fields.UUID()
    campaign_id = fields.UUID()
    influencer_id = fields.UUID(attribute="profile_id")
    brand_id = fields.UUID()
    sender_id = fields.UUID()
    direction = fields.String(metadata={"enum": list(DIRECTIONS)})
    status = fields.String(metadata={"enum": list(OFFER_STATUSES)})
    currency = fields.String()
    cash_minor = fields.Integer()
    in_kind_items = fields.List(fields.Nested(InKindItemSchema))
    in_kind_value_minor = fields.Integer()
    message = fields.String()
    expires_at = fields.DateTime()
    parent_id = fields.UUID(allow_none=True, metadata={"description": "The offer this one counters"})
    responded_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class OfferListArgsSchema(PageArgsSchema):
    """Filters of GET /offers."""

    status = fields.String(load_default=None, validate=validate.OneOf(OFFER_STATUSES))
    campaign_id = fields.UUID(load_default=None)
    box = fields.String(load_default=None, validate=validate.OneOf(["sent", "received"]))


class AcceptedSchema(ma.Schema):
    """The contract an accepted offer created, and its document job."""

    contract_id = fields.UUID()
    contract_status = fields.String()
    document_job_id = fields.UUID(metadata={"description": "The job generating the contract's document"})
    status_url = fields.String(metadata={"description": "Where that job's progress shows (either party)"})
    offer = fields.Nested(OfferSchema)


class NegotiationSchema(ma.Schema):
    """An offer with the negotiation it belongs to, oldest first."""

    offer = fields.Nested(OfferSchema)
    history = fields.List(fields.Nested(OfferSchema))
