"""Payments test helpers: signed contracts made through the ORM, a card-paying "browser", signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import stripe
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from marketplace.domain.money import split_fee
from marketplace.extensions import db
from marketplace.models import Campaign, Contract, Offer, Tenant
from marketplace.models.base import utcnow
from marketplace.tenancy import tenant_scope
from tests.conftest import STRIPE_API_BASE
from tests.factories import Caller, make_brand, make_influencer
from tests.workers.test_jobs import _drain

PLATFORM_SECRET = "whsec_localstripe"  # the test app's STRIPE_WEBHOOK_SECRET (config default)
WEBHOOK = "/api/v1/webhooks/stripe"
_keys = itertools.count(1)


@dataclass
class Deal:
    """A signed contract between a brand and an influencer of one tenant, ready to fund."""

    tenant_id: uuid.UUID
    slug: str
    brand: Caller
    influencer: Caller
    contract_id: str

    def contract(self, app: Flask) -> Contract:
        """The contract as stored now (detached)."""
        with app.app_context(), tenant_scope(self.tenant_id):
            contract = db.session.execute(
                select(Contract).where(Contract.id == uuid.UUID(self.contract_id))
            ).scalar_one()
            db.session.expunge(contract)
            return contract


def tenant_id_of(app: Flask, slug: str) -> uuid.UUID:
    """The id of a tenant by slug."""
    with app.app_context():
        return db.session.execute(select(Tenant.id).where(Tenant.slug == slug)).scalar_one()


def make_deal(
    app: Flask,
    client: FlaskClient,
    slug: str,
    *,
    cash_minor: int = 50_000,
    currency: str = "EUR",
    fee_bps: int = 1_000,
    fee_payer: str = "influencer",
    in_kind_value_minor: int = 0,
    kind: str | None = None,
    status: str = "signed",
    brand: Caller | None = None,
    influencer: Caller | None = None,
) -> Deal:
    """A contract in `status` with frozen money terms, made through the ORM (not the offers API)."""
    brand = brand or make_brand(app, client, slug)
    influencer = influencer or make_influencer(app, client, slug)
    tenant_id = tenant_id_of(app, slug)
    split = split_fee(cash_minor, fee_bps, fee_payer)
    items = (
        [{"description": "Tasting box", "value_minor": in_kind_value_minor}] if in_kind_value_minor else []
    )
    kind = kind or ("in_kind" if not cash_minor else "mixed" if in_kind_value_minor else "full")
    with app.app_context(), tenant_scope(tenant_id):
        campaign = Campaign(
            brand_id=uuid.UUID(brand.brand_id),
            created_by=uuid.UUID(brand.user_id),
            title="Summer sauces",
            compensation_kind=kind,
            currency=currency,
            cash_per_influencer_minor=cash_minor,
            in_kind_value_minor=in_kind_value_minor,
            status="published",
        )
        db.session.add(campaign)
        db.session.flush()
        offer = Offer(
            campaign_id=campaign.id,
            profile_id=uuid.UUID(influencer.profile_id),
            brand_id=campaign.brand_id,
            sender_id=campaign.created_by,
            direction="invitation",
            status="accepted",
            currency=currency,
            cash_minor=cash_minor,
            in_kind_items=items,
            in_kind_value_minor=in_kind_value_minor,
            expires_at=utcnow() + timedelta(days=14),
        )
        db.session.add(offer)
        db.session.flush()
        contract = Contract(
            campaign_id=campaign.id,
            offer_id=offer.id,
            brand_id=campaign.brand_id,
            profile_id=offer.profile_id,
            influencer_user_id=uuid.UUID(influencer.user_id),
            status=status,
            compensation_kind=kind,
            currency=currency,
            cash_minor=cash_minor,
            platform_fee_bps=fee_bps,
            fee_payer=fee_payer,
            platform_fee_minor=split.platform_fee,
            brand_pays_minor=split.brand_pays,
            influencer_net_minor=split.influencer_net,
            in_kind_items=items,
            in_kind_value_minor=in_kind_value_minor,
            terms={"deliverables": [{"platform": "instagram", "type": "post", "quantity": 1}]},
            signed_at=utcnow() if status == "signed" else None,
        )
        db.session.add(contract)
        db.session.commit()
        contract_id = str(contract.id)
    return Deal(tenant_id, slug, brand, influencer, contract_id)


def set_status(app: Flask, deal: Deal, status: str) -> None:
    """Move a contract to a state the delivery and dispute features (not under test here) would reach."""
    with app.app_context(), tenant_scope(deal.tenant_id):
        contract = db.session.execute(
            select(Contract).where(Contract.id == uuid.UUID(deal.contract_id))
        ).scalar_one()
        if status == "disputed":
            contract.status_before_dispute = contract.status
        contract.status = status
        db.session.commit()


def idempotency_key() -> str:
    """A fresh Idempotency-Key value."""
    return f"test-{uuid.uuid4()}-{next(_keys)}"


def fund(deal: Deal, key: str | None = None, body: dict[str, Any] | None = None) -> Any:
    """POST /contracts/{id}/fund as the deal's brand."""
    headers = {"Idempotency-Key": key} if key else {}
    return deal.brand.post(f"/api/v1/contracts/{deal.contract_id}/fund", json=body or {}, headers=headers)


