"""Tenant administration."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.api.delivery import dispute_view
from marketplace.schemas.admin import (
    AuditArgsSchema,
    AuditEntrySchema,
    FlagDecisionSchema,
    ReasonSchema,
    VerifySchema,
)
from marketplace.schemas.auth import AdminCreateSchema, PasswordResetTokenSchema
from marketplace.schemas.common import page_of
from marketplace.schemas.delivery import DisputeQueueArgsSchema, DisputeSchema, ResolveSchema
from marketplace.schemas.fraud import FlagArgsSchema, FlagSchema
from marketplace.schemas.influencers import ProfileSummarySchema
from marketplace.schemas.payments import IdempotencyHeaderSchema
from marketplace.schemas.users import UserSchema
from marketplace.services import audit, auth, disputes, fraud_checks, moderation, password_reset
from marketplace.tenancy import current_tenant

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Tenant administration")


@blp.route("/admins", methods=["POST"])
@login_required("admin")
@blp.arguments(AdminCreateSchema)
@blp.response(201, UserSchema)
def create_admin(data: dict[str, Any]) -> Any:
    """Create another admin of this marketplace"""
    return auth.create_admin(
        current_tenant(), data["email"], data["password"], data["display_name"], actor=current_user()
    )


@blp.route("/flags", methods=["GET"])
@login_required("admin")
@blp.arguments(FlagArgsSchema, location="query")
@blp.response(200, page_of(FlagSchema))
def list_flags(args: dict[str, Any]) -> Any:
    """The fraud review queue: profiles whose fake-follower risk crossed the threshold, riskiest first"""
    return fraud_checks.open_flags(args["cursor"], args["limit"], args["status"])


@blp.route("/users/<uuid:user_id>/suspend", methods=["POST"])
@login_required("admin")
@blp.arguments(ReasonSchema)
@blp.response(200, UserSchema)
def suspend(data: dict[str, Any], user_id: uuid.UUID) -> Any:
    """Suspend a user: no login, no action, pending offers withdrawn"""
    return moderation.suspend(current_user(), user_id, data["reason"])


@blp.route("/users/<uuid:user_id>/password-reset", methods=["POST"])
@login_required("admin")
@blp.response(201, PasswordResetTokenSchema)
def password_reset_token(user_id: uuid.UUID) -> Any:
    """A password-reset token to hand to a user: how an imported influencer claims the account"""
    return password_reset.admin_token(current_user(), user_id)


@blp.route("/users/<uuid:user_id>/reinstate", methods=["POST"])
@login_required("admin")
@blp.arguments(ReasonSchema)
@blp.response(200, UserSchema)
def reinstate(data: dict[str, Any], user_id: uuid.UUID) -> Any:
    """Lift a user's suspension"""
    return moderation.reinstate(current_user(), user_id, data["reason"])


@blp.route("/influencers/<uuid:influencer_id>/verify", methods=["POST"])
@login_required("admin")
@blp.arguments(VerifySchema)
@blp.response(200, ProfileSummarySchema)
def verify(data: dict[str, Any], influencer_id: uuid.UUID) -> Any:
    """Mark an influencer verified (or not)"""
    return moderation.verify(current_user(), influencer_id, data["verified"])


@blp.route("/influencers/<uuid:influencer_id>/flags", methods=["POST"])
@login_required("admin")
@blp.arguments(ReasonSchema)
@blp.response(201, FlagSchema)
def flag_influencer(data: dict[str, Any], influencer_id: uuid.UUID) -> Any:
    """Flag an influencer for review (brand safety: a scandal, undisclosed ads); audited"""
    return moderation.flag(current_user(), influencer_id, data["reason"])


@blp.route("/flags/<uuid:flag_id>/confirm", methods=["POST"])
@login_required("admin")
@blp.arguments(FlagDecisionSchema)
@blp.response(200, FlagSchema)
def confirm_flag(data: dict[str, Any], flag_id: uuid.UUID) -> Any:
    """Confirm a fraud flag after review"""
    return moderation.review_flag(current_user(), flag_id, "confirm", data["note"])


@blp.route("/flags/<uuid:flag_id>/dismiss", methods=["POST"])
@login_required("admin")
@blp.arguments(FlagDecisionSchema)
@blp.response(200, FlagSchema)
def dismiss_flag(data: dict[str, Any], flag_id: uuid.UUID) -> Any:
    """Dismiss a fraud flag after review"""
    return moderation.review_flag(current_user(), flag_id, "dismiss", data["note"])


@blp.route("/disputes", methods=["GET"])
@login_required("admin")
@blp.arguments(DisputeQueueArgsSchema, location="query")
@blp.response(200, page_of(DisputeSchema))
def dispute_queue(args: dict[str, Any]) -> Any:
    """The dispute queue, oldest first, with ages"""
    page = disputes.queue(args)
    page.items = [dispute_view(d) for d in page.items]
    return page


@blp.route("/disputes/<uuid:dispute_id>/review", methods=["POST"])
@login_required("admin")
@blp.response(200, DisputeSchema)
def take_dispute(dispute_id: uuid.UUID) -> Any:
    """Take a dispute under review"""
    return dispute_view(disputes.take_for_review(current_user(), dispute_id))


@blp.route("/disputes/<uuid:dispute_id>/resolve", methods=["POST"])
@login_required("admin")
@blp.arguments(IdempotencyHeaderSchema, location="headers")
@blp.arguments(ResolveSchema)
@blp.response(200, DisputeSchema)
def resolve_dispute(headers: dict[str, Any], data: dict[str, Any], dispute_id: uuid.UUID) -> Any:
    """Resolve a dispute: release, refund or split (share in basis points); Idempotency-Key honoured"""
    return dispute_view(disputes.resolve(current_user(), dispute_id, data, headers["idempotency_key"]))


@blp.route("/audit-log", methods=["GET"])
@login_required("admin")
@blp.arguments(AuditArgsSchema, location="query")
@blp.response(200, page_of(AuditEntrySchema))
def audit_log(args: dict[str, Any]) -> Any:
    """Every admin action, newest first, with filters"""
    return audit.search(args)
