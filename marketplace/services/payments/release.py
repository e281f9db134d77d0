"""Release: the influencer's net leaves the platform balance for their connected account.

Three short transactions, so that no crash can lose or double money:
1. earmark: ledger platform_held -> influencer_payable (+ the fee to platform_fee_revenue) and a
   Transfer row `payable`; committed;
2. when the influencer can receive: the row becomes `pending`; committed (its id keys the call);
3. under a row lock: the Stripe transfer (idempotency key `transfer-<row id>`), then our commit of
   `paid` + ledger influencer_payable -> transfer_out. A crash between the call and the commit
   leaves `pending`; the retried job sends the same key and Stripe answers the same transfer.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.domain.lifecycles import check_transition
from marketplace.domain.money import format_money
from marketplace.extensions import db
from marketplace.models import Contract, JobRecord, Payment, Transfer, User
from marketplace.models.base import utcnow
from marketplace.payments import gateway, keys
from marketplace.payments.errors import ProviderRefused
from marketplace.services.jobs import start_job
from marketplace.services.notifications import notify
from marketplace.services.payments import ledger
from marketplace.services.payments.access import access_for
from marketplace.services.payments.notices import tell_influencer
from marketplace.services.payments.payouts import apply_account_state, payout_account_of
from marketplace.tenancy import get_or_404
from workers.queues import PAYMENTS_QUEUE, JobSpec

log = logging.getLogger(__name__)

RELEASE_JOB = "workers.jobs.payments.release_contract"
PAYMENTS_SPEC = JobSpec(queue=PAYMENTS_QUEUE, retry_intervals=(10, 60, 300, 1800), timeout_seconds=120)
RELEASABLE = ("funded", "delivered", "completed")
# Stripe forgets idempotency keys after 24 hours: past that, look the transfer up before sending again.
KEY_LIFETIME = timedelta(hours=23)


def queue_release(contract_id: uuid.UUID, user: User | None = None) -> JobRecord:
    """Start the release job of a contract (commits; visible at GET /jobs/{id})."""
    return start_job(RELEASE_JOB, user=user, spec=PAYMENTS_SPEC, contract_id=str(contract_id))


def release_contract(contract_id: uuid.UUID) -> dict[str, Any]:
    """Pay the influencer's net of a funded contract (and record in-kind value); safe to run again."""
    contract = get_or_404(Contract, contract_id, for_update=True)
    if contract.status in ("disputed", "cancelled"):
        db.session.rollback()
        return {
            "status": contract.status,
            "detail": "a disputed or cancelled contract is settled, not released",
        }
    post_in_kind_memo(contract)
    if not contract.has_cash:
        db.session.commit()
        return {"status": "in_kind_only", "in_kind_value_minor": contract.in_kind_value_minor}
    if contract.status not in RELEASABLE:
        db.session.commit()
        return {"status": "not_funded", "contract_status": contract.status}
    released, transfer = earmark(contract, contract.influencer_net_minor, contract.platform_fee_minor)
    if released and contract.status == "delivered":
        # The brand's money is released: the contract is done; the payout follows on its own schedule.
        contract.status = check_transition("contract", contract.status, "completed")
        contract.completed_at = utcnow()
    db.session.commit()
    if not released:
        return {"status": "not_funded", "held_minor": ledger.balance(contract.id, "platform_held")}
    if transfer is None:
        return {"status": "nothing_to_transfer"}
    return pay_transfer(transfer.id)


def post_in_kind_memo(contract: Contract) -> None:
    """Record the declared value of goods given in kind (a memo pair; never touches Stripe)."""
    if contract.in_kind_value_minor > 0:
        items = ", ".join(_item_name(item) for item in contract.in_kind_items or [])[:250]
        ledger.post_movement(
            contract,
            key="in_kind",
            kind="in_kind",
            from_account="in_kind_memo",
            to_account="in_kind_received",
            amount_minor=contract.in_kind_value_minor,
            memo=f"declared value of goods in kind: {items}",
        )


def _item_name(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("description") or item.get("name") or "item")
    return str(item)


def earmark(contract: Contract, payable_minor: int, fee_minor: int) -> tuple[bool, Transfer | None]:
    """Move the held money to the influencer's payable and the fee to revenue, once per contract.

    Returns (released, transfer): released is False when the held funds do not cover it.
    """
    if ledger.find_movement(contract.id, "release") or ledger.find_movement(contract.id, "fee"):
        return True, _transfer_of(contract.id)
    if payable_minor + fee_minor > ledger.balance(contract.id, "platform_held"):
        return False, None
    ledger.post_movement(
        contract,
        key="release",
        kind="release",
        from_account="platform_held",
        to_account="influencer_payable",
        amount_minor=payable_minor,
    )
    ledger.post_movement(
        contract,
        key="fee",
        kind="platform_fee",
        from_account="platform_held",
        to_account="platform_fee_revenue",
        amount_minor=fee_minor,
    )
    if payable_minor == 0:
        return True, None
    transfer = Transfer(
        contract_id=contract.id,
        influencer_user_id=contract.influencer_user_id,
        amount_minor=payable_minor,
        currency=contract.currency,
        status="payable",
    )
    db.session.add(transfer)
    db.session.flush()
    return True, transfer


