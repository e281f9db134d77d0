"""In-app notifications."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.common import page_of
from marketplace.schemas.contracts import NotificationArgsSchema, NotificationSchema
from marketplace.services import notifications

blp = Blueprint("notifications", __name__, url_prefix="/api/v1/notifications", description="Notifications")


class ReadAllSchema(ma.Schema):
    """How many notifications were marked read."""

    marked = ma.fields.Integer()


@blp.route("", methods=["GET"])
@login_required()
@blp.arguments(NotificationArgsSchema, location="query")
@blp.response(200, page_of(NotificationSchema))
def list_notifications(args: dict[str, Any]) -> Any:
    """My notifications, newest first"""
    return notifications.list_for(current_user(), args["unread"], args["cursor"], args["limit"])


@blp.route("/<uuid:notification_id>/read", methods=["POST"])
@login_required()
@blp.response(200, NotificationSchema)
def mark_read(notification_id: uuid.UUID) -> Any:
    """Mark one notification read"""
    return notifications.mark_read(current_user(), notification_id)


@blp.route("/read-all", methods=["POST"])
@login_required()
@blp.response(200, ReadAllSchema)
def mark_all_read() -> Any:
    """Mark all my notifications read"""
    return {"marked": notifications.mark_all_read(current_user())}
