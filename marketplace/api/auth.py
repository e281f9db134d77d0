"""Registration, login, token refresh and logout."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_smorest import Blueprint

from marketplace.api.access import login_required
from marketplace.extensions import limiter
from marketplace.schemas.auth import (
    LoginSchema,
    LogoutSchema,
    PasswordResetAcceptedSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    RefreshSchema,
    RegisterSchema,
    TokenPairSchema,
)
from marketplace.schemas.users import UserSchema
from marketplace.services import auth, password_reset
from marketplace.tenancy import current_tenant

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Accounts and tokens")


def _auth_limit() -> str:
    return current_app.config["MARKETPLACE"].auth_rate_limit


@blp.route("/register", methods=["POST"])
@limiter.limit(_auth_limit)
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
@blp.doc(security=[])
def register(data: dict[str, Any]) -> Any:
    """Register as an influencer or a brand member"""
    return auth.register(current_tenant(), data)


@blp.route("/login", methods=["POST"])
@limiter.limit(_auth_limit)
@blp.arguments(LoginSchema)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.doc(security=[])
def login(data: dict[str, Any]) -> Any:
    """Exchange email and password for an access and a refresh token"""
    return auth.login(current_tenant(), data["email"], data["password"])


@blp.route("/refresh", methods=["POST"])
@limiter.limit(_auth_limit)
@blp.arguments(RefreshSchema)
@blp.response(200, TokenPairSchema)
@blp.alt_response(401, response="UNAUTHORIZED")
@blp.alt_response(403, response="FORBIDDEN")
@blp.doc(security=[])
def refresh(data: dict[str, Any]) -> Any:
    """Rotate a refresh token into a new token pair"""
    return auth.refresh(current_tenant(), data["refresh_token"])


@blp.route("/logout", methods=["POST"])
@login_required()
@blp.arguments(LogoutSchema)
@blp.response(204)
def logout(data: dict[str, Any]) -> None:
    """Revoke the access token in use (and the refresh token, when sent)"""
    auth.logout(current_tenant(), g.token_claims, data.get("refresh_token"))


@blp.route("/password-reset", methods=["POST"])
@limiter.limit(_auth_limit)
@blp.arguments(PasswordResetRequestSchema)
@blp.response(202, PasswordResetAcceptedSchema)
@blp.doc(security=[])
def request_password_reset(data: dict[str, Any]) -> Any:
    """Email a password-reset token to this account, if it exists (the answer is the same either way)"""
    password_reset.request_reset(data["email"])
    return {
        "status": "accepted",
        "detail": "If an account uses this email, a reset token is on its way; it is valid for "
        f"{password_reset.lifetime_seconds() // 60} minutes.",
    }


@blp.route("/password-reset/confirm", methods=["POST"])
@limiter.limit(_auth_limit)
@blp.arguments(PasswordResetSchema)
@blp.response(204)
@blp.doc(security=[])
def confirm_password_reset(data: dict[str, Any]) -> None:
    """Set a new password with a reset token (the sessions opened before it end)"""
    password_reset.confirm_reset(data["token"], data["password"])
