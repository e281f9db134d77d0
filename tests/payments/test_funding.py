"""Funding through the API against localstripe: success, declines, 3-D Secure, Idempotency-Key, refusals."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import LedgerMovement, Notification, Payment
from marketplace.services.payments.ledger import balances, ledger_problems
from marketplace.services.payments.release import release_contract
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_caller, make_tenant
from tests.payments.factories import (
    control,
    deliver,
    drain,
    fund,
    idempotency_key,
    localstripe_event,
    make_deal,
    onboarded,
    pay,
    sdk,
    set_status,
    three_d_secure_card,
)


def _kinds(app: Flask, tenant_id: uuid.UUID, user_id: str) -> list[str]:
    with app.app_context(), tenant_scope(tenant_id):
        return list(
            db.session.execute(
                select(Notification.kind).where(Notification.user_id == uuid.UUID(user_id))
            ).scalars()
        )


def test_fund_succeed_approve_release_transfer_and_ledger_balances(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Brand funds, the card succeeds, approval releases: the influencer is paid, the ledger balances."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha", cash_minor=50_000, fee_bps=1_000, fee_payer="brand")
    account_id = onboarded(deal, client, redis_client)

    response = fund(deal, idempotency_key())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["amount_minor"], body["currency"]) == (55_000, "EUR")  # the fee on top for the brand
    assert body["client_secret"].startswith(body["payment_intent_id"])
    intent = sdk().v1.payment_intents.retrieve(body["payment_intent_id"])
    assert (intent.amount, intent.currency, intent.transfer_group) == (
        55_000,
        "eur",
        f"contract_{deal.contract_id}",
    )
    assert intent.metadata["contract_id"] == deal.contract_id
    assert intent.metadata["tenant_id"] == str(deal.tenant_id)

    assert pay(intent.id)["status"] == "succeeded"
    assert deal.contract(app).status == "signed"  # nothing happens until Stripe says so
    assert deliver(client, localstripe_event("payment_intent.succeeded", intent.id)).status_code == 200
    drain(redis_client)
    assert deal.contract(app).status == "funded"
    assert "contract_funded" in _kinds(app, deal.tenant_id, deal.brand.user_id)

    set_status(app, deal, "delivered")  # the last deliverable approved (delivery feature)
    with app.app_context(), tenant_scope(deal.tenant_id):
        result = release_contract(uuid.UUID(deal.contract_id))
        assert result["status"] == "paid", result
        assert balances(uuid.UUID(deal.contract_id)) == {
            "brand_funding": -55_000,
            "platform_fee_revenue": 5_000,
            "transfer_out": 50_000,
        }
        assert ledger_problems() == []
    transfers = sdk().v1.transfers.list({"transfer_group": f"contract_{deal.contract_id}"}).data
    assert [(t.amount, t.destination, t.id) for t in transfers] == [
        (50_000, account_id, result["stripe_transfer_id"])
    ]
    assert deal.contract(app).status == "completed"

    mine = deal.influencer.get("/api/v1/payments").get_json()
    assert [m["kind"] for m in mine["items"]] == ["transfer", "platform_fee", "release", "funding"]
    assert {"account": "transfer_out", "currency": "EUR", "amount_minor": 50_000} in mine["totals"]
    admin = make_caller(app, client, "alpha", role="admin")
    totals = admin.get("/api/v1/payments").get_json()["totals"]
    assert {"account": "platform_fee_revenue", "currency": "EUR", "amount_minor": 5_000} in totals
    outsider = make_brand(app, client, "alpha", name="Other")
    assert outsider.get("/api/v1/payments").get_json() == {"items": [], "next_cursor": None, "totals": []}


def test_declined_card_is_shown_to_the_brand_and_changes_nothing_else(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """A declined card marks the payment failed and tells the brand once; the contract stays signed."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    first = fund(deal, idempotency_key()).get_json()
    declined = pay(first["payment_intent_id"], "pm_card_chargeCustomerFail")
    assert declined["status"] == "requires_payment_method" and declined["last_payment_error"]
    event = localstripe_event("payment_intent.payment_failed", declined["id"])
    assert deliver(client, event).status_code == 200
    drain(redis_client)

    funding = deal.brand.get(f"/api/v1/contracts/{deal.contract_id}/funding").get_json()
    assert funding["status"] == "failed" and funding["failure_message"], funding
    assert "payment_failed" in _kinds(app, deal.tenant_id, deal.brand.user_id)
    assert deal.contract(app).status == "signed"
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert db.session.execute(select(func.count()).select_from(LedgerMovement)).scalar_one() == 0

    # Trying again (another key) reuses the same PaymentIntent, as Stripe recommends; its client
    # secret lets Stripe.js confirm another card (localstripe cannot confirm an intent twice).
    retry = fund(deal, idempotency_key())
    assert retry.status_code == 200, retry.get_json()
    assert retry.get_json()["payment_intent_id"] == first["payment_intent_id"]
    assert retry.get_json()["status"] == "failed"
    assert deliver(client, event).get_json()["duplicate"] is True  # Stripe's retry of the same event
    drain(redis_client)
    assert _kinds(app, deal.tenant_id, deal.brand.user_id).count("payment_failed") == 1


