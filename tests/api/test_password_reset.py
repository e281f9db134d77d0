"""Password reset: by email (a real SMTP server, a real rq worker) and by an admin's token, which is how
an influencer imported from a roster claims the account."""

from __future__ import annotations

import email
import email.policy
import re
import uuid

from flask import Flask
from flask.testing import FlaskClient
from redis import Redis
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import AuditEntry, User
from marketplace.services.imports import unusable_password_hash
from marketplace.tenancy import tenant_scope
from tests.factories import PASSWORD, make_caller, make_tenant
from tests.workers.test_email import Inbox, smtp  # noqa: F401 - the SMTP server fixture
from tests.workers.test_jobs import _drain

NEW_PASSWORD = "Another-Horse-42"
RESET = "/api/v1/auth/password-reset"


def _post(client: FlaskClient, slug: str, path: str, body: dict[str, str]) -> object:
    return client.post(path, json=body, headers={"X-Tenant": slug})


def _login(client: FlaskClient, slug: str, email: str, password: str) -> int:
    return _post(client, slug, "/api/v1/auth/login", {"email": email, "password": password}).status_code


def _token_in(raw: str) -> str:
    """The token line of the reset email (itsdangerous: [.]payload.timestamp.signature)."""
    body = email.message_from_string(raw, policy=email.policy.default).get_content().replace("\r", "")
    found = re.search(r"^(\.?[\w\-]+\.[\w\-]+\.[\w\-]+)$", body, re.MULTILINE)
    assert found, body
    return found.group(1)


def test_a_forgotten_password_is_reset_by_email_once_and_old_sessions_end(
    app: Flask,
    client: FlaskClient,
    redis_client: Redis,
    smtp: Inbox,  # noqa: F811
) -> None:
    make_tenant(app, "alpha")
    user = make_caller(app, client, "alpha", role="brand")
    asked = _post(client, "alpha", RESET, {"email": user.email.upper()})
    unknown = _post(client, "alpha", RESET, {"email": "nobody@example.com"})
    assert (asked.status_code, unknown.status_code) == (202, 202)
    assert asked.get_json() == unknown.get_json()  # nothing tells whether the account exists
    # Nor does the work behind the answer: each request queued one job, the unknown one's sends nothing.
    queued = [key.decode() for key in redis_client.keys("rq:job:password-reset-*")]
    assert len(queued) == 2, queued
    _drain(redis_client)
    assert [rcpt for rcpt, _ in smtp.messages] == [[user.email]]
    token = _token_in(smtp.messages[0][1])

    confirmed = _post(client, "alpha", f"{RESET}/confirm", {"token": token, "password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.get_json()
    assert _login(client, "alpha", user.email, NEW_PASSWORD) == 200
    assert _login(client, "alpha", user.email, PASSWORD) == 401
    again = _post(client, "alpha", f"{RESET}/confirm", {"token": token, "password": "Third-Horse-77"})
    assert again.status_code == 400 and again.content_type == "application/problem+json"
    # The session opened with the old password cannot be refreshed any more.
    stale = _post(client, "alpha", "/api/v1/auth/refresh", {"refresh_token": user.tokens["refresh_token"]})
    assert stale.status_code == 401


def test_an_imported_influencer_claims_the_account_with_an_admins_token(
    app: Flask, client: FlaskClient
) -> None:
    tenant = make_tenant(app, "alpha")
    make_tenant(app, "beta")
    admin = make_caller(app, client, "alpha", role="admin")
    other_admin = make_caller(app, client, "beta", role="admin")
    brand = make_caller(app, client, "alpha", role="brand")
    with app.app_context(), tenant_scope(tenant.id):
        imported = User(
            id=uuid.uuid4(),
            email="roster.ines@example.com",
            password_hash=unusable_password_hash(),
            role="influencer",
            display_name="Ines",
        )
        db.session.add(imported)
        db.session.commit()
        imported_id = imported.id
    assert _login(client, "alpha", "roster.ines@example.com", PASSWORD) == 401  # no usable password yet

    path = f"/api/v1/admin/users/{imported_id}/password-reset"
    assert brand.post(path).status_code == 403
    second_admin = make_caller(app, client, "alpha", role="admin")
    assert admin.post(f"/api/v1/admin/users/{second_admin.user_id}/password-reset").status_code == 403
    assert other_admin.post(path).status_code == 404  # another tenant's user does not exist there
    issued = admin.post(path)
    assert issued.status_code == 201, issued.get_json()
    body = issued.get_json()
    assert body["expires_in"] == 3600
    # The token names its tenant: it does nothing in another one.
    elsewhere = _post(client, "beta", f"{RESET}/confirm", {"token": body["token"], "password": NEW_PASSWORD})
    assert elsewhere.status_code == 400
    claimed = _post(client, "alpha", f"{RESET}/confirm", {"token": body["token"], "password": NEW_PASSWORD})
    assert claimed.status_code == 204
    assert _login(client, "alpha", "roster.ines@example.com", NEW_PASSWORD) == 200
    with app.app_context(), tenant_scope(tenant.id):
        actions = db.session.execute(
            select(AuditEntry.action).where(AuditEntry.target_id == str(imported_id))
        ).scalars()
        assert list(actions) == ["user.password_reset_link"]


def test_reset_tokens_refused_expired_forged_or_with_a_weak_password(app: Flask, client: FlaskClient) -> None:
    make_tenant(app, "alpha")
    admin = make_caller(app, client, "alpha", role="admin")
    user = make_caller(app, client, "alpha", role="influencer")
    token = admin.post(f"/api/v1/admin/users/{user.user_id}/password-reset").get_json()["token"]

    weak = _post(client, "alpha", f"{RESET}/confirm", {"token": token, "password": "short"})
    assert weak.status_code == 422 and "password" in weak.get_json()["errors"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "not-a-token", ""):
        answer = _post(client, "alpha", f"{RESET}/confirm", {"token": bad, "password": NEW_PASSWORD})
        assert answer.status_code in (400, 422), answer.get_json()
    settings = app.config["MARKETPLACE"]
    settings.password_reset_seconds = -1  # every token is past its age
    try:
        expired = _post(client, "alpha", f"{RESET}/confirm", {"token": token, "password": NEW_PASSWORD})
        assert expired.status_code == 400
    finally:
        settings.password_reset_seconds = 3600
    assert _login(client, "alpha", user.email, PASSWORD) == 200  # nothing above changed the password
    # Refused attempts did not spend the token: it still sets the password once.
    ok = _post(client, "alpha", f"{RESET}/confirm", {"token": token, "password": NEW_PASSWORD})
    assert ok.status_code == 204
    assert _login(client, "alpha", user.email, NEW_PASSWORD) == 200


def test_without_smtp_a_reset_request_is_accepted_and_sends_nothing(
    app: Flask, client: FlaskClient, redis_client: Redis
) -> None:
    make_tenant(app, "alpha")
    user = make_caller(app, client, "alpha", role="brand")
    assert app.config["MARKETPLACE"].smtp_url is None
    assert _post(client, "alpha", RESET, {"email": user.email}).status_code == 202
    assert redis_client.keys("rq:job:password-reset-*") == []
