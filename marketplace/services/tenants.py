"""Creating tenants and seeding the demo marketplaces (platform operator, from the CLI)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Tenant, User
from marketplace.services import auth
from marketplace.tenancy import set_tenant

DEMO_TENANTS = (
    {
        "slug": "demo",
        "name": "Demo Agency",
        "currency": "EUR",
        "admin_email": "admin@demo.example",
        "admin_password": "Demo-Pass-2026!",  # the README's demo credentials  # nosec
    },
    {
        "slug": "acme",
        "name": "Acme Brand Network",
        "currency": "USD",
        "admin_email": "admin@acme.example",
        "admin_password": "Acme-Pass-2026!",  # the README's demo credentials  # nosec
    },
)


def create_tenant(slug: str, name: str, currency: str = "EUR", **settings: Any) -> Tenant:
    """Create a tenant; the slug is what clients send in X-Tenant."""
    slug = slug.strip().lower()
    if not slug.replace("-", "").isalnum() or len(slug) > 63:
        raise ValidationFailed("Slugs are letters, digits and dashes.", errors={"slug": ["Invalid slug."]})
    if len(currency) != 3 or not currency.isalpha():
        raise ValidationFailed("Use an ISO 4217 code.", errors={"currency": ["Invalid currency."]})
    if db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none():
        raise Conflict(f"A tenant called {slug!r} exists already.")
    tenant = Tenant(slug=slug, name=name, currency=currency.upper(), **settings)
    db.session.add(tenant)
    db.session.commit()
    return tenant


def tenant_by_slug(slug: str) -> Tenant:
    """Look a tenant up by slug, or raise LookupError."""
    tenant = db.session.execute(select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is None:
        raise LookupError(f"no tenant {slug!r}")
    return tenant


def create_admin(slug: str, email: str, password: str, display_name: str) -> User:
    """Create an admin in the tenant named by slug."""
    tenant = tenant_by_slug(slug)
    set_tenant(tenant)
    return auth.create_admin(tenant, email, password, display_name)


def seed_demo() -> list[dict[str, str]]:
    """Create the demo tenants and their admins; safe to run again. Returns the credentials."""
    credentials = []
    for spec in DEMO_TENANTS:
        tenant = db.session.execute(select(Tenant).where(Tenant.slug == spec["slug"])).scalar_one_or_none()
        if tenant is None:
            tenant = create_tenant(spec["slug"], spec["name"], spec["currency"])
        set_tenant(tenant)
        exists = db.session.execute(
            select(User).where(User.email == spec["admin_email"])
        ).scalar_one_or_none()
        if exists is None:
            auth.create_admin(tenant, spec["admin_email"], spec["admin_password"], f"{spec['name']} admin")
        credentials.append(
            {"tenant": spec["slug"], "email": spec["admin_email"], "password": spec["admin_password"]}
        )
    set_tenant(None)
    return credentials
