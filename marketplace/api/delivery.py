"""Deliverables, their review and metrics; reviews and disputes on contracts."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.common import PageArgsSchema, page_of
from marketplace.schemas.delivery import (
    ChangesSchema,
    DeliverableInputSchema,
    DeliverableSchema,
    DisputeInputSchema,
    DisputeMessageInputSchema,
    DisputeMessageSchema,
    DisputeSchema,
    MetricInputSchema,
    MetricSchema,
    ReviewInputSchema,
    ReviewSchema,
    SubmittedSchema,
)
from marketplace.services import deliverables, disputes, reviews

blp = Blueprint("delivery", __name__, url_prefix="/api/v1", description="Deliverables, reviews and disputes")


def dispute_view(dispute: Any) -> dict[str, Any]:
    """A dispute with its messages."""
    return {
        **{c.key: getattr(dispute, c.key) for c in type(dispute).__table__.columns},
        "messages": disputes.messages_of(dispute),
    }


@blp.route("/contracts/<uuid:contract_id>/deliverables", methods=["POST"])
@login_required("influencer")
@blp.arguments(DeliverableInputSchema)
@blp.response(201, SubmittedSchema)
def submit(data: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """Submit a draft or the live post; a missing disclosure is flagged to the brand"""
    deliverable, warnings = deliverables.submit(current_user(), contract_id, data)
    return {"deliverable": deliverable, "warnings": warnings}


@blp.route("/contracts/<uuid:contract_id>/deliverables", methods=["GET"])
@login_required()
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(DeliverableSchema))
def list_deliverables(args: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """A contract's deliverables, oldest first"""
    return deliverables.list_for_contract(current_user(), contract_id, args["cursor"], args["limit"])


@blp.route("/deliverables/<uuid:deliverable_id>", methods=["GET"])
@login_required()
@blp.response(200, DeliverableSchema)
def get_deliverable(deliverable_id: uuid.UUID) -> Any:
    """One deliverable"""
    return deliverables.visible_deliverable(current_user(), deliverable_id)


@blp.route("/deliverables/<uuid:deliverable_id>/approve", methods=["POST"])
@login_required("brand")
@blp.response(200, DeliverableSchema)
def approve(deliverable_id: uuid.UUID) -> Any:
    """Approve a deliverable; the last approval delivers the contract and releases the payment"""
    return deliverables.approve(current_user(), deliverable_id)


@blp.route("/deliverables/<uuid:deliverable_id>/request-changes", methods=["POST"])
@login_required("brand")
@blp.arguments(ChangesSchema)
@blp.response(200, DeliverableSchema)
def request_changes(data: dict[str, Any], deliverable_id: uuid.UUID) -> Any:
    """Ask for changes, within the contract's revision rounds"""
    return deliverables.request_changes(current_user(), deliverable_id, data["note"])


@blp.route("/deliverables/<uuid:deliverable_id>/metrics", methods=["POST"])
@login_required("brand", "influencer")
@blp.arguments(MetricInputSchema)
@blp.response(201, MetricSchema)
def add_metrics(data: dict[str, Any], deliverable_id: uuid.UUID) -> Any:
    """Report a deliverable's figures (append-only; the latest wins in reports)"""
    return deliverables.add_metrics(current_user(), deliverable_id, data)


@blp.route("/contracts/<uuid:contract_id>/reviews", methods=["POST"])
@login_required("brand", "influencer")
@blp.arguments(ReviewInputSchema)
@blp.response(201, ReviewSchema)
def review(data: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """Rate the other party once the contract is completed (once per party)"""
    return reviews.leave_review(current_user(), contract_id, data)


@blp.route("/contracts/<uuid:contract_id>/disputes", methods=["POST"])
@login_required("brand", "influencer")
@blp.arguments(DisputeInputSchema)
@blp.response(201, DisputeSchema)
def open_dispute(data: dict[str, Any], contract_id: uuid.UUID) -> Any:
    """Open a dispute: no money moves and nothing is auto-approved until it is resolved"""
    return dispute_view(disputes.open_dispute(current_user(), contract_id, data))


@blp.route("/disputes/<uuid:dispute_id>", methods=["GET"])
@login_required()
@blp.response(200, DisputeSchema)
def get_dispute(dispute_id: uuid.UUID) -> Any:
    """A dispute with its messages (parties and admins)"""
    return dispute_view(disputes.visible_dispute(current_user(), dispute_id))


@blp.route("/disputes/<uuid:dispute_id>/messages", methods=["POST"])
@login_required()
@blp.arguments(DisputeMessageInputSchema)
@blp.response(201, DisputeMessageSchema)
def post_message(data: dict[str, Any], dispute_id: uuid.UUID) -> Any:
    """Add a message with evidence links"""
    return disputes.post_message(current_user(), dispute_id, data)


@blp.route("/disputes/<uuid:dispute_id>/withdraw", methods=["POST"])
@login_required("brand", "influencer")
@blp.response(200, DisputeSchema)
def withdraw(dispute_id: uuid.UUID) -> Any:
    """Withdraw a dispute I opened; the contract resumes"""
    return dispute_view(disputes.withdraw(current_user(), dispute_id))
