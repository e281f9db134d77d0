"""GET/PATCH /admin/tenant: validated settings, Stripe secrets write-only and encrypted at rest."""

from __future__ import annotations

import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import StripeCredentials
from marketplace.payments.encryption import decrypt_secret
from marketplace.services.payments.access import access_for
from marketplace.tenancy import tenant_scope
from tests.factories import make_caller, make_tenant
from tests.payments.factories import fund, idempotency_key, make_deal, pay

SECRET_KEY = "sk_test_alphaOwnPlatformKey0001"
WEBHOOK_SECRET = "whsec_alphaOwnWebhookSecret01"


def test_admin_reads_and_changes_settings(app: Flask, client: FlaskClient) -> None:
    """Admins see and change the tenant's settings; the before/after is captured for the audit log."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    shown = admin.get("/api/v1/admin/tenant").get_json()
    assert shown["platform_fee_bps"] == 1000 and shown["stripe_account"] == "platform"
    changed = admin.patch(
        "/api/v1/admin/tenant",
        json={
            "platform_fee_bps": 1250,
            "fee_payer": "brand",
            "fraud_flag_threshold": 0.7,
            "tier_thresholds": {"micro": 5_000},
            "governing_law": "the laws of Ireland",
        },
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["platform_fee_bps"], body["fee_payer"], body["fraud_flag_threshold"]) == (1250, "brand", 0.7)
    assert body["tier_thresholds"] == {"micro": 5_000, "macro": 50_000, "mega": 1_000_000}
    assert admin.get("/api/v1/admin/tenant").get_json() == body


def test_invalid_settings_are_refused_and_change_nothing(app: Flask, client: FlaskClient) -> None:
    """Out-of-range values, unknown fields and shrinking tiers are 422; non-admins are 403."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    before = admin.get("/api/v1/admin/tenant").get_json()
    for bad in (
        {"platform_fee_bps": 10_001},
        {"fee_payer": "nobody"},
        {"colour": "blue"},
        {"tier_thresholds": {"micro": 60_000}},
        {"stripe_secret_key": "pk_test_notasecretkey"},
        {"stripe_webhook_secret": "plain"},
    ):
        response = admin.patch("/api/v1/admin/tenant", json=bad)
        assert response.status_code == 422, bad
        assert "sk_test" not in response.get_data(as_text=True)
    assert admin.get("/api/v1/admin/tenant").get_json() == before
    brand = make_caller(app, client, "alpha", role="brand")
    assert brand.get("/api/v1/admin/tenant").status_code == 403
    assert brand.patch("/api/v1/admin/tenant", json={"platform_fee_bps": 0}).status_code == 403


def test_stripe_secrets_are_write_only_encrypted_and_never_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The tenant's own keys are stored encrypted, never returned or logged, and used for its Stripe calls."""
    tenant = make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    caplog.set_level(logging.DEBUG)
    response = admin.patch(
        "/api/v1/admin/tenant",
        json={"stripe_secret_key": SECRET_KEY, "stripe_webhook_secret": WEBHOOK_SECRET},
    )
    assert response.status_code == 200
    for text in (response.get_data(as_text=True), admin.get("/api/v1/admin/tenant").get_data(as_text=True)):
        assert SECRET_KEY not in text and WEBHOOK_SECRET not in text
    assert response.get_json()["stripe_account"] == "own"
    assert response.get_json()["stripe_webhook_secret_set"] is True
    assert SECRET_KEY not in caplog.text and WEBHOOK_SECRET not in caplog.text
    with app.app_context():
        with tenant_scope(tenant.id):
            row = db.session.execute(select(StripeCredentials)).scalar_one()
        assert SECRET_KEY not in row.secret_key_encrypted
        assert decrypt_secret(row.secret_key_encrypted) == SECRET_KEY
        access = access_for(tenant.id)
        assert (access.api_key, access.webhook_secret, access.own) == (SECRET_KEY, WEBHOOK_SECRET, True)
        assert SECRET_KEY not in repr(access)

    back = admin.patch(
        "/api/v1/admin/tenant", json={"stripe_secret_key": None, "stripe_webhook_secret": None}
    )
    assert back.get_json()["stripe_account"] == "platform"
    with app.app_context():
        assert access_for(tenant.id).own is False


def test_stripe_account_cannot_change_while_money_is_held(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    """Switching Stripe accounts with an open payment would strand it: 409 until the money settles."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    deal = make_deal(app, client, "alpha")
    pay(fund(deal, idempotency_key()).get_json()["payment_intent_id"], "pm_card_chargeCustomerFail")
    refused = admin.patch("/api/v1/admin/tenant", json={"stripe_secret_key": SECRET_KEY})
    assert refused.status_code == 409
    assert admin.get("/api/v1/admin/tenant").get_json()["stripe_account"] == "platform"
    assert (
        admin.patch("/api/v1/admin/tenant", json={"stripe_webhook_secret": WEBHOOK_SECRET}).status_code == 200
    )
