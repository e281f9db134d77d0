"""Reconciliation: compare our payments, transfers and refunds with Stripe and repair what a lost
webhook or a crashed job left behind. Each repair goes through the same idempotent functions the
webhooks use, so running it any number of times changes things at most once."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select

from marketplace.extensions import db
from marketplace.models import Contract, LedgerMovement, Payment, Refund, StripeEvent, Transfer
from marketplace.models.base import utcnow
from marketplace.models.payment import FINAL_PAYMENT_STATUSES
from marketplace.payments import gateway
from marketplace.payments.amounts import from_stripe_amount
from marketplace.services.payments import chargebacks
from marketplace.services.payments.access import access_for
from marketplace.services.payments.funding import sync_payment
from marketplace.services.payments.handlers import HANDLERS, record_reversal
from marketplace.services.payments.refunds import execute_refund, refunded_total, sync_refunds
from marketplace.services.payments.release import pay_transfer, post_in_kind_memo, release_contract
from marketplace.services.payments.stripe_events import process_event
from marketplace.tenancy import current_tenant, get_or_404

log = logging.getLogger(__name__)
STALE_EVENT = timedelta(minutes=2)
NO_CHANGE = ("unchanged", "already", "reversal already", "refunds already", "transfer already", "ignored")


def reconcile_tenant(lookback_days: int = 30) -> dict[str, Any]:
    """Repair the current tenant's money records from Stripe; returns what was repaired and what failed."""
    tenant = current_tenant()
    access = access_for(tenant.id)
    report: dict[str, list[str]] = {"repaired": [], "errors": []}
    since = utcnow() - timedelta(days=lookback_days)

    def attempt(label: str, action: Any) -> None:
        try:
            outcome = action()
            db.session.commit()
        except Exception as exc:  # one bad record must not stop the sweep (ProviderError included)
            db.session.rollback()
            log.warning("reconciliation %s: %s", label, exc)
            report["errors"].append(f"{label}: {exc}")
            return
        if outcome and not str(outcome).startswith(NO_CHANGE):
            report["repaired"].append(f"{label}: {outcome}")

    # Events recorded but never processed (the queue was down, or the job died for good).
    stale_events = db.session.execute(
        select(StripeEvent.id).where(
            StripeEvent.tenant_id == tenant.id,
            StripeEvent.status == "received",
            StripeEvent.created_at < utcnow() - STALE_EVENT,
        )
    ).scalars()
    for event_id in list(stale_events):
        attempt(f"event {event_id}", lambda e=event_id: process_event(e, HANDLERS)["outcome"])

    open_payments = db.session.execute(
        select(Payment).where(
            Payment.status.not_in(FINAL_PAYMENT_STATUSES),
            Payment.stripe_payment_intent_id.is_not(None),
            Payment.created_at >= since,
        )
    ).scalars()
    for payment in list(open_payments):
        attempt(
            f"payment {payment.id}",
            lambda p=payment: sync_payment(
                p, gateway.retrieve_payment_intent(access, p.stripe_payment_intent_id), announce_failure=True
            ),
        )

    succeeded = db.session.execute(
        select(Payment).where(Payment.status == "succeeded", Payment.succeeded_at >= since)
    ).scalars()
    for payment in list(succeeded):
        attempt(f"charge of payment {payment.id}", lambda p=payment: _charge(access, p))

    # Chargebacks still open here whose end Stripe announced in an event we never processed.
    open_chargebacks = db.session.execute(
        select(Payment.id).where(
            Payment.stripe_dispute_id.is_not(None), Payment.dispute_status.not_in(chargebacks.ENDED)
        )
    ).scalars()
    for payment_id in list(open_chargebacks):
        attempt(f"chargeback of payment {payment_id}", lambda p=payment_id: _chargeback(access, p))

    for refund_id in list(db.session.execute(select(Refund.id).where(Refund.status == "pending")).scalars()):
        attempt(f"refund {refund_id}", lambda r=refund_id: "sent " + execute_refund(r)["status"])

    for transfer_id in list(
        db.session.execute(select(Transfer.id).where(Transfer.status.in_(("payable", "pending")))).scalars()
    ):
        attempt(f"transfer {transfer_id}", lambda t=transfer_id: _transfer_outcome(pay_transfer(t)))

    paid = db.session.execute(
        select(Transfer).where(Transfer.status == "paid", Transfer.paid_at >= since)
    ).scalars()
    for transfer in list(paid):
        attempt(
            f"reversals of transfer {transfer.id}",
            lambda t=transfer: record_reversal(
                t, gateway.retrieve_transfer(access, t.stripe_transfer_id or "")
            ),
        )
    in_kind_missing = db.session.execute(
        select(Contract).where(
            Contract.status == "completed",
            Contract.in_kind_value_minor > 0,
            ~exists().where(
                LedgerMovement.tenant_id == Contract.tenant_id,
                LedgerMovement.contract_id == Contract.id,
                LedgerMovement.key == "in_kind",
            ),
        )
    ).scalars()
    for contract in list(in_kind_missing):
        attempt(f"in-kind memo of contract {contract.id}", lambda c=contract: _record_in_kind(c))

    # Delivered cash contracts whose release job never finished.
    unreleased = db.session.execute(
        select(Contract.id).where(
            Contract.status == "delivered",
            Contract.cash_minor > 0,
            ~exists().where(
                LedgerMovement.tenant_id == Contract.tenant_id,
                LedgerMovement.contract_id == Contract.id,
                LedgerMovement.key == "release",
            ),
        )
    ).scalars()
    for contract_id in list(unreleased):
        attempt(
            f"release of contract {contract_id}",
            lambda c=contract_id: "release " + release_contract(c)["status"],
        )
    return report