def test_three_d_secure_requires_action_then_authenticated(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """A 3-D Secure card leaves the intent in requires_action; the contract funds only once authenticated."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    key = idempotency_key()
    first = fund(deal, key).get_json()
    intent = pay(first["payment_intent_id"], three_d_secure_card())
    assert intent["status"] == "requires_action"

    again = fund(deal, key)  # the brand's page asks again with its key: the state is Stripe's
    assert again.status_code == 201
    assert (again.get_json()["status"], again.get_json()["next_action"]) == (
        "requires_action",
        "use_stripe_sdk",
    )
    assert again.get_json()["client_secret"] == first["client_secret"]
    assert deal.contract(app).status == "signed"

    control(
        f"/v1/payment_intents/{intent['id']}/_authenticate",
        {"client_secret": first["client_secret"], "success": "true"},
    )
    deliver(client, localstripe_event("payment_intent.succeeded", intent["id"]))
    drain(redis_client)
    assert deal.contract(app).status == "funded"
    assert deal.brand.get(f"/api/v1/contracts/{deal.contract_id}/funding").get_json()["status"] == "succeeded"


def test_idempotent_fund(app: Flask, client: FlaskClient) -> None:
    """The same key and body answer the same payment; the same key with another request is a 422."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    other = make_deal(app, client, "alpha", brand=deal.brand)
    key = idempotency_key()
    first = fund(deal, key, {"expected_amount_minor": 50_000})
    second = fund(deal, key, {"expected_amount_minor": 50_000})
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json()

    changed = fund(deal, key, {})
    assert changed.status_code == 422 and "Idempotency-Key" in changed.get_json()["errors"]
    elsewhere = fund(other, key, {"expected_amount_minor": 50_000})
    assert elsewhere.status_code == 422
    no_key = fund(deal)
    assert no_key.status_code == 200 and no_key.get_json()["payment_id"] == first.get_json()["payment_id"]
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 1


def test_fund_refusals_change_nothing(app: Flask, client: FlaskClient) -> None:
    """Wrong state, wrong amount, no cash, below Stripe's minimum, wrong caller: 4xx problems, no payment."""
    make_tenant(app, "alpha")
    deal = make_deal(app, client, "alpha")
    assert fund(deal, body={"expected_amount_minor": 1}).status_code == 422
    unsigned = make_deal(app, client, "alpha", status="awaiting_signatures", brand=deal.brand)
    assert fund(unsigned).status_code == 409
    gift = make_deal(app, client, "alpha", cash_minor=0, in_kind_value_minor=8_000, brand=deal.brand)
    assert fund(gift).status_code == 422
    tiny = make_deal(app, client, "alpha", cash_minor=30, kind="symbolic", brand=deal.brand)
    refused = fund(tiny)
    assert refused.status_code == 422 and "minimum charge" in refused.get_json()["detail"]
    assert refused.get_json()["type"] == "urn:marketplace:problem:validation-error"
    stranger = make_brand(app, client, "alpha", name="Stranger")
    assert stranger.post(f"/api/v1/contracts/{deal.contract_id}/fund", json={}).status_code == 404
    assert deal.influencer.post(f"/api/v1/contracts/{deal.contract_id}/fund", json={}).status_code == 403
    with app.app_context(), tenant_scope(deal.tenant_id):
        assert db.session.execute(select(func.count()).select_from(Payment)).scalar_one() == 0


def test_zero_decimal_currency_is_charged_in_whole_units(app: Flask, client: FlaskClient) -> None:
    """A JPY contract is charged in yen: our minor unit is Stripe's unit for zero-decimal currencies."""
    make_tenant(app, "alpha", currency="JPY")
    deal = make_deal(app, client, "alpha", cash_minor=5_000, currency="JPY", fee_payer="brand")
    body = fund(deal, idempotency_key()).get_json()
    intent = sdk().v1.payment_intents.retrieve(body["payment_intent_id"])
    assert (intent.amount, intent.currency, body["amount_minor"]) == (5_500, "jpy", 5_500)
