"""Registration, login, refresh, logout and /me through the API."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import PASSWORD, login, make_caller, make_tenant, make_user

PROBLEM = "application/problem+json"


def _register(client: FlaskClient, slug: str, **overrides: str):
    body = {"email": "ann@example.com", "password": PASSWORD, "role": "influencer", "display_name": "Ann"}
    body.update(overrides)
    return client.post("/api/v1/auth/register", json=body, headers={"X-Tenant": slug})


def test_register_login_me_refresh_logout(app: Flask, client: FlaskClient) -> None:
    """The whole session lifecycle works and a revoked token is then refused."""
    make_tenant(app, "alpha")
    created = _register(client, "alpha")
    assert created.status_code == 201
    assert created.get_json()["role"] == "influencer"
    assert "password" not in created.get_json()

    tokens = login(client, "alpha", "ANN@example.com ")
    assert tokens["token_type"] == "Bearer"
    headers = {"X-Tenant": "alpha", "Authorization": f"Bearer {tokens['access_token']}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["email"] == "ann@example.com"

    refreshed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, headers={"X-Tenant": "alpha"}
    )
    assert refreshed.status_code == 200
    # Rotation: the old refresh token is spent.
    reused = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, headers={"X-Tenant": "alpha"}
    )
    assert reused.status_code == 401 and reused.mimetype == PROBLEM

    new = refreshed.get_json()
    new_headers = {"X-Tenant": "alpha", "Authorization": f"Bearer {new['access_token']}"}
    out = client.post(
        "/api/v1/auth/logout", json={"refresh_token": new["refresh_token"]}, headers=new_headers
    )
    assert out.status_code == 204
    refused = client.get("/api/v1/me", headers=new_headers)
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == "The token has been revoked."
    again = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]}, headers={"X-Tenant": "alpha"}
    )
    assert again.status_code == 401


def test_wrong_password_and_unknown_email_answer_alike(app: Flask, client: FlaskClient) -> None:
    """Login failures do not reveal whether the email exists."""
    make_tenant(app, "alpha")
    make_user(app, "alpha", email="bob@example.com")
    wrong = client.post(
        "/api/v1/auth/login",
        json={"email": "bob@example.com", "password": "Nope-nope-123"},
        headers={"X-Tenant": "alpha"},
    )
    unknown = client.post(
        "/api/v1/auth/login",
        json={"email": "who@example.com", "password": "Nope-nope-123"},
        headers={"X-Tenant": "alpha"},
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]


def test_email_unique_per_tenant_only(app: Flask, client: FlaskClient) -> None:
    """The same email registers once per tenant, and again in another tenant."""
    make_tenant(app, "alpha")
    make_tenant(app, "beta")
    assert _register(client, "alpha").status_code == 201
    duplicate = _register(client, "alpha", email="Ann@Example.com")
    assert duplicate.status_code == 409 and duplicate.mimetype == PROBLEM
    assert _register(client, "beta").status_code == 201


def test_password_policy_and_admin_self_registration_refused(app: Flask, client: FlaskClient) -> None:
    """Weak passwords and the admin role are refused with per-field errors."""
    make_tenant(app, "alpha")
    weak = _register(client, "alpha", password="short")
    assert weak.status_code == 422
    assert "password" in weak.get_json()["errors"]
    admin = _register(client, "alpha", role="admin")
    assert admin.status_code == 422
    assert "role" in admin.get_json()["errors"]


def test_suspended_user_gets_403_everywhere(app: Flask, client: FlaskClient) -> None:
    """A suspended user can neither log in nor use a token issued before the suspension."""
    from marketplace.extensions import db
    from marketplace.models import User
    from marketplace.models.base import utcnow
    from marketplace.tenancy import get_or_404, tenant_scope

    tenant = make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")
    with app.app_context(), tenant_scope(tenant.id):
        user = get_or_404(User, uuid.UUID(caller.user_id))
        user.suspended_at = utcnow()
        db.session.commit()
    assert caller.get("/api/v1/me").status_code == 403
    assert caller.get("/api/v1/me").get_json()["type"].endswith("account-suspended")
    relogin = client.post(
        "/api/v1/auth/login",
        json={"email": caller.email, "password": PASSWORD},
        headers={"X-Tenant": "alpha"},
    )
    assert relogin.status_code == 403


def test_admins_create_admins_but_others_cannot(app: Flask, client: FlaskClient) -> None:
    """Only an admin can create another admin of the same tenant."""
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    influencer = make_caller(app, client, "alpha")
    body = {"email": "second@example.com", "password": PASSWORD, "display_name": "Second"}
    assert influencer.post("/api/v1/admin/admins", json=body).status_code == 403
    created = admin.post("/api/v1/admin/admins", json=body)
    assert created.status_code == 201 and created.get_json()["role"] == "admin"
    assert login(client, "alpha", "second@example.com")["access_token"]


def test_login_is_rate_limited(app: Flask, client: FlaskClient) -> None:
    """Too many login attempts from one client in one tenant get 429 problem+json."""
    make_tenant(app, "alpha")
    settings = app.config["MARKETPLACE"]
    previous, settings.auth_rate_limit = settings.auth_rate_limit, "3/minute"
    try:
        statuses = [
            client.post(
                "/api/v1/auth/login",
                json={"email": "x@example.com", "password": "Wrong-pass-1"},
                headers={"X-Tenant": "alpha"},
            ).status_code
            for _ in range(4)
        ]
        limited = client.post(
            "/api/v1/auth/login",
            json={"email": "x@example.com", "password": "x"},
            headers={"X-Tenant": "alpha"},
        )
    finally:
        settings.auth_rate_limit = previous
    assert statuses[:3] == [401, 401, 401]
    assert statuses[3] == 429
    assert limited.status_code == 429 and limited.mimetype == PROBLEM
    assert limited.get_json()["type"].endswith("rate-limited")
