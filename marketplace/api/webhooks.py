"""Stripe webhooks: authenticated by signature, not by X-Tenant (see tenancy.SELF_RESOLVING_PREFIXES)."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_smorest import Blueprint

from marketplace.jsonio import json_response
from marketplace.schemas.payments import WebhookAckSchema
from marketplace.services.payments.stripe_events import Receipt, receive_event

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Stripe webhooks")


def _ack(receipt: Receipt) -> Any:
    # WebhookAckSchema's three fields, written straight to JSON (the schema documents them): the
    # intake is the busiest write, docs/PERFORMANCE.md.
    return json_response(
        {"received": True, "duplicate": receipt.duplicate, "event_id": receipt.stripe_event_id}
    )


@blp.route("/stripe", methods=["POST"])
@blp.response(200, WebhookAckSchema)
@blp.doc(security=[])
def platform_webhook() -> Any:
    """Stripe events of the platform's account (signed with STRIPE_WEBHOOK_SECRET); no X-Tenant"""
    return _ack(receive_event(request.get_data(), request.headers.get("Stripe-Signature")))


@blp.route("/stripe/<tenant_slug>", methods=["POST"])
@blp.response(200, WebhookAckSchema)
@blp.doc(security=[])
def tenant_webhook(tenant_slug: str) -> Any:
    """Stripe events of a tenant's own account (signed with its secret, else the platform's); no X-Tenant"""
    return _ack(receive_event(request.get_data(), request.headers.get("Stripe-Signature"), tenant_slug))
