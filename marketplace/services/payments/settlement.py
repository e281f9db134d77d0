"""Settling a disputed contract's money: release, refund, or a split of the two."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from marketplace.domain.lifecycles import check_transition
from marketplace.domain.money import BPS, share_of
from marketplace.errors import Conflict, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Contract, JobRecord, Payment, Refund, Transfer, User
from marketplace.models.base import utcnow
from marketplace.services.jobs import start_job
from marketplace.services.payments import ledger
from marketplace.services.payments.refunds import DEAD_REFUND_STATUSES, execute_refund
from marketplace.services.payments.release import PAYMENTS_SPEC, earmark, pay_transfer, post_in_kind_memo
from marketplace.tenancy import get_or_404

SETTLE_JOB = "workers.jobs.payments.settle_dispute"
OUTCOMES = ("release", "refund", "split")


@dataclass(frozen=True)
class SettlementPlan:
    """Where a contract's charge goes: the influencer's payable, the platform's fee, the brand's refund."""

    payable_minor: int
    fee_minor: int
    refund_minor: int


def plan_settlement(contract: Contract, outcome: str, influencer_share_bps: int | None) -> SettlementPlan:
    """Divide what the brand paid; a split gives the influencer its share of their net and the platform
    the same share of its fee (rounding down, via money.share_of), and refunds the brand the rest."""
    paid, net, fee = contract.brand_pays_minor, contract.influencer_net_minor, contract.platform_fee_minor
    if outcome == "release":
        return SettlementPlan(net, fee, 0)
    if outcome == "refund":
        return SettlementPlan(0, 0, paid)
    share = influencer_share_bps if influencer_share_bps is not None else 0
    payable, _ = share_of(net, share)
    kept_fee, _ = share_of(fee, share)
    return SettlementPlan(payable, kept_fee, paid - payable - kept_fee)


def validate_outcome(outcome: str, influencer_share_bps: int | None) -> None:
    """Refuse an unknown outcome, or a split without a share in 0..10000 bps (422)."""
    if outcome not in OUTCOMES:
        raise ValidationFailed("Unknown outcome.", errors={"outcome": [f"One of {', '.join(OUTCOMES)}."]})
    if outcome == "split" and (influencer_share_bps is None or not 0 <= influencer_share_bps <= BPS):
        raise ValidationFailed(
            "A split needs the influencer's share.",
            errors={"influencer_share_bps": ["Between 0 and 10000 basis points."]},
        )


def queue_settlement(
    contract_id: uuid.UUID, outcome: str, influencer_share_bps: int | None = None, user: User | None = None
) -> JobRecord:
    """Start the settlement job of a resolved dispute (commits; visible at GET /jobs/{id})."""
    validate_outcome(outcome, influencer_share_bps)
    return start_job(
        SETTLE_JOB,
        user=user,
        spec=PAYMENTS_SPEC,
        contract_id=str(contract_id),
        outcome=outcome,
        influencer_share_bps=influencer_share_bps,
    )


def settle_dispute(
    contract_id: uuid.UUID, outcome: str, influencer_share_bps: int | None = None
) -> dict[str, Any]:
    """Move a disputed contract's money as decided; running it again finishes what a crash left."""
    validate_outcome(outcome, influencer_share_bps)
    contract = get_or_404(Contract, contract_id, for_update=True)
    plan = plan_settlement(contract, outcome, influencer_share_bps)
    payment = db.session.execute(
        select(Payment).where(Payment.contract_id == contract.id, Payment.status == "succeeded")
    ).scalar_one_or_none()
    refund = db.session.execute(
        select(Refund).where(Refund.contract_id == contract.id, Refund.purpose == "settlement")
    ).scalar_one_or_none()
    if refund is None and payment is not None:
        # A payment that arrived after the contract was cancelled has its own refund of the whole
        # charge (refunds.refund_late_payment): that one carries out the settlement's refund.
        refund = db.session.execute(
            select(Refund).where(
                Refund.payment_id == payment.id,
                Refund.purpose == f"late-payment:{payment.id}",
                Refund.status.not_in(DEAD_REFUND_STATUSES),
            )
        ).scalar_one_or_none()
    result: dict[str, Any] = {"outcome": outcome, "contract_id": str(contract.id)}
    if payment is not None:
        _check_consistent(contract, plan, refund)
        if refund is None and not ledger.find_movement(contract.id, "release"):
            held = ledger.balance(contract.id, "platform_held")
            if held < contract.brand_pays_minor:
                raise Conflict(f"Only {held} of {contract.brand_pays_minor} is still held: settle by hand.")
        earmark(contract, plan.payable_minor, plan.fee_minor)
        if plan.refund_minor > 0 and refund is None:
            refund = Refund(
                contract_id=contract.id,
                payment_id=payment.id,
                purpose="settlement",
                amount_minor=plan.refund_minor,
                currency=contract.currency,
                reason="dispute",
                status="pending",
            )
            db.session.add(refund)
        result.update(
            payable_minor=plan.payable_minor, fee_minor=plan.fee_minor, refund_minor=plan.refund_minor
        )
    else:
        result["money"] = "none held (the contract was never funded)"
    if outcome != "refund":
        post_in_kind_memo(contract)
    if contract.status == "disputed":
        target = "cancelled" if outcome == "refund" else "completed"
        contract.status = check_transition("contract", contract.status, target)
        if target == "cancelled":
            contract.cancelled_at = utcnow()
        else:
            contract.completed_at = utcnow()
    db.session.commit()
    if refund is not None:
        result["refund"] = execute_refund(refund.id)
    transfer_id = db.session.execute(
        select(Transfer.id).where(Transfer.contract_id == contract_id)
    ).scalar_one_or_none()
    if transfer_id is not None:
        result["transfer"] = pay_transfer(transfer_id)
    return result


def _check_consistent(contract: Contract, plan: SettlementPlan, refund: Refund | None) -> None:
    """A second run must carry out the same decision, never another one on top of the first."""
    released = ledger.find_movement(contract.id, "release")
    fee = ledger.find_movement(contract.id, "fee")
    done = (
        released.amount_minor if released else 0,
        fee.amount_minor if fee else 0,
        refund.amount_minor if refund else 0,
    )
    if (released or fee or refund) and done != (plan.payable_minor, plan.fee_minor, plan.refund_minor):
        raise Conflict("This contract's money was already settled differently.", settled=list(done))
