"""Tenant settings and admin creation are audited; new tier thresholds re-tier every profile."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from marketplace.services.fraud_checks import assess_profile
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_caller, make_influencer, make_tenant


def test_settings_change_is_audited_and_retiers_profiles(app: Flask, client: FlaskClient) -> None:
    """PATCH /admin/tenant writes before/after to the audit log and recomputes tiers; secrets never show."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", "admin")
    influencer = make_influencer(app, client, "alpha")  # 12,000 followers: micro by default
    brand = make_brand(app, client, "alpha")
    assert brand.get(f"/api/v1/influencers/{influencer.profile_id}").get_json()["tier"] == "micro"
    patched = admin.patch(
        "/api/v1/admin/tenant",
        json={
            "platform_fee_bps": 1_500,
            "tier_thresholds": {"micro": 1_000, "macro": 10_000, "mega": 100_000},
            "stripe_webhook_secret": "whsec_SuperSecretValue42",
        },
    )
    assert patched.status_code == 200, patched.get_json()
    assert "whsec_SuperSecretValue42" not in patched.get_data(as_text=True)
    assert brand.get(f"/api/v1/influencers/{influencer.profile_id}").get_json()["tier"] == "macro"
    entry = admin.get("/api/v1/admin/audit-log?action=tenant.settings").get_json()["items"][0]
    assert entry["before"]["platform_fee_bps"] == 1_000 and entry["after"]["platform_fee_bps"] == 1_500
    assert entry["after"]["secrets_written"] == ["stripe_webhook_secret"]
    assert "whsec_SuperSecretValue42" not in str(entry)


def test_admin_creating_an_admin_is_audited(app: Flask, client: FlaskClient) -> None:
    """POST /admin/admins leaves an audit entry naming the new admin."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", "admin")
    created = admin.post(
        "/api/v1/admin/admins",
        json={"email": "second@example.com", "password": "Correct-Horse-9", "display_name": "Second"},
    )
    assert created.status_code == 201
    entry = admin.get("/api/v1/admin/audit-log?action=admin.create").get_json()["items"][0]
    assert entry["target_id"] == created.get_json()["id"] and entry["actor_id"] == admin.user_id


def test_an_admin_flags_an_influencer_and_the_queue_keeps_the_reason(app: Flask, client: FlaskClient) -> None:
    """Brand safety: an admin's flag tops the review queue, keeps its reasons through a fake-follower
    assessment of the same profile, is confirmed once, and every step is audited; brands cannot flag."""
    tenant = make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", "admin")
    influencer = make_influencer(app, client, "alpha")
    brand = make_brand(app, client, "alpha")
    path = f"/api/v1/admin/influencers/{influencer.profile_id}/flags"
    assert brand.post(path, json={"reason": "Scandal"}).status_code == 403
    assert admin.post(path, json={"reason": ""}).status_code == 422
    first = admin.post(path, json={"reason": "Offensive posts in the news"})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["score"] == 1.0 and first.get_json()["reasons"][0]["code"] == "brand_safety"
    second = admin.post(path, json={"reason": "Undisclosed ads"}).get_json()
    assert second["id"] == first.get_json()["id"] and len(second["reasons"]) == 2  # one open flag

    # A fake-follower assessment that flags the profile too adds its signals, keeps the admin's reasons.
    assert admin.patch("/api/v1/admin/tenant", json={"fraud_flag_threshold": 0}).status_code == 200
    with app.app_context(), tenant_scope(tenant.id):
        assert assess_profile(uuid.UUID(influencer.profile_id))["flagged"] is True
    [queued] = admin.get("/api/v1/admin/flags").get_json()["items"]
    assert queued["id"] == second["id"] and queued["score"] == 1.0
    assert [r["detail"] for r in queued["reasons"] if r["code"] == "brand_safety"] == [
        "Offensive posts in the news",
        "Undisclosed ads",
    ]

    confirm = f"/api/v1/admin/flags/{queued['id']}/confirm"
    assert admin.post(confirm, json={"note": "Seen the posts"}).get_json()["status"] == "confirmed"
    assert admin.post(confirm, json={"note": "Again"}).status_code == 409
    actions = [e["action"] for e in admin.get("/api/v1/admin/audit-log").get_json()["items"]]
    assert actions[:4] == ["flag.confirm", "tenant.settings", "flag.open", "flag.open"]
