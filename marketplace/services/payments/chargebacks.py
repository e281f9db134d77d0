"""Chargebacks: a brand's bank disputes the funding charge (Stripe's `charge.dispute.*` events).

Stripe takes the disputed amount out of the platform's balance when the dispute opens and gives it
back if the platform wins. The dispute ends as `won`, `lost`, or `warning_closed` (an inquiry that
never became a chargeback). What the marketplace does:

- **opened** (`charge.dispute.created`): the payment records the dispute; the contract freezes as
  `disputed` (its previous state kept), so nothing is released while the bank decides; admins alerted.
- **won or closed as an inquiry** (`charge.dispute.closed`): no money moved for good. The contract
  resumes where it was, unless a party's own dispute keeps it frozen; a contract that resumes as
  `delivered` has its release queued again.
- **lost**: the brand's bank returned the money, and the ledger says so: the amount goes to the
  account `chargeback`. If the brand had not approved the work (the contract was `signed` or
  `funded`), it comes out of what the platform held for the contract and the contract is cancelled;
  a party's open dispute on it is closed as a refund, which is what happened. If the brand had
  approved the work (`delivered` or `completed`), approval is final (a party cannot dispute a
  delivered contract either, services/disputes.py): the influencer is still paid, and the
  platform's own money pays the bank (`chargeback_loss`).

Each step checks the recorded state first, so repeated, late or reordered events change things once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from sqlalchemy import select

from marketplace.domain.lifecycles import can_transition, check_transition
from marketplace.domain.money import format_money
from marketplace.extensions import db
from marketplace.models import Contract, Dispute, Payment
from marketplace.models.base import utcnow
from marketplace.payments.amounts import from_stripe_amount
from marketplace.services.payments import ledger
from marketplace.services.payments.notices import tell_admins, tell_brand, tell_influencer
from marketplace.services.payments.release import queue_release
from marketplace.tenancy import get_or_404

# How a Stripe dispute ends; any other status is one it passes through.
ENDED = frozenset({"won", "lost", "warning_closed"})
# Contract states in which the brand has approved the work: a lost chargeback no longer undoes it.
APPROVED = frozenset({"delivered", "completed"})


def opened(payment: Payment, dispute: dict[str, Any]) -> str:
    """charge.dispute.created: record the dispute on the payment, freeze the contract, alert admins."""
    if payment.dispute_status in ENDED:  # a late copy: Stripe allows one dispute per charge
        return f"chargeback already {payment.dispute_status}"
    if payment.stripe_dispute_id is not None and payment.stripe_dispute_id == dispute.get("id"):
        return "chargeback already recorded"  # a second event for the same dispute
    contract = get_or_404(Contract, payment.contract_id, for_update=True)
    amount = _record(payment, dispute, dispute.get("id"))
    outcome = f"contract already {contract.status}"
    if contract.status != "disputed" and can_transition("contract", contract.status, "disputed"):
        contract.status_before_dispute = contract.status
        contract.status = "disputed"
        outcome = "contract frozen as disputed"
    tell_admins(
        "chargeback",
        f"Chargeback of {format_money(amount, payment.currency)} on a contract",
        contract_id=contract.id,
        stripe_dispute_id=dispute.get("id"),
        reason=dispute.get("reason"),
    )
    return outcome


def closed(payment: Payment, dispute: dict[str, Any], followups: list[Callable[[], Any]]) -> str:
    """charge.dispute.closed: settle the chargeback's end once (the payment row is locked by the caller)."""
    status = dispute.get("status")
    if status not in ENDED:
        return f"ignored: dispute is {status}"
    if payment.dispute_status in ENDED:
        return f"chargeback already {payment.dispute_status}"
    contract = get_or_404(Contract, payment.contract_id, for_update=True)
    amount = _record(payment, dispute, payment.stripe_dispute_id or dispute.get("id"))
    money = format_money(amount, payment.currency)
    if status == "lost":
        outcome = _lost(contract, payment, amount, followups)
        title = f"Chargeback of {money} lost: {outcome}"
    else:
        outcome = _resume(contract, followups)
        title = f"Chargeback of {money} {'won' if status == 'won' else 'closed'}: {outcome}"
    tell_admins(
        "chargeback_closed",
        title,
        contract_id=contract.id,
        stripe_dispute_id=dispute.get("id"),
        status=status,
    )
    return outcome


def _record(payment: Payment, dispute: dict[str, Any], dispute_id: str | None) -> int:
    """The dispute as the payment remembers it (its id, status and amount); returns the amount."""
    amount = from_stripe_amount(int(dispute.get("amount") or 0), payment.currency)
    payment.stripe_dispute_id = dispute_id
    payment.dispute_status = dispute.get("status")
    payment.disputed_minor = amount
    return amount


def _resume(contract: Contract, followups: list[Callable[[], Any]]) -> str:
    """The money stayed: the contract continues where the chargeback froze it."""
    if contract.status != "disputed":
        return f"contract stays {contract.status}"
    if _active_dispute(contract) is not None:
        return "contract stays disputed: a party's dispute is open"
    target = contract.status_before_dispute or "signed"
    contract.status = check_transition("contract", contract.status, target)
    contract.status_before_dispute = None
    if target == "delivered":  # its release was refused while frozen
        followups.append(partial(queue_release, contract.id))
    return f"contract resumes as {target}"


def _lost(contract: Contract, payment: Payment, amount: int, followups: list[Callable[[], Any]]) -> str:
    """The bank returned `amount` to the brand: post it, and end the contract if the work was not approved."""
    state = contract.status_before_dispute if contract.status == "disputed" else contract.status
    approved = state in APPROVED
    held = ledger.balance(contract.id, "platform_held")
    from_held = 0 if approved else min(amount, held)
    memo = f"chargeback {payment.stripe_dispute_id} lost"
    ledger.post_movement(
        contract,
        key=f"chargeback:{payment.id}",
        kind="chargeback",
        from_account="platform_held",
        to_account="chargeback",
        amount_minor=from_held,
        source_id=payment.id,
        memo=memo,
    )
    ledger.post_movement(
        contract,
        key=f"chargeback_loss:{payment.id}",
        kind="chargeback",
        from_account="chargeback_loss",
        to_account="chargeback",
        amount_minor=amount - from_held,
        source_id=payment.id,
        memo=f"{memo}, paid by the platform",
    )
    if approved:
        return f"the platform pays it; {_resume(contract, followups)}"
    if contract.status in ("cancelled", "completed"):
        return f"contract stays {contract.status}"
    active = _active_dispute(contract)
    if active is not None:
        active.status = check_transition("dispute", active.status, "resolved")
        active.outcome = "refund"
        active.resolution_note = "Closed by a lost chargeback: the brand's bank returned the payment."
        active.resolved_at = utcnow()
    contract.status = check_transition("contract", contract.status, "cancelled")
    notice = "The contract was cancelled: the brand's bank reversed the payment"
    for tell in (tell_brand, tell_influencer):
        tell(contract, "contract_cancelled", notice)
    return "contract cancelled"


def _active_dispute(contract: Contract) -> Dispute | None:
    return db.session.execute(
        select(Dispute)
        .where(Dispute.contract_id == contract.id, Dispute.status.in_(("open", "under_review")))
        .with_for_update()
    ).scalar_one_or_none()
