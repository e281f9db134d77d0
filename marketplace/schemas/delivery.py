"""Schemas of deliverables, metrics, reviews and disputes."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.models.delivery import DELIVERABLE_STATUSES, STAGES
from marketplace.models.dispute import DISPUTE_REASONS, DISPUTE_STATUSES, OUTCOMES
from marketplace.models.influencer import DELIVERABLE_TYPES, PLATFORMS
from marketplace.schemas.common import PageArgsSchema


class DeliverableInputSchema(ma.Schema):
    """A draft for approval before posting, or the live post."""

    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    type = fields.String(required=True, validate=validate.OneOf(DELIVERABLE_TYPES))
    stage = fields.String(load_default="live", validate=validate.OneOf(STAGES))
    url = fields.URL(required=True, validate=validate.Length(max=1000))
    caption = fields.String(load_default="", validate=validate.Length(max=5000))
    paid_partnership_flag = fields.Boolean(load_default=False)
    posted_at = fields.AwareDateTime(load_default=None, allow_none=True)


class DeliverableSchema(ma.Schema):
    """A submitted deliverable and its review."""

    id = fields.UUID()
    contract_id = fields.UUID()
    platform = fields.String()
    type = fields.String()
    stage = fields.String(metadata={"enum": list(STAGES)})
    url = fields.String()
    caption = fields.String()
    paid_partnership_flag = fields.Boolean()
    posted_at = fields.DateTime(allow_none=True)
    status = fields.String(metadata={"enum": list(DELIVERABLE_STATUSES)})
    revision = fields.Integer()
    disclosure_ok = fields.Boolean()
    review_due_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
    auto_approved = fields.Boolean()
    created_at = fields.DateTime()


class SubmittedSchema(ma.Schema):
    """A submitted deliverable with any warning for the brand."""

    deliverable = fields.Nested(DeliverableSchema)
    warnings = fields.List(fields.String())


class ChangesSchema(ma.Schema):
    """What the brand wants changed."""

    note = fields.String(required=True, validate=validate.Length(min=1, max=5000))


# Counts are stored in 32-bit columns: bounded like followers, so no figure overflows them.
COUNT = validate.Range(min=0, max=2_000_000_000)


class MetricInputSchema(ma.Schema):
    """Figures as reported for a deliverable."""

    impressions = fields.Integer(load_default=0, validate=COUNT)
    reach = fields.Integer(load_default=0, validate=COUNT)
    likes = fields.Integer(load_default=0, validate=COUNT)
    comments = fields.Integer(load_default=0, validate=COUNT)
    shares = fields.Integer(load_default=0, validate=COUNT)
    saves = fields.Integer(load_default=0, validate=COUNT)
    clicks = fields.Integer(load_default=0, validate=COUNT)
    conversions = fields.Integer(load_default=0, validate=COUNT)
    reported_at = fields.AwareDateTime(load_default=None, allow_none=True)


class MetricSchema(MetricInputSchema):
    """A stored metric report."""

    id = fields.UUID()
    deliverable_id = fields.UUID()


class ReviewInputSchema(ma.Schema):
    """Stars and words about the other party."""

    stars = fields.Integer(required=True, validate=validate.Range(min=1, max=5))
    text = fields.String(load_default="", validate=validate.Length(max=5000))


class ReviewSchema(ReviewInputSchema):
    """A stored review."""

    id = fields.UUID()
    contract_id = fields.UUID()
    reviewer_party = fields.String()
    created_at = fields.DateTime()


class DisputeInputSchema(ma.Schema):
    """Why a party disputes the contract."""

    reason = fields.String(required=True, validate=validate.OneOf(DISPUTE_REASONS))
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class DisputeMessageInputSchema(ma.Schema):
    """A message with evidence links."""

    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    evidence_links = fields.List(fields.URL(), load_default=list, validate=validate.Length(max=20))


class DisputeMessageSchema(DisputeMessageInputSchema):
    """A stored message."""

    id = fields.UUID()
    author_id = fields.UUID()
    author_role = fields.String()
    created_at = fields.DateTime()


class DisputeSchema(ma.Schema):
    """A dispute and where it stands."""

    id = fields.UUID()
    contract_id = fields.UUID()
    opened_by = fields.UUID()
    opened_by_party = fields.String()
    reason = fields.String(metadata={"enum": list(DISPUTE_REASONS)})
    description = fields.String()
    status = fields.String(metadata={"enum": list(DISPUTE_STATUSES)})
    reviewer_id = fields.UUID(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    influencer_share_bps = fields.Integer(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    age_hours = fields.Method("_age", dump_only=True)
    messages = fields.List(fields.Nested(DisputeMessageSchema))

    def _age(self, dispute: dict) -> float:
        from marketplace.models.base import utcnow

        return round((utcnow() - dispute["created_at"]).total_seconds() / 3600, 1)


class DisputeQueueArgsSchema(PageArgsSchema):
    """Filters of the admins' dispute queue."""

    status = fields.String(load_default=None, validate=validate.OneOf(DISPUTE_STATUSES))
    reason = fields.String(load_default=None, validate=validate.OneOf(DISPUTE_REASONS))


class ResolveSchema(ma.Schema):
    """An admin's decision."""

    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    influencer_share_bps = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(min=0, max=10_000)
    )
    note = fields.String(required=True, validate=validate.Length(min=1, max=5000))