def sdk() -> stripe.StripeClient:
    """The official SDK on localstripe, playing the brand's browser and the Stripe dashboard."""
    return stripe.StripeClient(
        "sk_test_browser", base_addresses={"api": STRIPE_API_BASE}, max_network_retries=0
    )


def pay(intent_id: str, payment_method: str = "pm_card_visa") -> dict[str, Any]:
    """Confirm a PaymentIntent with a card, as Stripe.js would; a decline answers the failed intent."""
    client = sdk()
    client.v1.payment_intents.update(intent_id, {"payment_method": payment_method})
    try:
        return client.v1.payment_intents.confirm(intent_id).to_dict()
    except stripe.CardError:
        return client.v1.payment_intents.retrieve(intent_id).to_dict()


def three_d_secure_card() -> str:
    """A card that requires 3-D Secure authentication (4000 0025 0000 3155)."""
    card = {"number": "4000002500003155", "exp_month": 12, "exp_year": 2030, "cvc": "123"}
    return sdk().v1.payment_methods.create({"type": "card", "card": card}).id


def control(path: str, form: dict[str, str] | None = None, method: str = "POST") -> Any:
    """Call a test-only localstripe route (/_config/..., /_authenticate)."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(STRIPE_API_BASE + path, data=data, method=method)
    request.add_header("Authorization", "Bearer sk_test_browser")
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body.strip() else None


def localstripe_event(event_type: str, object_id: str) -> dict[str, Any]:
    """The event localstripe itself recorded for an object (the one it would deliver)."""
    for _ in range(50):
        found = [
            e.to_dict()
            for e in sdk().v1.events.list({"type": event_type, "limit": 100}).auto_paging_iter()
            if e.data.object.id == object_id
        ]
        if found:
            return found[-1]
        time.sleep(0.05)
    raise AssertionError(f"localstripe recorded no {event_type} for {object_id}")


def stripe_event(event_type: str, obj: dict[str, Any], account: str | None = None) -> dict[str, Any]:
    """A Stripe-shaped event for the types localstripe never sends."""
    return {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "account": account,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def signature(payload: str, secret: str = PLATFORM_SECRET, timestamp: int | None = None) -> str:
    """Stripe's signing scheme: t=<unix>,v1=HMAC_SHA256(secret, "<t>.<payload>")."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def deliver(
    client: FlaskClient, event: dict[str, Any], secret: str = PLATFORM_SECRET, path: str = WEBHOOK
) -> Any:
    """POST an event to a webhook endpoint, signed like Stripe signs it (no X-Tenant, as from Stripe)."""
    payload = json.dumps(event)
    return client.post(
        path,
        data=payload,
        headers={"Stripe-Signature": signature(payload, secret), "Content-Type": "application/json"},
    )


def drain(redis_client: Redis) -> None:
    """Run every queued job on a real rq burst worker."""
    _drain(redis_client)


def funded(app: Flask, client: FlaskClient, redis_client: Redis, deal: Deal) -> dict[str, Any]:
    """Fund the deal through the API, pay by card and deliver localstripe's success event."""
    response = fund(deal, idempotency_key())
    assert response.status_code == 201, response.get_json()
    intent = pay(response.get_json()["payment_intent_id"])
    assert intent["status"] == "succeeded", intent
    assert deliver(client, localstripe_event("payment_intent.succeeded", intent["id"])).status_code == 200
    drain(redis_client)
    assert deal.contract(app).status == "funded"
    return intent


def onboarded(deal: Deal, client: FlaskClient, redis_client: Redis) -> str:
    """The influencer creates a payout account and completes onboarding; account.updated delivered."""
    created = deal.influencer.post(
        "/api/v1/influencers/me/payout-account",
        json={"return_url": "http://localhost/done", "refresh_url": "http://localhost/again"},
    )
    assert created.status_code == 200, created.get_json()
    account_id = created.get_json()["stripe_account_id"]
    control(f"/_config/accounts/{account_id}/enable")
    assert deliver(client, localstripe_event("account.updated", account_id)).status_code == 200
    drain(redis_client)
    return account_id
