"""Schemas of moderation and the audit log."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.schemas.common import PageArgsSchema


class ReasonSchema(ma.Schema):
    """Why an admin acts."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class VerifySchema(ma.Schema):
    """Verification on or off."""

    verified = fields.Boolean(load_default=True)


class FlagDecisionSchema(ma.Schema):
    """An admin's note on a fraud flag."""

    note = fields.String(load_default="", validate=validate.Length(max=2000))


class AuditArgsSchema(PageArgsSchema):
    """Filters of the audit log."""

    actor_id = fields.UUID(load_default=None)
    action = fields.String(load_default=None, validate=validate.Length(max=60))
    target_type = fields.String(load_default=None, validate=validate.Length(max=40))
    target_id = fields.String(load_default=None, validate=validate.Length(max=64))
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)


class AuditEntrySchema(ma.Schema):
    """One admin action."""

    id = fields.UUID()
    actor_id = fields.UUID(allow_none=True)
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
