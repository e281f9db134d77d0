"""Schemas of users."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields


class UserSchema(ma.Schema):
    """A user as they and admins see them."""

    id = fields.UUID(dump_only=True)
    email = fields.Email(dump_only=True)
    role = fields.String(dump_only=True)
    display_name = fields.String(dump_only=True)
    is_suspended = fields.Boolean(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
