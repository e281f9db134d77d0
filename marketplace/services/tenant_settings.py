"""A tenant's own settings, read and changed by its admins (GET/PATCH /admin/tenant).

Stripe secrets are write-only: stored encrypted, never returned (the API says `stripe_account:
"platform" | "own"`), never logged. Every change returns its before/after snapshot (secrets shown
as set/unset only) for the audit log.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select, update

from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.models import (
    InfluencerProfile,
    LedgerEntry,
    Payment,
    Refund,
    SocialAccount,
    Tenant,
    Transfer,
    User,
)
from marketplace.models.payment import FINAL_PAYMENT_STATUSES
from marketplace.services import audit
from marketplace.services.payments.access import has_own_account, has_own_webhook_secret, store_credentials

log = logging.getLogger(__name__)

PLAIN_FIELDS = (
    "platform_fee_bps",
    "fee_payer",
    "symbolic_ceiling_minor",
    "review_window_days",
    "offer_expiry_days",
    "rate_calibration_min_contracts",
    "match_top_k",
    "governing_law",
)
SECRET_FIELDS = {"stripe_secret_key": "secret_key", "stripe_webhook_secret": "webhook_secret"}  # field names  # nosec


@dataclass
class SettingsChange:
    """The settings before and after one PATCH, for the audit log."""

    before: dict[str, Any]
    after: dict[str, Any]
    secrets_written: tuple[str, ...] = ()

    @property
    def changed(self) -> list[str]:
        """Names of the settings whose value changed; a written secret counts, its value never shows."""
        plain = {k for k in self.after if self.after[k] != self.before.get(k)}
        return sorted(plain | set(self.secrets_written))


def _retier_profiles(thresholds: dict[str, int]) -> None:
    """Tiers derive from followers: new thresholds re-tier all the tenant's profiles in one statement,
    each from its chosen platform's largest account if it chose one (influencers.tier_followers)."""
    chosen = (
        select(func.max(SocialAccount.followers))
        .where(
            SocialAccount.tenant_id == InfluencerProfile.tenant_id,
            SocialAccount.profile_id == InfluencerProfile.id,
            SocialAccount.platform == InfluencerProfile.tier_platform,
        )
        .scalar_subquery()
    )
    followers = func.coalesce(chosen, InfluencerProfile.followers)
    tier = case(
        (followers >= thresholds["mega"], "mega"),
        (followers >= thresholds["macro"], "macro"),
        (followers >= thresholds["micro"], "micro"),
        else_="nano",
    )
    db.session.execute(update(InfluencerProfile).values(tier=tier))


def settings_snapshot(tenant: Tenant) -> dict[str, Any]:
    """Every setting as the API shows it; secrets only as whether they are set."""
    snapshot: dict[str, Any] = {name: getattr(tenant, name) for name in PLAIN_FIELDS}
    snapshot.update(
        slug=tenant.slug,
        name=tenant.name,
        currency=tenant.currency,
        fraud_flag_threshold=tenant.fraud_flag_threshold,
        tier_thresholds=dict(tenant.tier_thresholds),
        stripe_account="own" if has_own_account(tenant.id) else "platform",
        stripe_webhook_secret_set=has_own_webhook_secret(tenant.id),
    )
    return snapshot


def _money_in_flight(tenant: Tenant) -> bool:
    """True while a charge, refund or transfer of this tenant is open on its current Stripe account."""
    open_payment = db.session.execute(
        select(Payment.id).where(
            Payment.status.not_in(FINAL_PAYMENT_STATUSES), Payment.stripe_payment_intent_id.is_not(None)
        )
    ).first()
    moving = db.session.execute(
        select(Transfer.id).where(Transfer.status.in_(("payable", "pending")))
    ).first()
    refunding = db.session.execute(select(Refund.id).where(Refund.status == "pending")).first()
    held = db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.account == "platform_held"
        )
    ).scalar_one()
    return bool(open_payment or moving or refunding or held)


def update_tenant_settings(
    tenant: Tenant, values: dict[str, Any], actor: User | None = None
) -> SettingsChange:
    """Apply validated settings; secrets are encrypted, and the Stripe account may only change when no
    money of this tenant is held or moving on the current one.

    The row is read again under a lock: `tenant` may be the request's cached copy (rowcache), and two
    changes at once apply one after the other.
    """
    locked = select(Tenant).where(Tenant.id == tenant.id).with_for_update()
    tenant = db.session.execute(locked.execution_options(populate_existing=True)).scalar_one()
    before = settings_snapshot(tenant)
    if "tier_thresholds" in values:
        tiers = {**tenant.tier_thresholds, **values["tier_thresholds"]}
        if not tiers["micro"] < tiers["macro"] < tiers["mega"]:
            raise ValidationFailed(
                "Tier thresholds must grow.", errors={"tier_thresholds": ["micro < macro < mega."]}
            )
        tenant.tier_thresholds = tiers
        _retier_profiles(tiers)
    if "fraud_flag_threshold" in values:
        tenant.fraud_flag_threshold_bps = round(values["fraud_flag_threshold"] * 10_000)
    for name in PLAIN_FIELDS:
        if name in values:
            setattr(tenant, name, values[name])
    secrets = {SECRET_FIELDS[name]: values[name] or None for name in SECRET_FIELDS if name in values}
    if "secret_key" in secrets and _money_in_flight(tenant):
        raise Conflict(
            "Money of this marketplace is held or moving on its current Stripe account; "
            "change the account once it has settled."
        )
    if secrets:
        store_credentials(tenant, secrets)
    written = tuple(name for name in SECRET_FIELDS if name in values)
    change = SettingsChange(before, settings_snapshot(tenant), written)
    audit.record(
        actor,
        "tenant.settings",
        "tenant",
        tenant.id,
        change.before,
        {**change.after, "secrets_written": list(written)},
    )
    db.session.commit()
    log.info("tenant %s settings changed: %s", tenant.slug, ", ".join(change.changed) or "nothing")
    return change
