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
    profile_id: str | None = None
    brand_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Headers for an authenticated request in the caller's tenant."""
        return {"X-Tenant": self.tenant_slug, "Authorization": f"Bearer {self.tokens['access_token']}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET as this caller."""
        return self.client.get(path, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """PUT JSON as this caller."""
        return self.client.put(
            path, json=json, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        """PATCH JSON as this caller."""
        return self.client.patch(
            path, json=json, headers={**self.headers, **kwargs.pop("headers", {})}, **kwargs
        )

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


def profile_body(**overrides: Any) -> dict[str, Any]:
    """A valid influencer profile body for PUT /influencers/me."""
    body: dict[str, Any] = {
        "display_name": "Ines Cook",
        "bio": "Home cooking and street food from Lyon",
        "country": "FR",
        "languages": ["fr", "en"],
        "niches": ["food"],
        "social_accounts": [
            {
                "platform": "instagram",
                "handle": "ines.cooks",
                "followers": 12_000,
                "following": 400,
                "avg_likes": 600,
                "avg_comments": 40,
                "avg_views": 0,
                "posts_per_month": 12,
            },
        ],
        "audience": {"countries": {"FR": 0.7, "BE": 0.1}, "ages": {"25-34": 0.5}, "genders": {"female": 0.6}},
        "accepts_in_kind": True,
        "min_cash_rate_minor": 10_000,
    }
    body.update(overrides)
    return body


def make_influencer(app: Flask, client: FlaskClient, tenant_slug: str, **overrides: Any) -> Caller:
    """An influencer user with a saved profile; caller.profile_id is set."""
    caller = make_caller(app, client, tenant_slug, "influencer")
    response = caller.put("/api/v1/influencers/me", json=profile_body(**overrides))
    assert response.status_code == 200, response.get_json()
    caller.profile_id = response.get_json()["id"]
    return caller


def make_brand(app: Flask, client: FlaskClient, tenant_slug: str, name: str = "Acme Foods") -> Caller:
    """A brand user who owns a brand; caller.brand_id is set."""
    caller = make_caller(app, client, tenant_slug, "brand")
    response = caller.post("/api/v1/brands", json={"name": name, "industry": "food", "country": "FR"})
    assert response.status_code == 201, response.get_json()
    caller.brand_id = response.get_json()["id"]
    return caller


def campaign_body(brand_id: str, **overrides: Any) -> dict[str, Any]:
    """A valid draft brief."""
    body: dict[str, Any] = {
        "brand_id": brand_id,
        "title": "Summer street food",
        "description": "Three posts about our sauces",
        "niches": ["food"],
        "target_countries": ["FR", "BE"],
        "languages": ["fr"],
        "deliverables": [{"platform": "instagram", "type": "post", "quantity": 2, "content_creation": True}],
        "compensation_kind": "full",
        "cash_per_influencer_minor": 50_000,
        "total_budget_minor": 150_000,
        "slots": 3,
        "wanted_tiers": ["micro"],
        "min_engagement": 0.01,
        "start_date": "2027-01-10",
        "end_date": "2027-02-10",
        "application_deadline": "2027-01-05",
    }
    body.update(overrides)
    return body


def make_campaign(brand: Caller, publish: bool = False, **overrides: Any) -> str:
    """A campaign of the brand (published when asked); returns its id."""
    response = brand.post("/api/v1/campaigns", json=campaign_body(brand.brand_id, **overrides))
    assert response.status_code == 201, response.get_json()
    campaign_id = response.get_json()["id"]
    if publish:
        published = brand.post(f"/api/v1/campaigns/{campaign_id}/publish")
        assert published.status_code == 200, published.get_json()
    return campaign_id


def make_offer(
    brand: Caller, influencer: Caller, campaign_id: str, cash_minor: int = 50_000, **extra: Any
) -> str:
    """A pending invitation from the brand to the influencer; returns its id."""
    body = {"influencer_id": influencer.profile_id, "cash_minor": cash_minor, "message": "Join us", **extra}
    response = brand.post(f"/api/v1/campaigns/{campaign_id}/offers", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def accept_offer(caller: Caller, offer_id: str) -> str:
    """Accept an offer; returns the contract id."""
    response = caller.post(f"/api/v1/offers/{offer_id}/accept")
    assert response.status_code == 201, response.get_json()
    return response.get_json()["contract_id"]


def sign_both(brand: Caller, influencer: Caller, contract_id: str) -> dict[str, Any]:
    """Both parties sign the generated document; returns the signed contract."""
    sha = influencer.get(f"/api/v1/contracts/{contract_id}").get_json()["document_sha256"]
    assert sha, "the document must be generated first (drain the queue)"
    for caller, name in ((influencer, "Ines Cook"), (brand, "Bob Brand")):
        signed = caller.post(
            f"/api/v1/contracts/{contract_id}/sign",
            json={"full_name": name, "consent": True, "document_sha256": sha},
        )
        assert signed.status_code == 200, signed.get_json()
    return signed.get_json()


GIFT = [{"description": "Tasting box", "value_minor": 8_000}]
