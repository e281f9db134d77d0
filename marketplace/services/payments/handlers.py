"""What each Stripe event type does, as a table. Handlers check state first: an event may arrive
late, twice or out of order, and must change things at most once."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import or_, select

from marketplace.domain.money import format_money
from marketplace.extensions import db
from marketplace.models import Contract, Payment, Transfer
from marketplace.payments.amounts import from_stripe_amount
from marketplace.services.payments import chargebacks, ledger
from marketplace.services.payments.funding import apply_payment_failed, apply_payment_succeeded, sync_payment
from marketplace.services.payments.notices import tell_admins
from marketplace.services.payments.payouts import account_updated
from marketplace.services.payments.refs import metadata_id, stripe_id
from marketplace.services.payments.refunds import sync_refunds
from marketplace.services.payments.release import mark_transfer_paid, queue_release
from marketplace.tenancy import get_or_404

Followups = list[Callable[[], Any]]


def payment_for(obj: dict[str, Any]) -> Payment | None:
    """Our payment behind a PaymentIntent, charge or dispute (by our metadata, then by Stripe ids)."""
    own_id = metadata_id(obj, "payment_id") if obj.get("object") == "payment_intent" else None
    if own_id is not None:
        payment = db.session.execute(select(Payment).where(Payment.id == own_id)).scalar_one_or_none()
        if payment is not None:
            if payment.stripe_payment_intent_id is None:  # our commit after creating it was lost
                payment.stripe_payment_intent_id = obj["id"]
            return payment
    intent = obj["id"] if obj.get("object") == "payment_intent" else stripe_id(obj.get("payment_intent"))
    charge = obj["id"] if obj.get("object") == "charge" else stripe_id(obj.get("charge"))
    conditions = []
    if intent:
        conditions.append(Payment.stripe_payment_intent_id == intent)
    if charge:
        conditions.append(Payment.stripe_charge_id == charge)
    if not conditions:
        return None
    return db.session.execute(select(Payment).where(or_(*conditions)).limit(1)).scalar_one_or_none()


def _locked_payment(obj: dict[str, Any]) -> Payment | None:
    payment = payment_for(obj)
    if payment is None:
        return None
    return db.session.execute(select(Payment).where(Payment.id == payment.id).with_for_update()).scalar_one()


def on_intent_succeeded(obj: dict[str, Any], followups: Followups) -> str:
    """payment_intent.succeeded: the contract is funded (once)."""
    payment = _locked_payment(obj)
    return apply_payment_succeeded(payment, obj) if payment else "ignored: unknown payment"


def on_intent_failed(obj: dict[str, Any], followups: Followups) -> str:
    """payment_intent.payment_failed: the brand is told; nothing else changes."""
    payment = _locked_payment(obj)
    return apply_payment_failed(payment, obj) if payment else "ignored: unknown payment"


def on_intent_changed(obj: dict[str, Any], followups: Followups) -> str:
    """requires_action, processing, canceled: mirror the status of a payment that is not final."""
    payment = _locked_payment(obj)
    return sync_payment(payment, obj, announce_failure=False) if payment else "ignored: unknown payment"


def on_charge_refunded(obj: dict[str, Any], followups: Followups) -> str:
    """charge.refunded: record every refund Stripe holds that we have not (ours or the dashboard's)."""
    payment = _locked_payment(obj)
    if payment is None:
        return "ignored: unknown payment"
    changes = sync_refunds(payment)
    return "; ".join(changes) if changes else "refunds already recorded"


def on_dispute_created(obj: dict[str, Any], followups: Followups) -> str:
    """charge.dispute.created (a chargeback): record it, freeze the contract as disputed, alert admins."""
    payment = _locked_payment(obj)
    return chargebacks.opened(payment, obj) if payment else "ignored: unknown payment"


def on_dispute_closed(obj: dict[str, Any], followups: Followups) -> str:
    """charge.dispute.closed: won or an inquiry closed, the contract resumes; lost, the ledger pays it."""
    payment = _locked_payment(obj)
    return chargebacks.closed(payment, obj, followups) if payment else "ignored: unknown payment"


def on_account_updated(obj: dict[str, Any], followups: Followups) -> str:
    """account.updated: keep payouts_enabled current; when it opens, release the money that waits."""
    outcome, waiting = account_updated(obj)
    for contract_id in waiting:
        followups.append(partial(queue_release, contract_id))
    return outcome + (f"; {len(waiting)} release(s) queued" if waiting else "")


def _transfer_for(obj: dict[str, Any]) -> Transfer | None:
    transfer = db.session.execute(
        select(Transfer).where(Transfer.stripe_transfer_id == obj.get("id")).with_for_update()
    ).scalar_one_or_none()
    own_id = metadata_id(obj, "transfer_id")
    if transfer is None and own_id is not None:
        transfer = db.session.execute(
            select(Transfer).where(Transfer.id == own_id).with_for_update()
        ).scalar_one_or_none()
    return transfer


def on_transfer_created(obj: dict[str, Any], followups: Followups) -> str:
    """transfer.created: if our commit after the Stripe call was lost, record the transfer now."""
    transfer = _transfer_for(obj)
    if transfer is None:
        return "ignored: unknown transfer"
    if transfer.status == "pending":
        return mark_transfer_paid(transfer, obj)
    return f"transfer already {transfer.status}"


def on_transfer_reversed(obj: dict[str, Any], followups: Followups) -> str:
    """transfer.reversed: bring the reversed money back to platform_held in the ledger, alert admins."""
    transfer = _transfer_for(obj)
    if transfer is None:
        return "ignored: unknown transfer"
    return record_reversal(transfer, obj)


def record_reversal(transfer: Transfer, stripe_transfer: dict[str, Any]) -> str:
    """Post what was reversed since we last looked (an older event with a smaller total changes nothing)."""
    if transfer.status == "pending":
        mark_transfer_paid(transfer, stripe_transfer)
    if transfer.status not in ("paid", "reversed"):
        return f"ignored: transfer is {transfer.status}"
    total = from_stripe_amount(int(stripe_transfer.get("amount_reversed") or 0), transfer.currency)
    delta = total - transfer.amount_reversed_minor
    if delta <= 0:
        return "reversal already recorded"
    contract = get_or_404(Contract, transfer.contract_id)
    ledger.post_movement(
        contract,
        key=f"reversal:{transfer.id}:{total}",
        kind="transfer_reversal",
        from_account="transfer_out",
        to_account="platform_held",
        amount_minor=delta,
        source_id=transfer.id,
        memo=f"reversal of Stripe transfer {transfer.stripe_transfer_id}",
    )
    transfer.amount_reversed_minor = total
    if total >= transfer.amount_minor:
        transfer.status = "reversed"
    tell_admins(
        "transfer_reversed",
        f"{format_money(delta, transfer.currency)} of a payout was reversed back to the platform",
        contract_id=transfer.contract_id,
        transfer_id=transfer.id,
    )
    return f"reversed {delta}"


HANDLERS: dict[str, Callable[[dict[str, Any], Followups], str]] = {
    "payment_intent.succeeded": on_intent_succeeded,
    "payment_intent.payment_failed": on_intent_failed,
    "payment_intent.requires_action": on_intent_changed,
    "payment_intent.processing": on_intent_changed,
    "payment_intent.canceled": on_intent_changed,
    "charge.refunded": on_charge_refunded,
    "charge.dispute.created": on_dispute_created,
    "charge.dispute.closed": on_dispute_closed,
    "account.updated": on_account_updated,
    "transfer.created": on_transfer_created,
    "transfer.reversed": on_transfer_reversed,
}
