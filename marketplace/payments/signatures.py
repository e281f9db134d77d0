"""Webhook signature verification (Stripe's `t=...,v1=HMAC-SHA256(secret, "t.payload")` scheme)."""

from __future__ import annotations

import json
from typing import Any

from stripe import SignatureVerificationError, WebhookSignature

from marketplace.payments.errors import InvalidSignature

TOLERANCE_SECONDS = 300  # Stripe's default: older signatures are refused (replays)


def verify_event(payload: bytes, signature_header: str | None, secret: str) -> dict[str, Any]:
    """Check the Stripe-Signature header against the endpoint's secret and return the event as a dict."""
    if not signature_header:
        raise InvalidSignature("missing Stripe-Signature header")
    try:
        # The header alone: construct_event would also build a StripeObject tree we never use (most
        # of its time); the payload is parsed once, below.
        WebhookSignature.verify_header(payload, signature_header, secret, tolerance=TOLERANCE_SECONDS)
        event = json.loads(payload)
    except (SignatureVerificationError, ValueError) as exc:
        raise InvalidSignature(str(exc)) from None
    if not isinstance(event, dict) or not isinstance(event.get("id"), str) or "data" not in event:
        raise InvalidSignature("not a Stripe event")
    return event
