"""Offers: invitations, applications, counters, accept, decline, withdraw."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from marketplace.api.access import current_user, login_required
from marketplace.schemas.common import page_of
from marketplace.schemas.offers import (
    AcceptedSchema,
    ApplicationSchema,
    CounterSchema,
    InvitationSchema,
    NegotiationSchema,
    OfferListArgsSchema,
    OfferSchema,
)
from marketplace.services import offers

blp = Blueprint("offers", __name__, url_prefix="/api/v1", description="Offers and applications")


@blp.route("/campaigns/<uuid:campaign_id>/offers", methods=["POST"])
@login_required("brand")
@blp.arguments(InvitationSchema)
@blp.response(201, OfferSchema)
def invite(data: dict[str, Any], campaign_id: uuid.UUID) -> Any:
    """Invite an influencer to a published campaign"""
    return offers.invite(current_user(), campaign_id, data)


@blp.route("/campaigns/<uuid:campaign_id>/applications", methods=["POST"])
@login_required("influencer")
@blp.arguments(ApplicationSchema)
@blp.response(201, OfferSchema)
def apply(data: dict[str, Any], campaign_id: uuid.UUID) -> Any:
    """Apply to a published campaign with a proposed price and a pitch"""
    return offers.apply(current_user(), campaign_id, data)


@blp.route("/offers", methods=["GET"])
@login_required()
@blp.arguments(OfferListArgsSchema, location="query")
@blp.response(200, page_of(OfferSchema))
def list_offers(args: dict[str, Any]) -> Any:
    """Offers I sent or received, newest first"""
    return offers.list_offers(current_user(), args)


@blp.route("/offers/<uuid:offer_id>", methods=["GET"])
@login_required()
@blp.response(200, NegotiationSchema)
def get_offer(offer_id: uuid.UUID) -> Any:
    """One offer with its negotiation history"""
    offer = offers.visible_offer(current_user(), offer_id)
    return {"offer": offer, "history": offers.history(offer)}


@blp.route("/offers/<uuid:offer_id>/accept", methods=["POST"])
@login_required("brand", "influencer")
@blp.response(201, AcceptedSchema)
def accept(offer_id: uuid.UUID) -> Any:
    """Accept an offer I received: the contract is created and its document generated"""
    contract, job = offers.accept(current_user(), offer_id)
    return {
        "contract_id": contract.id,
        "contract_status": contract.status,
        "document_job_id": job.id,
        "status_url": f"/api/v1/jobs/{job.id}",
        "offer": offers.visible_offer(current_user(), offer_id),
    }


@blp.route("/offers/<uuid:offer_id>/decline", methods=["POST"])
@login_required("brand", "influencer")
@blp.response(200, OfferSchema)
def decline(offer_id: uuid.UUID) -> Any:
    """Decline an offer I received"""
    return offers.decline(current_user(), offer_id)


@blp.route("/offers/<uuid:offer_id>/withdraw", methods=["POST"])
@login_required("brand", "influencer")
@blp.response(200, OfferSchema)
def withdraw(offer_id: uuid.UUID) -> Any:
    """Withdraw an offer I sent"""
    return offers.withdraw(current_user(), offer_id)


@blp.route("/offers/<uuid:offer_id>/counter", methods=["POST"])
@login_required("brand", "influencer")
@blp.arguments(CounterSchema)
@blp.response(201, OfferSchema)
def counter(data: dict[str, Any], offer_id: uuid.UUID) -> Any:
    """Answer an offer I received with new terms (the old one closes, a linked one opens)"""
    return offers.counter(current_user(), offer_id, data)
