"""Tenant administration."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import login_required
from marketplace.schemas.auth import AdminCreateSchema
from marketplace.schemas.users import UserSchema
from marketplace.services import auth
from marketplace.tenancy import current_tenant

blp = Blueprint("admin", __name__, url_prefix="/api/v1/admin", description="Tenant administration")


@blp.route("/admins", methods=["POST"])
@login_required("admin")
@blp.arguments(AdminCreateSchema)
@blp.response(201, UserSchema)
def create_admin(data: dict[str, Any]) -> Any:
    """Create another admin of this marketplace"""
    return auth.create_admin(current_tenant(), data["email"], data["password"], data["display_name"])
