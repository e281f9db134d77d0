"""Tenant administration."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import login_required
from marketplace.schemas.auth import AdminCreateSchema
from marketplace.schemas.common import page_of
from marketplace.schemas.fraud import FlagArgsSchema, FlagSchema
from marketplace.schemas.users import UserSchema
from marketplace.services import auth, fraud_checks
from marketplace.tenancy import current_tenant

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Tenant administration")


@blp.route("/admins", methods=["POST"])
@login_required("admin")
@blp.arguments(AdminCreateSchema)
@blp.response(201, UserSchema)
def create_admin(data: dict[str, Any]) -> Any:
    """Create another admin of this marketplace"""
    return auth.create_admin(current_tenant(), data["email"], data["password"], data["display_name"])


@blp.route("/flags", methods=["GET"])
@login_required("admin")
@blp.arguments(FlagArgsSchema, location="query")
@blp.response(200, page_of(FlagSchema))
def list_flags(args: dict[str, Any]) -> Any:
    """The fraud review queue: profiles whose fake-follower risk crossed the threshold, riskiest first"""
    return fraud_checks.open_flags(args["cursor"], args["limit"], args["status"])
