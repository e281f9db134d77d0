"""No secrets or personal data in the logs, even at DEBUG, through a realistic flow over real HTTP."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from rq import SimpleWorker
from sqlalchemy import text

from marketplace.extensions import db
from marketplace.logs import redact
from marketplace.services import auth as auth_service
from tests.factories import make_tenant
from workers.queues import QUEUES

EMAIL = "ann.leak@example.com"
PASSWORD = "Sunny-Beach-42!"
WRONG_PASSWORD = "Wrong-Horse-77!"
INVALID_BODY_PASSWORD = "Valid-Secret-55?"
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
JWT_PATTERN = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
STRIPE_SECRET_PATTERN = re.compile(r"\b(?:sk_live|sk_test|rk_live|rk_test|whsec)_\w+")


def _call(base: str, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, dict[str, Any]]:
    """One JSON request over HTTP; returns the status and the decoded body ({} when empty)."""
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    return status, json.loads(raw) if raw else {}


def _stripe_signature(payload: bytes, secret: str) -> str:
    """Stripe's webhook signature scheme: HMAC-SHA256 of 'timestamp.payload'."""
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _failing_login(tenant: Any, email: str, password: str) -> dict[str, Any]:
    """A login that hits a database error whose message and parameters carry the credentials."""
    db.session.execute(
        text("SELECT CAST(:email AS integer), :password"), {"email": email, "password": password}
    )
    raise AssertionError("unreachable: the cast fails")


def _walk(base: str, settings: Any, monkeypatch: pytest.MonkeyPatch, redis_client: Redis) -> list[str]:
    """Register, fail and pass a login, refresh, export, fail validation, crash, webhook; return secrets."""
    tenant = {"X_Tenant": "alpha"}
    status, _ = _call(
        base,
        "POST",
        "/api/v1/auth/register",
        {"email": EMAIL, "password": PASSWORD, "role": "influencer", "display_name": "Ann Leak"},
        **tenant,
    )
    assert status == 201
    status, _ = _call(
        base, "POST", "/api/v1/auth/login", {"email": EMAIL, "password": WRONG_PASSWORD}, **tenant
    )
    assert status == 401
    status, pair = _call(base, "POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}, **tenant)
    assert status == 200
    status, rotated = _call(
        base, "POST", "/api/v1/auth/refresh", {"refresh_token": pair["refresh_token"]}, **tenant
    )
    assert status == 200
    bearer = {**tenant, "Authorization": f"Bearer {rotated['access_token']}"}
    assert _call(base, "GET", "/api/v1/me", **bearer)[0] == 200
    assert _call(base, "POST", "/api/v1/me/export", **bearer)[0] == 202
    SimpleWorker(list(QUEUES), connection=redis_client).work(burst=True, logging_level="DEBUG")

    status, _ = _call(
        base,
        "POST",
        "/api/v1/auth/register",
        {
            "email": "not-an-email",
            "password": INVALID_BODY_PASSWORD,
            "role": "influencer",
            "display_name": "X",
        },
        **tenant,
    )
    assert status == 422
    status, _ = _call(
        base,
        "POST",
        "/api/v1/auth/register",
        {"email": "bo@example.org", "password": "short", "role": "brand", "display_name": "Bo"},
        **tenant,
    )
    assert status == 422

    monkeypatch.setattr(auth_service, "login", _failing_login)
    status, crash = _call(
        base, "POST", "/api/v1/auth/login", {"email": EMAIL, "password": PASSWORD}, **tenant
    )
    monkeypatch.undo()
    assert status == 500 and crash["type"].endswith("internal-error")

    event = json.dumps({"id": "evt_hygiene_1", "object": "event", "type": "customer.created", "data": {}})
    status, _ = _call(
        base, "POST", "/api/v1/webhooks/stripe", event.encode(), Stripe_Signature="t=1,v1=forged"
    )
    assert status == 400
    signed = _stripe_signature(event.encode(), settings.stripe_webhook_secret)
    assert _call(base, "POST", "/api/v1/webhooks/stripe", event.encode(), Stripe_Signature=signed)[0] == 200

    assert (
        _call(base, "POST", "/api/v1/auth/logout", {"refresh_token": rotated["refresh_token"]}, **bearer)[0]
        == 204
    )
    return [
        PASSWORD,
        WRONG_PASSWORD,
        INVALID_BODY_PASSWORD,
        pair["access_token"],
        pair["refresh_token"],
        rotated["access_token"],
        rotated["refresh_token"],
        settings.secret_key,
        settings.stripe_api_key,
        settings.stripe_webhook_secret,
    ]


def test_a_realistic_flow_logs_no_secret_and_no_email_at_debug(
    app: Flask,
    live_server: str,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    redis_client: Redis,
) -> None:
    """At DEBUG, root, werkzeug and rq logs hold no password, token, Authorization, email or Stripe secret."""
    make_tenant(app, "alpha")
    for name in (None, "werkzeug", "rq", "rq.worker"):
        caplog.set_level(logging.DEBUG, logger=name)
    secrets = _walk(live_server, app.config["MARKETPLACE"], monkeypatch, redis_client)

    captured = caplog.text + "\n".join(record.getMessage() for record in caplog.records)
    assert "POST /api/v1/auth/login" in captured, "werkzeug's access log was not captured"
    assert "unhandled exception" in captured, "the 500 was not logged"
    assert "Traceback" in captured
    leaked = [secret[:12] + "..." for secret in secrets if secret in captured]
    assert leaked == [], f"secrets in the logs: {leaked}"
    assert "Bearer " not in captured
    assert STRIPE_SECRET_PATTERN.search(captured) is None
    assert JWT_PATTERN.search(captured) is None
    emails = {match.group(0) for match in EMAIL_PATTERN.finditer(captured)}
    assert emails == set(), f"email addresses in the logs: {emails}"


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("Authorization: Bearer abc.def-ghi", "Authorization:"),
        ("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl refused", "refused"),
        ("stripe key sk_live_51Habc123 and rk_test_9xyz", "stripe key"),
        ("webhook secret whsec_abc123 rotated", "rotated"),
        ("mail to Ann.Leak+x@mail.example.co.uk bounced", "bounced"),
        ("{'email': 'x', 'password': 'Sunny Beach 42'}", "'email'"),
        ('{"refresh_token": "opaque-value", "ok": true}', '"ok": true'),
        ("GET /callback?code=1&access_token=opaque-value&state=2", "state=2"),
        ("smtp login secret=opaque-value failed", "failed"),
    ],
)
def test_redaction_masks_tokens_stripe_secrets_emails_and_secret_fields(line: str, kept: str) -> None:
    """logs.redact masks the secret part of each kind of line and keeps the rest readable."""
    redacted = redact(line)
    assert "[redacted" in redacted and kept in redacted
    for secret in ("abc.def", "eyJ", "sk_live", "rk_test", "whsec_", "@", "Sunny", "opaque-value"):
        assert secret not in redacted, (line, redacted)
