"""The caller's own account."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.api.jobs import accepted
from marketplace.schemas.jobs import JobAcceptedSchema
from marketplace.schemas.users import UserSchema
from marketplace.services import jobs

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The caller's own account")


@blp.route("", methods=["GET"])
@login_required()
@blp.response(200, UserSchema)
def me() -> Any:
    """Who am I"""
    return current_user()


@blp.route("/export", methods=["POST"])
@login_required()
@blp.response(202, JobAcceptedSchema)
def export() -> Any:
    """Start an export of everything we hold about me; follow it at /jobs/{id}"""
    return accepted(jobs.export_my_data(current_user()))
