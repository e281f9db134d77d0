"""Whose Stripe account a tenant runs on: the platform's (default) or its own, keys encrypted at rest."""

from __future__ import annotations

import uuid

from flask import current_app
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import StripeCredentials, Tenant
from marketplace.payments.client import StripeAccess
from marketplace.payments.encryption import decrypt_secret, encrypt_secret, rotate_secret
from marketplace.tenancy import current_tenant_id, tenant_scope


def platform_access() -> StripeAccess:
    """The platform's Stripe account, from the environment."""
    settings = current_app.config["MARKETPLACE"]
    return StripeAccess(settings.stripe_api_key, settings.stripe_api_base, settings.stripe_webhook_secret)


def _credentials(tenant_id: uuid.UUID) -> StripeCredentials | None:
    # Inside the tenant's own scope, also when called before any tenant is known (webhook intake):
    # row-level security shows the app's role one tenant's rows at a time.
    stmt = select(StripeCredentials).where(StripeCredentials.tenant_id == tenant_id)
    if current_tenant_id() == tenant_id:
        return db.session.execute(stmt).scalar_one_or_none()
    with tenant_scope(tenant_id):
        return db.session.execute(stmt).scalar_one_or_none()


def access_for(tenant_id: uuid.UUID) -> StripeAccess:
    """The credentials every Stripe call of this tenant uses (its own key, else the platform's)."""
    platform = platform_access()
    credentials = _credentials(tenant_id)
    own_key = credentials.secret_key_encrypted if credentials else None
    own_webhook = credentials.webhook_secret_encrypted if credentials else None
    return StripeAccess(
        api_key=decrypt_secret(own_key) if own_key else platform.api_key,
        api_base=platform.api_base,
        webhook_secret=decrypt_secret(own_webhook) if own_webhook else platform.webhook_secret,
        own=bool(own_key),
    )


def has_own_account(tenant_id: uuid.UUID) -> bool:
    """True when the tenant set its own secret key."""
    credentials = _credentials(tenant_id)
    return credentials is not None and bool(credentials.secret_key_encrypted)


def has_own_webhook_secret(tenant_id: uuid.UUID) -> bool:
    """True when the tenant set its own webhook signing secret."""
    credentials = _credentials(tenant_id)
    return credentials is not None and bool(credentials.webhook_secret_encrypted)


def store_credentials(tenant: Tenant, changes: dict[str, str | None]) -> None:
    """Set (a string) or clear (None) `secret_key` and/or `webhook_secret` of the tenant; caller commits."""
    credentials = _credentials(tenant.id)
    if credentials is None:
        credentials = StripeCredentials(tenant_id=tenant.id)
        db.session.add(credentials)
    if "secret_key" in changes:
        value = changes["secret_key"]
        credentials.secret_key_encrypted = encrypt_secret(value) if value else None
    if "webhook_secret" in changes:
        value = changes["webhook_secret"]
        credentials.webhook_secret_encrypted = encrypt_secret(value) if value else None


def rotate_all_credentials() -> int:
    """Re-encrypt every stored secret under the newest ENCRYPTION_KEYS entry; returns rows touched."""
    touched = 0
    for tenant_id in db.session.execute(select(Tenant.id).order_by(Tenant.slug)).scalars().all():
        with tenant_scope(tenant_id):
            for row in db.session.execute(select(StripeCredentials)).scalars():
                if row.secret_key_encrypted:
                    row.secret_key_encrypted = rotate_secret(row.secret_key_encrypted)
                if row.webhook_secret_encrypted:
                    row.webhook_secret_encrypted = rotate_secret(row.webhook_secret_encrypted)
                touched += 1
            db.session.commit()
    return touched