def _transfer_of(contract_id: uuid.UUID) -> Transfer | None:
    return db.session.execute(
        select(Transfer).where(Transfer.contract_id == contract_id)
    ).scalar_one_or_none()


def _locked(transfer_id: uuid.UUID) -> Transfer:
    return db.session.execute(
        select(Transfer).where(Transfer.id == transfer_id).with_for_update()
    ).scalar_one()


def pay_transfer(transfer_id: uuid.UUID) -> dict[str, Any]:
    """Send a payable transfer to the influencer's connected account, or leave it waiting for one."""
    transfer = _locked(transfer_id)
    if transfer.status in ("paid", "reversed"):
        db.session.commit()
        return _result(transfer)
    account = payout_account_of(transfer.influencer_user_id)
    if account is None or not account.can_receive:
        if transfer.status == "payable" and not transfer.waiting_notified:
            transfer.waiting_notified = True
            notify(
                transfer.influencer_user_id,
                "payout_waiting",
                f"{format_money(transfer.amount_minor, transfer.currency)} waits for your payout account",
                contract_id=transfer.contract_id,
            )
        db.session.commit()
        return _result(transfer)
    resumed = transfer.status == "pending"
    if not resumed:
        transfer.status = "pending"
        transfer.payout_account_id = account.id
        db.session.commit()
        transfer = _locked(transfer_id)
        if transfer.status != "pending":
            db.session.commit()
            return _result(transfer)
    access = access_for(transfer.tenant_id)
    group = keys.transfer_group(transfer.contract_id)
    existing = None
    if resumed and transfer.updated_at < utcnow() - KEY_LIFETIME:
        existing = gateway.find_transfer(
            access, transfer_group=group, metadata_key="transfer_id", value=str(transfer.id)
        )
    try:
        stripe_transfer = existing or gateway.create_transfer(
            access,
            amount_minor=transfer.amount_minor,
            currency=transfer.currency,
            destination=account.stripe_account_id or "",
            transfer_group=group,
            description=f"Contract {transfer.contract_id}",
            metadata={
                "tenant_id": str(transfer.tenant_id),
                "contract_id": str(transfer.contract_id),
                "transfer_id": str(transfer.id),
            },
            source_transaction=_funding_charge(transfer.contract_id),
            idempotency_key=keys.transfer_key(transfer.id),
        )
    except ProviderRefused as exc:
        if exc.code != "insufficient_capabilities_for_transfer":
            raise
        # Stripe says the account cannot receive yet: nothing was created; wait for account.updated.
        log.warning("transfer %s: destination cannot receive yet (%s)", transfer.id, exc.message)
        apply_account_state(account, gateway.retrieve_account(access, account.stripe_account_id or ""))
        transfer.status = "payable"
        db.session.commit()
        return _result(transfer)
    _record_transfer_paid(transfer, stripe_transfer)
    return _result(transfer)


def _funding_charge(contract_id: uuid.UUID) -> str | None:
    return db.session.execute(
        select(Payment.stripe_charge_id).where(
            Payment.contract_id == contract_id, Payment.status == "succeeded"
        )
    ).scalar_one_or_none()


def _record_transfer_paid(transfer: Transfer, stripe_transfer: dict[str, Any]) -> None:
    """Our commit step after Stripe created the transfer (a crash before it is replayed by the retry)."""
    mark_transfer_paid(transfer, stripe_transfer)
    db.session.commit()


def mark_transfer_paid(transfer: Transfer, stripe_transfer: dict[str, Any]) -> str:
    """Record that Stripe holds the transfer: paid, ledger payable -> transfer_out (caller commits)."""
    if transfer.status in ("paid", "reversed"):
        return "already paid"
    transfer.stripe_transfer_id = stripe_transfer["id"]
    transfer.status = "paid"
    transfer.paid_at = utcnow()
    contract = get_or_404(Contract, transfer.contract_id)
    ledger.post_movement(
        contract,
        key=f"transfer:{transfer.id}",
        kind="transfer",
        from_account="influencer_payable",
        to_account="transfer_out",
        amount_minor=transfer.amount_minor,
        source_id=transfer.id,
        memo=f"Stripe transfer {stripe_transfer['id']}",
    )
    tell_influencer(
        contract,
        "payout_sent",
        f"{format_money(transfer.amount_minor, transfer.currency)} sent to your payout account",
    )
    return "paid"


def _result(transfer: Transfer) -> dict[str, Any]:
    return {
        "status": transfer.status,
        "transfer_id": str(transfer.id),
        "amount_minor": transfer.amount_minor,
        "currency": transfer.currency,
        "stripe_transfer_id": transfer.stripe_transfer_id,
    }
