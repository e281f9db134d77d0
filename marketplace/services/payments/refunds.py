"""Refunds to the brand: ours (dispute settlements) and those found on Stripe (dashboard, lost commits)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import func, select

from marketplace.domain.money import format_money
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.models import Contract, Payment, Refund
from marketplace.models.base import utcnow
from marketplace.payments import gateway, keys
from marketplace.payments.amounts import from_stripe_amount
from marketplace.services.payments import ledger
from marketplace.services.payments.access import access_for
from marketplace.services.payments.notices import tell_admins, tell_brand
from marketplace.services.payments.refs import metadata_id
from marketplace.tenancy import get_or_404

log = logging.getLogger(__name__)
DEAD_REFUND_STATUSES = ("failed", "canceled")
REFUND_JOB = "workers.jobs.payments.send_refund"


def refunded_total(payment_id: uuid.UUID) -> int:
    """What we have recorded as returned from one payment."""
    total = db.session.execute(
        select(func.coalesce(func.sum(Refund.amount_minor), 0)).where(
            Refund.payment_id == payment_id, Refund.status == "succeeded"
        )
    ).scalar_one()
    return int(total)


def refund_late_payment(contract: Contract, payment: Payment, amount_minor: int) -> Refund:
    """A payment that succeeds on a cancelled contract goes back whole (caller commits).

    It happens when the brand's payment was still processing as the contract was cancelled (a
    dispute resolved as a refund, a lost chargeback). The pending refund is sent by a job queued
    after the commit (key `refund-<row id>`, so a rerun replays it); should that job be lost,
    reconciliation sends every pending refund. Admins are told either way.
    """
    # Imported here: disputes imports settlement, which imports this module.
    from marketplace.services.payments.disputes import payments_job_after_commit

    refund = Refund(
        contract_id=contract.id,
        payment_id=payment.id,
        purpose=f"late-payment:{payment.id}",
        amount_minor=amount_minor,
        currency=payment.currency,
        reason="contract_cancelled",
        status="pending",
    )
    db.session.add(refund)
    db.session.flush()
    payments_job_after_commit(REFUND_JOB, contract.tenant_id, {"refund_id": str(refund.id)})
    tell_admins(
        "payment_on_cancelled_contract",
        "A payment arrived for a cancelled contract: it is being refunded",
        contract_id=contract.id,
        payment_id=payment.id,
        refund_id=refund.id,
    )
    return refund


def execute_refund(refund_id: uuid.UUID) -> dict[str, Any]:
    """Send a pending refund to Stripe (key `refund-<row id>`) and record it; safe to run again."""
    refund = db.session.execute(select(Refund).where(Refund.id == refund_id).with_for_update()).scalar_one()
    if refund.status != "pending":
        db.session.commit()
        return _result(refund)
    payment = get_or_404(Payment, refund.payment_id)
    room = min(
        payment.amount_minor - refunded_total(payment.id), ledger.balance(refund.contract_id, "platform_held")
    )
    if refund.amount_minor > room:
        refund.status = "failed"
        db.session.commit()
        raise Conflict(f"A refund of {refund.amount_minor} would exceed what is left of the charge ({room}).")
    stripe_refund = gateway.create_refund(
        access_for(refund.tenant_id),
        payment_intent=payment.stripe_payment_intent_id or "",
        amount_minor=refund.amount_minor,
        currency=refund.currency,
        metadata={
            "tenant_id": str(refund.tenant_id),
            "contract_id": str(refund.contract_id),
            "refund_id": str(refund.id),
        },
        idempotency_key=keys.refund_key(refund.id),
    )
    mark_refund_succeeded(refund, stripe_refund)
    db.session.commit()
    return _result(refund)


def mark_refund_succeeded(refund: Refund, stripe_refund: dict[str, Any]) -> str:
    """Record a refund Stripe accepted: ledger platform_held -> refund, the brand told (caller commits)."""
    if refund.status == "succeeded":
        return "already refunded"
    refund.stripe_refund_id = stripe_refund["id"]
    refund.status = "succeeded"
    refund.refunded_at = utcnow()
    contract = get_or_404(Contract, refund.contract_id)
    ledger.post_movement(
        contract,
        key=f"refund:{refund.id}",
        kind="refund",
        from_account="platform_held",
        to_account="refund",
        amount_minor=refund.amount_minor,
        source_id=refund.id,
        memo=f"Stripe refund {stripe_refund['id']}",
    )
    tell_brand(
        contract,
        "refund_issued",
        f"{format_money(refund.amount_minor, refund.currency)} refunded to your card",
        refund_id=refund.id,
    )
    return "refunded"


def sync_refunds(payment: Payment) -> list[str]:
    """Record every refund Stripe holds for a payment that we have not (charge.refunded, reconciliation)."""
    if not payment.stripe_payment_intent_id or payment.status != "succeeded":
        return []
    changes = []
    for stripe_refund in gateway.list_refunds(
        access_for(payment.tenant_id), payment.stripe_payment_intent_id
    ):
        if stripe_refund.get("status") in DEAD_REFUND_STATUSES:
            continue
        ours = db.session.execute(
            select(Refund).where(Refund.stripe_refund_id == stripe_refund["id"])
        ).scalar_one_or_none()
        own_id = metadata_id(stripe_refund, "refund_id")
        if ours is None and own_id is not None:
            ours = db.session.execute(select(Refund).where(Refund.id == own_id)).scalar_one_or_none()
        if ours is not None:
            if ours.status != "succeeded":
                changes.append(f"{mark_refund_succeeded(ours, stripe_refund)} {ours.id}")
            continue
        # Refunded outside the marketplace (the Stripe dashboard): recorded, and admins told.
        external = Refund(
            contract_id=payment.contract_id,
            payment_id=payment.id,
            purpose=f"stripe:{stripe_refund['id']}",
            amount_minor=from_stripe_amount(int(stripe_refund["amount"]), payment.currency),
            currency=payment.currency,
            reason=stripe_refund.get("reason"),
            status="pending",
        )
        db.session.add(external)
        db.session.flush()
        mark_refund_succeeded(external, stripe_refund)
        tell_admins(
            "external_refund",
            "A refund was made outside the marketplace",
            contract_id=payment.contract_id,
            stripe_refund_id=stripe_refund["id"],
        )
        changes.append(f"external refund {stripe_refund['id']}")
    return changes


def _result(refund: Refund) -> dict[str, Any]:
    return {
        "status": refund.status,
        "refund_id": str(refund.id),
        "amount_minor": refund.amount_minor,
        "currency": refund.currency,
        "stripe_refund_id": refund.stripe_refund_id,
    }