def _record_in_kind(contract: Contract) -> str:
    post_in_kind_memo(contract)
    return "in-kind value recorded"


def _charge(access: Any, payment: Payment) -> str:
    """What the payment's charge shows that we lack: refunds, and a chargeback whose events were lost."""
    if not payment.stripe_charge_id:
        return "unchanged"
    charge = gateway.retrieve_charge(access, payment.stripe_charge_id)
    changes: list[str] = []
    refunded = from_stripe_amount(int(charge.get("amount_refunded") or 0), payment.currency)
    if refunded != refunded_total(payment.id):
        changes.extend(sync_refunds(payment))
    if charge.get("disputed") and payment.stripe_dispute_id is None:
        changes.extend(_unrecorded_chargebacks(access, payment))
    return "; ".join(changes) or "unchanged"


def _unrecorded_chargebacks(access: Any, payment: Payment) -> list[str]:
    """Record a chargeback Stripe holds on the charge, and its end if it has one (as the events would)."""
    payment = get_or_404(Payment, payment.id, for_update=True)
    changes: list[str] = []
    for dispute in gateway.list_disputes(access, payment.stripe_charge_id or ""):
        ended = dispute.get("status") in chargebacks.ENDED
        # charge.dispute.created showed it open, before its end
        changes.append(
            chargebacks.opened(payment, {**dispute, "status": "needs_response"} if ended else dispute)
        )
        if ended:
            changes.append(chargebacks.closed(payment, dispute, followups=[]))
    return changes


def _chargeback(access: Any, payment_id: Any) -> str:
    """Apply the end of a chargeback Stripe holds as ended. A contract it resumes as `delivered` is
    released by this sweep's last step, so the webhook's follow-up (queueing the release) is not needed."""
    payment = get_or_404(Payment, payment_id, for_update=True)
    dispute = gateway.retrieve_dispute(access, payment.stripe_dispute_id or "")
    return chargebacks.closed(payment, dispute, followups=[])


def _transfer_outcome(result: dict[str, Any]) -> str:
    return "transfer paid" if result["status"] == "paid" else f"unchanged: {result['status']}"
