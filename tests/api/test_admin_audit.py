"""Tenant settings and admin creation are audited; new tier thresholds re-tier every profile."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

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
