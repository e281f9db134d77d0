"""Schemas of fraud flags."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.models.fraud import FLAG_STATUSES
from marketplace.schemas.common import PageArgsSchema


class FlagArgsSchema(PageArgsSchema):
    """Which flags to list."""

    status = fields.String(load_default="open", validate=validate.OneOf(FLAG_STATUSES))


class FlagReasonSchema(ma.Schema):
    """One signal behind a flag."""

    code = fields.String()
    weight = fields.Float()
    severity = fields.Float()
    detail = fields.String()
    account = fields.String()


class FlagSchema(ma.Schema):
    """A profile in the fraud review queue."""

    id = fields.UUID()
    profile_id = fields.UUID()
    score = fields.Float()
    reasons = fields.List(fields.Nested(FlagReasonSchema))
    status = fields.String()
    created_at = fields.DateTime()
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)
