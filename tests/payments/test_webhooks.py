"""Stripe webhooks: signatures, exactly-once under repeats and shuffles, tenant endpoints, reconciliation."""

from __future__ import annotations

import json
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue
from sqlalchemy import func, select
from werkzeug.serving import make_server

from marketplace.extensions import db
from marketplace.models import LedgerMovement, Notification, Payment, PayoutAccount, StripeEvent
from marketplace.services.payments.ledger import ledger_problems
from marketplace.services.payments.reconciliation import reconcile_tenant
from marketplace.tenancy import tenant_scope, unscoped
from tests.factories import make_caller, make_tenant
from tests.payments.factories import (
    PLATFORM_SECRET,
    WEBHOOK,
    control,
    deliver,
    drain,
    fund,
    idempotency_key,
    localstripe_event,
    make_deal,
    pay,
    signature,
    stripe_event,
)
from workers.jobs.payments import reconcile_all_tenants
from workers.queues import PAYMENTS_QUEUE


def _event_count(app: Flask) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(StripeEvent)).scalar_one()


def test_bad_signature_is_refused_and_stores_nothing(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Wrong secret, no header, tampered body or stale timestamp: 400 problem, nothing stored or queued."""
    make_tenant(app, "alpha")
    event = stripe_event(
        "payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent", "metadata": {}}
    )
    payload = json.dumps(event)
    attempts = [
        {"Stripe-Signature": signature(payload, "whsec_someone_else")},
        {},
        {"Stripe-Signature": signature(payload.replace("pi_x", "pi_y"))},
        {"Stripe-Signature": signature(payload, timestamp=int(time.time()) - 3600)},
        {"Stripe-Signature": "t=1,v1=nonsense"},
    ]
    for headers in attempts:
        for path in (WEBHOOK, f"{WEBHOOK}/alpha"):
            response = client.post(
                path, data=payload, headers={**headers, "Content-Type": "application/json"}
            )
            assert response.status_code == 400, (path, headers)
            assert response.mimetype == "application/problem+json"
            assert response.get_json()["type"] == "urn:marketplace:problem:bad-request"
    assert client.post(f"{WEBHOOK}/nobody", data=payload).status_code == 404
    assert _event_count(app) == 0
    assert Queue(PAYMENTS_QUEUE, connection=redis_client).count == 0
    assert deliver(client, event).status_code == 200  # the genuine signature passes, without X-Tenant


def test_every_webhook_three_times_in_shuffled_order_changes_state_once(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Success, decline, onboarding and chargeback, each delivered thrice, shuffled: one effect each."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    paid = make_deal(app, client, "alpha", cash_minor=12_000)
    declined = make_deal(app, client, "alpha", brand=paid.brand, influencer=paid.influencer)
    account = paid.influencer.post(
        "/api/v1/influencers/me/payout-account",
        json={"return_url": "http://localhost/done", "refresh_url": "http://localhost/again"},
    ).get_json()["stripe_account_id"]
    control(f"/_config/accounts/{account}/enable")
    ok = pay(fund(paid, idempotency_key()).get_json()["payment_intent_id"])
    bad = pay(fund(declined, idempotency_key()).get_json()["payment_intent_id"], "pm_card_chargeCustomerFail")
    chargeback = {
        "id": "dp_shuffle",
        "object": "dispute",
        "amount": 12_000,
        "currency": "eur",
        "charge": ok["latest_charge"]["id"],
        "payment_intent": ok["id"],
        "reason": "product_not_received",
        "status": "needs_response",
    }
    events = [
        localstripe_event("payment_intent.succeeded", ok["id"]),
        localstripe_event("payment_intent.payment_failed", bad["id"]),
        localstripe_event("account.updated", account),
        stripe_event("charge.dispute.created", chargeback),
    ]
    deliveries = events * 3
    random.Random(20261122).shuffle(deliveries)
    answers = [deliver(client, event).get_json() for event in deliveries]
    assert sum(not a["duplicate"] for a in answers) == len(events)
    drain(redis_client)

    contract = paid.contract(app)
    assert (contract.status, contract.status_before_dispute) == ("disputed", "funded")
    assert declined.contract(app).status == "signed"
    with app.app_context(), tenant_scope(paid.tenant_id):
        statuses = dict(db.session.execute(select(Payment.contract_id, Payment.status)).all())
        assert statuses == {
            uuid.UUID(paid.contract_id): "succeeded",
            uuid.UUID(declined.contract_id): "failed",
        }
        assert db.session.execute(select(func.count()).select_from(LedgerMovement)).scalar_one() == 1
        assert db.session.execute(select(PayoutAccount.payouts_enabled)).scalar_one() is True
        kinds = db.session.execute(select(Notification.kind, Notification.user_id)).all()
        brand_user = uuid.UUID(paid.brand.user_id)
        assert kinds.count(("contract_funded", brand_user)) == 1
        assert kinds.count(("payment_failed", brand_user)) == 1
        assert kinds.count(("chargeback", uuid.UUID(admin.user_id))) == 1
        assert kinds.count(("payouts_enabled", uuid.UUID(paid.influencer.user_id))) == 1
        assert ledger_problems() == []
    with app.app_context():
        rows = db.session.execute(select(StripeEvent.status)).scalars().all()
        assert sorted(rows) == ["processed"] * len(events)


def test_tenant_endpoint_uses_its_own_secret(app: Flask, client: FlaskClient, redis_client: Redis) -> None:
    """/webhooks/stripe/{tenant} verifies with that tenant's secret and accepts only its events."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    admin = make_caller(app, client, "alpha", role="admin")
    own = "whsec_alphaOwnSecret123"
    keys = {"stripe_webhook_secret": own, "stripe_secret_key": "sk_test_alphaOwnAccount1"}
    assert admin.patch("/api/v1/admin/tenant", json=keys).get_json()["stripe_account"] == "own"
    deal = make_deal(app, client, "alpha")
    intent = pay(fund(deal, idempotency_key()).get_json()["payment_intent_id"])
    event = localstripe_event("payment_intent.succeeded", intent["id"])

    assert (
        deliver(client, event, path=f"{WEBHOOK}/alpha").status_code == 400
    )  # the platform secret is not alpha's
    platform = {**event, "id": event["id"] + "_platform"}
    assert deliver(client, platform).status_code == 200  # alpha runs on its own account, not the platform's
    assert deliver(client, event, secret=own, path=f"{WEBHOOK}/beta").status_code == 400
    beta_event = {**event, "id": event["id"] + "_beta"}
    assert deliver(client, beta_event, path=f"{WEBHOOK}/beta").get_json()["duplicate"] is False
    assert deliver(client, event, secret=own, path=f"{WEBHOOK}/alpha").status_code == 200
    drain(redis_client)
    assert deal.contract(app).status == "funded"
    with app.app_context():
        scopes = dict(db.session.execute(select(StripeEvent.stripe_event_id, StripeEvent.status)).all())
        ignored = {beta_event["id"]: "ignored", platform["id"]: "ignored"}  # neither endpoint owns alpha's
        assert scopes == {event["id"]: "processed", **ignored}


def test_platform_endpoint_ignores_events_it_cannot_place(app: Flask, client: FlaskClient) -> None:
    """An event for no tenant of ours is acknowledged and kept as ignored, never processed."""
    event = stripe_event("payment_intent.succeeded", {"id": "pi_unknown", "object": "payment_intent"})
    answer = deliver(client, event)
    assert answer.status_code == 200 and answer.get_json() == {
        "received": True,
        "duplicate": False,
        "event_id": event["id"],
    }
    with app.app_context():
        row = db.session.execute(select(StripeEvent).execution_options(**unscoped())).scalar_one()
        assert (row.status, row.tenant_id) == ("ignored", None)


def test_reconciliation_repairs_what_a_lost_webhook_left(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Cards succeeded but no webhook arrived: reconciliation funds the contracts, once."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    later = make_deal(app, client, "alpha", brand=deal.brand, influencer=deal.influencer)
    pay(fund(deal, idempotency_key()).get_json()["payment_intent_id"])
    assert deal.contract(app).status == "signed"
    with app.app_context(), tenant_scope(deal.tenant_id):
        first = reconcile_tenant()
        assert first["errors"] == [] and any("succeeded" in line for line in first["repaired"]), first
        assert reconcile_tenant() == {"repaired": [], "errors": []}
    assert deal.contract(app).status == "funded"

    pay(fund(later, idempotency_key()).get_json()["payment_intent_id"])
    assert reconcile_all_tenants() == 1  # the scheduled sweep: one job per tenant, on the payments queue
    drain(redis_client)
    assert later.contract(app).status == "funded"
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert ledger_problems() == []
        assert db.session.execute(select(func.count()).select_from(LedgerMovement)).scalar_one() == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The app served over real HTTP on a free loopback port, so localstripe can call its webhook."""
    port = _free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def test_end_to_end_through_localstripe_webhook_delivery(
    app: Flask, client: FlaskClient, redis_client: Redis, live_server: str
) -> None:
    """localstripe itself signs and POSTs payment_intent.succeeded to our endpoint; the contract funds."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    name = f"marketplace_e2e_{uuid.uuid4().hex[:8]}"
    control(f"/_config/webhooks/{name}", {"url": live_server + WEBHOOK, "secret": PLATFORM_SECRET})
    intent = pay(fund(deal, idempotency_key()).get_json()["payment_intent_id"])
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        with app.app_context():  # other tests' late events may arrive too: look for ours
            delivered = db.session.execute(
                select(StripeEvent.payload).where(StripeEvent.type == "payment_intent.succeeded")
            ).scalars()
            if any(payload["data"]["object"]["id"] == intent["id"] for payload in delivered):
                break
        time.sleep(0.1)
    else:
        pytest.fail("localstripe did not deliver payment_intent.succeeded")
    drain(redis_client)
    assert deal.contract(app).status == "funded"
