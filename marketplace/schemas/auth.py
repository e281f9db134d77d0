"""Schemas of registration, login and tokens."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from marketplace.domain.passwords import MAX_LENGTH


class RegisterSchema(ma.Schema):
    """Self-registration of an influencer or a brand member."""

    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))
    role = fields.String(required=True, validate=validate.OneOf(["influencer", "brand"]))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class AdminCreateSchema(ma.Schema):
    """An admin creating another admin of the same tenant."""

    email = fields.Email(required=True, validate=validate.Length(max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=120))


class LoginSchema(ma.Schema):
    """Credentials."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=320))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class RefreshSchema(ma.Schema):
    """A refresh token to rotate."""

    refresh_token = fields.String(required=True)


class LogoutSchema(ma.Schema):
    """Optionally the session's refresh token, revoked with the access token."""

    refresh_token = fields.String(load_default=None)


class TokenPairSchema(ma.Schema):
    """Tokens issued by login and refresh."""

    access_token = fields.String(required=True)
    refresh_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = fields.Integer(required=True, metadata={"description": "Access token lifetime, seconds"})


class PasswordResetRequestSchema(ma.Schema):
    """The email of the account whose password is forgotten."""

    email = fields.String(required=True, validate=validate.Length(min=1, max=320))


class PasswordResetSchema(ma.Schema):
    """A reset token and the new password."""

    token = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=MAX_LENGTH))


class PasswordResetAcceptedSchema(ma.Schema):
    """The same answer whether or not the account exists."""

    status = fields.String(metadata={"enum": ["accepted"]})
    detail = fields.String()


class PasswordResetTokenSchema(ma.Schema):
    """A reset token an admin hands to the user (POST /auth/password-reset/confirm takes it)."""

    token = fields.String()
    expires_in = fields.Integer(metadata={"description": "Seconds the token stays valid"})
