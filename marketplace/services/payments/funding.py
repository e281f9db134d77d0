"""Funding a contract: the brand's PaymentIntent, our Idempotency-Key, success and failure."""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.domain.lifecycles import check_transition
from marketplace.domain.money import format_money, minimum_charge
from marketplace.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from marketplace.extensions import db
from marketplace.models import BrandMember, Contract, Payment, User
from marketplace.models.base import utcnow
from marketplace.models.payment import FINAL_PAYMENT_STATUSES
from marketplace.payments import gateway, keys
from marketplace.payments.amounts import from_stripe_amount
from marketplace.payments.errors import ProviderError, ProviderUnavailable
from marketplace.services.payments import ledger
from marketplace.services.payments.access import access_for
from marketplace.services.payments.notices import tell_brand, tell_influencer
from marketplace.services.payments.refs import stripe_id
from marketplace.services.payments.refunds import refund_late_payment
from marketplace.tenancy import get_or_404

log = logging.getLogger(__name__)


@dataclass
class Funding:
    """What /fund answers: the payment, the intent's client secret, and whether this call created it."""

    payment: Payment
    client_secret: str | None
    created: bool
    next_action: str | None = None


def brand_contract(user: User, contract_id: Any, *, for_update: bool = False) -> Contract:
    """A contract of one of the user's brands (admins: any); others get the same 404 as unknown ids."""
    contract = get_or_404(Contract, contract_id, for_update=for_update)
    if user.role == "admin":
        return contract
    member = db.session.execute(
        select(BrandMember.id).where(
            BrandMember.brand_id == contract.brand_id, BrandMember.user_id == user.id
        )
    ).first()
    if member is None:
        raise NotFound("No such contract.")
    return contract


