"""Thin wrappers over the Stripe calls the marketplace makes; plain dicts in, plain dicts out.

Amounts go in as our minor units and are converted here; Stripe objects come back as dicts in
Stripe's own shape (amounts in Stripe units: use amounts.from_stripe_amount). Every call that
creates something takes the idempotency key its caller derived from a row id (keys.py).
"""

from __future__ import annotations

from typing import Any

from marketplace.payments.amounts import stripe_currency, to_stripe_amount
from marketplace.payments.client import StripeAccess, client_for, translated_errors

Obj = dict[str, Any]


def _options(idempotency_key: str) -> dict[str, Any]:
    return {"idempotency_key": idempotency_key}


def create_express_account(
    access: StripeAccess, *, email: str, country: str | None, metadata: dict[str, str], idempotency_key: str
) -> Obj:
    """Create an express connected account that may receive transfers."""
    params: dict[str, Any] = {
        "type": "express",
        "email": email,
        "capabilities": {"transfers": {"requested": True}},
        "metadata": metadata,
    }
    if country:
        params["country"] = country
    with translated_errors():
        return client_for(access).v1.accounts.create(params, _options(idempotency_key)).to_dict()


def retrieve_account(access: StripeAccess, account_id: str) -> Obj:
    """A connected account as Stripe has it now."""
    with translated_errors():
        return client_for(access).v1.accounts.retrieve(account_id).to_dict()


def create_account_link(access: StripeAccess, *, account_id: str, refresh_url: str, return_url: str) -> Obj:
    """A short-lived hosted onboarding link for a connected account."""
    params = {
        "account": account_id,
        "refresh_url": refresh_url,
        "return_url": return_url,
        "type": "account_onboarding",
    }
    with translated_errors():
        return client_for(access).v1.account_links.create(params).to_dict()


def create_payment_intent(
    access: StripeAccess,
    *,
    amount_minor: int,
    currency: str,
    transfer_group: str,
    description: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Obj:
    """A card PaymentIntent on the platform account, captured automatically (funds held in our balance)."""
    params = {
        "amount": to_stripe_amount(amount_minor, currency),
        "currency": stripe_currency(currency),
        "payment_method_types": ["card"],
        "transfer_group": transfer_group,
        "description": description,
        "metadata": metadata,
    }
    with translated_errors():
        return client_for(access).v1.payment_intents.create(params, _options(idempotency_key)).to_dict()


def retrieve_payment_intent(access: StripeAccess, intent_id: str) -> Obj:
    """A PaymentIntent with its client secret, status and latest charge."""
    with translated_errors():
        return client_for(access).v1.payment_intents.retrieve(intent_id).to_dict()


def retrieve_charge(access: StripeAccess, charge_id: str) -> Obj:
    """A charge (amount_refunded tells what has been returned)."""
    with translated_errors():
        return client_for(access).v1.charges.retrieve(charge_id).to_dict()


def create_transfer(
    access: StripeAccess,
    *,
    amount_minor: int,
    currency: str,
    destination: str,
    transfer_group: str,
    description: str,
    metadata: dict[str, str],
    source_transaction: str | None,
    idempotency_key: str,
) -> Obj:
    """Move money from the platform balance to a connected account."""
    params: dict[str, Any] = {
        "amount": to_stripe_amount(amount_minor, currency),
        "currency": stripe_currency(currency),
        "destination": destination,
        "transfer_group": transfer_group,
        "description": description,
        "metadata": metadata,
    }
    if source_transaction:
        # Ties the transfer to the charge: Stripe waits for those funds to be available.
        params["source_transaction"] = source_transaction
    with translated_errors():
        return client_for(access).v1.transfers.create(params, _options(idempotency_key)).to_dict()


def retrieve_transfer(access: StripeAccess, transfer_id: str) -> Obj:
    """A transfer with amount_reversed and its reversals."""
    with translated_errors():
        return client_for(access).v1.transfers.retrieve(transfer_id).to_dict()


def retrieve_dispute(access: StripeAccess, dispute_id: str) -> Obj:
    """A dispute (chargeback) on one of our charges, with its status."""
    with translated_errors():
        return client_for(access).v1.disputes.retrieve(dispute_id).to_dict()


def list_disputes(access: StripeAccess, charge_id: str) -> list[Obj]:
    """The disputes of a charge (Stripe allows one; a list all the same)."""
    with translated_errors():
        page = client_for(access).v1.disputes.list({"charge": charge_id, "limit": 10})
        return [dispute.to_dict() for dispute in page.data]


def find_transfer(access: StripeAccess, *, transfer_group: str, metadata_key: str, value: str) -> Obj | None:
    """The transfer of a group whose metadata[metadata_key] is `value`, if Stripe holds one."""
    with translated_errors():
        page = client_for(access).v1.transfers.list({"transfer_group": transfer_group, "limit": 100})
        for transfer in page.auto_paging_iter():
            if (transfer.metadata or {}).get(metadata_key) == value:
                return transfer.to_dict()
    return None


def create_refund(
    access: StripeAccess,
    *,
    payment_intent: str,
    amount_minor: int,
    currency: str,
    metadata: dict[str, str],
    idempotency_key: str,
) -> Obj:
    """Return part or all of a PaymentIntent's charge to the brand."""
    params = {
        "payment_intent": payment_intent,
        "amount": to_stripe_amount(amount_minor, currency),
        "reason": "requested_by_customer",
        "metadata": metadata,
    }
    with translated_errors():
        return client_for(access).v1.refunds.create(params, _options(idempotency_key)).to_dict()


def list_refunds(access: StripeAccess, payment_intent: str) -> list[Obj]:
    """Every refund of a PaymentIntent's charge."""
    with translated_errors():
        page = client_for(access).v1.refunds.list({"payment_intent": payment_intent, "limit": 100})
        return [refund.to_dict() for refund in page.auto_paging_iter()]
