"""Small factories: tenants, users and logged-in API callers, built through the services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.models import Tenant, User
from marketplace.services import auth
from marketplace.services.tenants import create_tenant
from marketplace.tenancy import set_tenant

PASSWORD = "Correct-Horse-9"
_counter = itertools.count(1)


@dataclass
class Caller:
    """A logged-in user of one tenant, able to call the API."""

    client: FlaskClient
    tenant_slug: str
    user_id: str
    email: str
    tokens: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        """Headers for an authenticated request in the caller's tenant."""
        return {"X-Tenant": self.tenant_slug, "Authorization": f"Bearer {self.tokens['access_token']}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET as this caller."""
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """POST JSON as this caller."""
        return self.client.post(
            path, json=json, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )


def make_tenant(app: Flask, slug: str | None = None, **settings: Any) -> Tenant:
    """Create a tenant (platform operator's CLI path)."""
    with app.app_context():
        tenant = create_tenant(slug or f"t{next(_counter)}", "Test marketplace", **settings)
        db.session.refresh(tenant)
        db.session.expunge(tenant)
        return tenant


def make_user(
    app: Flask,
    tenant_slug: str,
    role: str = "influencer",
    email: str | None = None,
    password: str = PASSWORD,
    display_name: str = "Test User",
) -> User:
    """Create a user of any role directly through the service (admins included)."""
    with app.app_context():
        from marketplace.services.tenants import tenant_by_slug

        tenant = tenant_by_slug(tenant_slug)
        set_tenant(tenant)
        user = auth.create_user(
            tenant, email or f"user{next(_counter)}@example.com", password, role, display_name
        )
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
        return user


def login(client: FlaskClient, tenant_slug: str, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Log in through the API and return the token pair."""
    response = client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}, headers={"X-Tenant": tenant_slug}
    )
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def make_caller(
    app: Flask, client: FlaskClient, tenant_slug: str, role: str = "influencer", **kwargs: Any
) -> Caller:
    """Create a user and log them in."""
    user = make_user(app, tenant_slug, role, **kwargs)
    tokens = login(client, tenant_slug, user.email, kwargs.get("password", PASSWORD))
    return Caller(client, tenant_slug, str(user.id), user.email, tokens)