def _fingerprint(contract_id: uuid.UUID, body: dict[str, Any]) -> str:
    canonical = json.dumps({"contract": str(contract_id), "body": body}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_fundable(contract: Contract, body: dict[str, Any]) -> None:
    if not contract.has_cash:
        raise ValidationFailed(
            "This contract has no cash to fund (in-kind only).", errors={"contract": ["Nothing to fund."]}
        )
    if contract.status != "signed":
        raise Conflict(f"Only a signed contract can be funded; this one is {contract.status}.")
    expected = body.get("expected_amount_minor")
    if expected is not None and expected != contract.brand_pays_minor:
        raise ValidationFailed(
            f"The contract costs {format_money(contract.brand_pays_minor, contract.currency)}.",
            errors={"expected_amount_minor": [f"The amount to pay is {contract.brand_pays_minor}."]},
        )
    floor = minimum_charge(contract.currency)
    if contract.brand_pays_minor < floor:
        amount = format_money(contract.brand_pays_minor, contract.currency)
        raise ValidationFailed(
            f"{amount} is below Stripe's minimum charge of {format_money(floor, contract.currency)}.",
            errors={"amount": [f"Below the minimum charge ({floor} minor units) for {contract.currency}."]},
        )


def _by_key(user: User, key: str) -> Payment | None:
    return db.session.execute(
        select(Payment).where(Payment.created_by == user.id, Payment.idempotency_key == key)
    ).scalar_one_or_none()


def _live_payment(contract_id: uuid.UUID) -> Payment | None:
    return db.session.execute(
        select(Payment).where(Payment.contract_id == contract_id, Payment.status != "canceled")
    ).scalar_one_or_none()


def fund_contract(user: User, contract_id: Any, idempotency_key: str | None, body: dict[str, Any]) -> Funding:
    """Start (or resume) the funding of a signed contract; returns the PaymentIntent's client secret.

    The same Idempotency-Key with the same request answers the same payment; with another request
    it is a 422. A second funding attempt with another key reuses the contract's live payment.
    """
    contract = brand_contract(user, contract_id, for_update=True)
    fingerprint = _fingerprint(contract.id, body)
    if idempotency_key:
        previous = _by_key(user, idempotency_key)
        if previous is not None:
            if previous.request_fingerprint != fingerprint:
                raise ValidationFailed(
                    "This Idempotency-Key was already used with another request.",
                    errors={"Idempotency-Key": ["Use a new key for a different request."]},
                )
            return _resume(previous, created=True)
    _check_fundable(contract, body)
    live = _live_payment(contract.id)
    if live is not None:
        return _resume(live, created=False)
    payment = Payment(
        contract_id=contract.id,
        created_by=user.id,
        amount_minor=contract.brand_pays_minor,
        currency=contract.currency,
        status="creating",
        idempotency_key=idempotency_key,
        request_fingerprint=fingerprint,
    )
    db.session.add(payment)
    try:
        db.session.commit()  # the row exists before Stripe hears of it: its id is the Stripe key
    except IntegrityError:
        db.session.rollback()  # a concurrent request won the race: answer with its payment
        winner = (_by_key(user, idempotency_key) if idempotency_key else None) or _live_payment(contract.id)
        if winner is None:
            raise
        return _resume(winner, created=winner.idempotency_key == idempotency_key)
    return _resume(payment, created=True)


def _resume(payment: Payment, *, created: bool) -> Funding:
    """Make sure the payment has its PaymentIntent, read its current state, and answer."""
    access = access_for(payment.tenant_id)
    try:
        if payment.stripe_payment_intent_id is None:
            intent = gateway.create_payment_intent(
                access,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                transfer_group=keys.transfer_group(payment.contract_id),
                description=f"Contract {payment.contract_id}",
                metadata={
                    "tenant_id": str(payment.tenant_id),
                    "contract_id": str(payment.contract_id),
                    "payment_id": str(payment.id),
                },
                idempotency_key=keys.payment_intent_key(payment.id),
            )
            payment.stripe_payment_intent_id = intent["id"]
        else:
            intent = gateway.retrieve_payment_intent(access, payment.stripe_payment_intent_id)
    except ProviderUnavailable:
        db.session.rollback()
        raise ServiceUnavailable(
            "The payment provider is not answering; retry with the same Idempotency-Key."
        ) from None
    except ProviderError as exc:
        db.session.rollback()
        log.error("payment %s: Stripe refused the PaymentIntent: %s", payment.id, exc.message)
        if payment.stripe_payment_intent_id is None:
            # Refused before anything was created (Stripe keeps no key for a 400): free the contract.
            payment.status, payment.failure_message = "canceled", exc.message
            db.session.commit()
        raise ValidationFailed(f"The payment provider refused this payment: {exc.message}") from None
    sync_payment(payment, intent, announce_failure=True)
    db.session.commit()
    next_action = (intent.get("next_action") or {}).get("type")
    return Funding(payment, intent.get("client_secret"), created, next_action)


def sync_payment(payment: Payment, intent: dict[str, Any], *, announce_failure: bool) -> str:
    """Bring our payment in line with the PaymentIntent Stripe has; returns what changed."""
    if payment.status in FINAL_PAYMENT_STATUSES:
        return "unchanged"
    status = intent.get("status")
    if status == "succeeded":
        return apply_payment_succeeded(payment, intent)
    if status == "canceled":
        payment.status = "canceled"
        return "canceled"
    if status == "requires_payment_method" and intent.get("last_payment_error"):
        if payment.status == "failed":
            return "unchanged"
        return apply_payment_failed(payment, intent, announce=announce_failure)
    if status and payment.status != status:
        payment.status = status
        return status
    return "unchanged"


def apply_payment_succeeded(payment: Payment, intent: dict[str, Any]) -> str:
    """Money arrived: record it in the ledger and move the contract to funded (once)."""
    if payment.status == "succeeded":
        return "already succeeded"
    contract = get_or_404(Contract, payment.contract_id, for_update=True)
    amount = from_stripe_amount(int(intent["amount"]), payment.currency)
    if amount != payment.amount_minor:
        log.error("payment %s: Stripe charged %s, we asked %s", payment.id, amount, payment.amount_minor)
    payment.status = "succeeded"
    payment.succeeded_at = utcnow()
    payment.stripe_charge_id = stripe_id(intent.get("latest_charge")) or payment.stripe_charge_id
    payment.failure_code = payment.failure_message = None
    ledger.post_movement(
        contract,
        key=f"funding:{payment.id}",
        kind="funding",
        from_account="brand_funding",
        to_account="platform_held",
        amount_minor=amount,
        source_id=payment.id,
        memo=f"PaymentIntent {payment.stripe_payment_intent_id}",
    )
    if contract.status == "signed":
        contract.status = check_transition("contract", contract.status, "funded")
        contract.funded_at = utcnow()
    elif contract.status == "disputed" and contract.status_before_dispute == "signed":
        contract.status_before_dispute = "funded"
        contract.funded_at = utcnow()
    elif contract.status == "cancelled":  # nothing is held for anyone: no "funded" notices
        refund_late_payment(contract, payment, amount)
        return "succeeded: refunded, the contract is cancelled"
    title = f"Contract funded: {format_money(amount, payment.currency)} held"
    tell_brand(contract, "contract_funded", title, payment_id=payment.id)
    tell_influencer(contract, "contract_funded", title)
    return "succeeded"


def apply_payment_failed(payment: Payment, intent: dict[str, Any], *, announce: bool = True) -> str:
    """A declined or failed attempt: the brand is told; nothing else changes."""
    if payment.status in FINAL_PAYMENT_STATUSES:
        return "ignored: payment is final"
    error = intent.get("last_payment_error") or {}
    charge = stripe_id(error.get("charge")) or stripe_id(intent.get("latest_charge"))
    if payment.status == "failed" and charge and charge == payment.stripe_charge_id:
        return "unchanged: this decline is recorded"
    payment.status = "failed"
    payment.stripe_charge_id = charge
    payment.failure_code = (error.get("decline_code") or error.get("code") or "payment_failed")[:100]
    payment.failure_message = error.get("message") or "The payment failed."
    if announce:
        contract = get_or_404(Contract, payment.contract_id)
        tell_brand(
            contract,
            "payment_failed",
            "Your payment did not go through",
            payment_id=payment.id,
            reason=payment.failure_message,
        )
    return "failed"


def funding_of(user: User, contract_id: Any) -> Payment:
    """The contract's current funding attempt (brand members and admins)."""
    contract = brand_contract(user, contract_id)
    payment = (
        _live_payment(contract.id)
        or db.session.execute(
            select(Payment)
            .where(Payment.contract_id == contract.id)
            .order_by(Payment.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()
    )
    if payment is None:
        raise NotFound("This contract has no payment yet.")
    return payment
