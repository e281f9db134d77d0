"""Token lifetimes: expired or forged tokens are refused; lifetimes follow the configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from flask import Flask
from flask.testing import FlaskClient

from marketplace.services.tokens import ALGORITHM
from tests.factories import login, make_caller, make_tenant, make_user

PROBLEM = "application/problem+json"


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def _resigned(token: str, secret: str, **changes: Any) -> str:
    """The same token with some claims changed, signed with `secret`."""
    return jwt.encode({**_claims(token), **changes}, secret, algorithm=ALGORITHM)


def test_an_expired_access_token_is_refused(app: Flask, client: FlaskClient) -> None:
    """An access token past its exp, correctly signed by the app, answers 401 problem+json."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")
    now = datetime.now(UTC)
    expired = _resigned(
        caller.tokens["access_token"],
        app.config["SECRET_KEY"],
        iat=now - timedelta(minutes=20),
        exp=now - timedelta(seconds=1),
    )
    headers = {"X-Tenant": "alpha", "Authorization": f"Bearer {expired}"}
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and refused.mimetype == PROBLEM
    assert refused.get_json()["detail"] == "The token has expired."
    assert caller.get("/api/v1/me").status_code == 200, "the fresh token still works"


def test_an_expired_refresh_token_cannot_be_rotated(app: Flask, client: FlaskClient) -> None:
    """A refresh token past its exp no longer yields a new token pair."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")
    expired = _resigned(
        caller.tokens["refresh_token"],
        app.config["SECRET_KEY"],
        exp=datetime.now(UTC) - timedelta(seconds=1),
    )
    refused = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": expired}, headers={"X-Tenant": "alpha"}
    )
    assert refused.status_code == 401
    assert refused.get_json()["detail"] == "The token has expired."


def test_forged_tokens_are_refused(app: Flask, client: FlaskClient) -> None:
    """A token signed with another key, unsigned (alg none) or promoted to admin is refused."""
    make_tenant(app, "alpha")
    caller = make_caller(app, client, "alpha")
    token = caller.tokens["access_token"]
    forgeries = [
        _resigned(token, "another-secret-that-is-long-enough-for-hs256"),
        jwt.encode({**_claims(token), "role": "admin"}, None, algorithm="none"),
        _resigned(token, "another-secret-that-is-long-enough-for-hs256", role="admin"),
        caller.tokens["refresh_token"],
    ]
    for forged in forgeries:
        refused = client.get("/api/v1/me", headers={"X-Tenant": "alpha", "Authorization": f"Bearer {forged}"})
        assert refused.status_code == 401, _claims(forged)


def test_token_lifetimes_follow_the_configuration(app: Flask, client: FlaskClient) -> None:
    """ACCESS_TOKEN_MINUTES and REFRESH_TOKEN_DAYS set the exp of the tokens login issues."""
    make_tenant(app, "alpha")
    user = make_user(app, "alpha")
    settings = app.config["MARKETPLACE"]
    previous = settings.access_token_minutes, settings.refresh_token_days
    settings.access_token_minutes, settings.refresh_token_days = 5, 2
    try:
        pair = login(client, "alpha", user.email)
    finally:
        settings.access_token_minutes, settings.refresh_token_days = previous
    access, refresh = _claims(pair["access_token"]), _claims(pair["refresh_token"])
    assert access["exp"] - access["iat"] == 5 * 60 and pair["expires_in"] == 5 * 60
    assert refresh["exp"] - refresh["iat"] == 2 * 86400
    assert (access["typ"], refresh["typ"]) == ("access", "refresh")
