"""Influencers' payout accounts: Stripe connected accounts (express) and their onboarding."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.errors import NotFound, ServiceUnavailable, ValidationFailed
from marketplace.extensions import db
from marketplace.models import InfluencerProfile, PayoutAccount, Transfer, User
from marketplace.payments import gateway, keys
from marketplace.payments.errors import ProviderError, ProviderUnavailable
from marketplace.services.notifications import notify
from marketplace.services.payments.access import access_for
from marketplace.services.payments.refs import metadata_id

log = logging.getLogger(__name__)


@dataclass
class Onboarding:
    """A payout account and the hosted onboarding link that completes it."""

    account: PayoutAccount
    onboarding_url: str | None
    expires_at: int | None


def payout_account_of(user_id: Any) -> PayoutAccount | None:
    """The user's payout account, if they started one."""
    return db.session.execute(
        select(PayoutAccount).where(PayoutAccount.user_id == user_id)
    ).scalar_one_or_none()


def my_payout_account(user: User) -> PayoutAccount:
    """The caller's payout account, or 404."""
    account = payout_account_of(user.id)
    if account is None:
        raise NotFound("You have no payout account yet; create one with POST.")
    return account


def setup_payout_account(user: User, refresh_url: str, return_url: str) -> Onboarding:
    """Create the influencer's connected account once, and answer a fresh onboarding link."""
    account = payout_account_of(user.id)
    if account is None:
        profile = db.session.execute(
            select(InfluencerProfile).where(InfluencerProfile.user_id == user.id)
        ).scalar_one_or_none()
        account = PayoutAccount(
            user_id=user.id,
            profile_id=profile.id if profile else None,
            country=profile.country if profile else None,
        )
        db.session.add(account)
        try:
            db.session.commit()  # the row first: its id keys the account creation at Stripe
        except IntegrityError:
            db.session.rollback()
            account = payout_account_of(user.id)
            if account is None:
                raise
    access = access_for(account.tenant_id)
    try:
        if account.stripe_account_id is None:
            created = gateway.create_express_account(
                access,
                email=user.email,
                country=account.country,
                metadata={
                    "tenant_id": str(account.tenant_id),
                    "user_id": str(user.id),
                    "payout_account_id": str(account.id),
                },
                idempotency_key=keys.account_key(account.id),
            )
            account.stripe_account_id = created["id"]
            apply_account_state(account, created)
            db.session.commit()
        link = gateway.create_account_link(
            access, account_id=account.stripe_account_id, refresh_url=refresh_url, return_url=return_url
        )
    except ProviderUnavailable:
        db.session.rollback()
        raise ServiceUnavailable("The payment provider is not answering; try again shortly.") from None
    except ProviderError as exc:
        db.session.rollback()
        raise ValidationFailed(f"The payment provider refused: {exc.message}") from None
    return Onboarding(account, link.get("url"), link.get("expires_at"))


def apply_account_state(account: PayoutAccount, stripe_account: dict[str, Any]) -> bool:
    """Copy Stripe's view of the account onto ours; True when it just became able to receive money."""
    could_receive = account.can_receive
    account.details_submitted = bool(stripe_account.get("details_submitted"))
    account.charges_enabled = bool(stripe_account.get("charges_enabled"))
    account.payouts_enabled = bool(stripe_account.get("payouts_enabled"))
    capabilities = stripe_account.get("capabilities") or {}
    account.transfers_active = capabilities.get("transfers") == "active"
    requirements = stripe_account.get("requirements") or {}
    account.requirements_due = list(requirements.get("currently_due") or [])
    return account.can_receive and not could_receive


def account_updated(stripe_account: dict[str, Any]) -> tuple[str, list[Any]]:
    """account.updated: refresh the flags; when payouts open, return the contracts whose money waits."""
    account = db.session.execute(
        select(PayoutAccount)
        .where(PayoutAccount.stripe_account_id == stripe_account.get("id"))
        .with_for_update()
    ).scalar_one_or_none()
    if account is None:
        own_id = metadata_id(stripe_account, "payout_account_id")
        account = (
            db.session.execute(select(PayoutAccount).where(PayoutAccount.id == own_id)).scalar_one_or_none()
            if own_id
            else None
        )
        if account is None:
            return "ignored: unknown account", []
        account.stripe_account_id = stripe_account["id"]  # our commit after creating it was lost
    if not apply_account_state(account, stripe_account):
        return "flags refreshed", []
    notify(account.user_id, "payouts_enabled", "Your payout account is ready to receive payments")
    waiting = db.session.execute(
        select(Transfer.contract_id).where(
            Transfer.influencer_user_id == account.user_id, Transfer.status.in_(("payable", "pending"))
        )
    ).scalars()
    return "payouts enabled", list(waiting)
