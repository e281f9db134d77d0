"""The double-entry ledger: movements posted once, balances, and the invariant check.

A movement moves an amount from one account to another within one contract: two LedgerEntry rows,
-amount on `from_account` and +amount on `to_account`. Its `key` is unique per contract, so a
retried job or a duplicate event cannot post it twice. Every contract's entries sum to zero.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import IntegrityError

from marketplace.extensions import db
from marketplace.models import Contract, LedgerEntry, LedgerMovement, Payment, Refund, Tenant, Transfer
from marketplace.models.payment import LEDGER_ACCOUNTS
from marketplace.tenancy import current_tenant_id, tenant_scope, unscoped

# Accounts that hold real money for a contract and can never go below zero.
NON_NEGATIVE = ("platform_held", "influencer_payable")
FUNDED_STATUSES = ("funded", "delivered", "completed")


def post_movement(
    contract: Contract,
    *,
    key: str,
    kind: str,
    from_account: str,
    to_account: str,
    amount_minor: int,
    source_id: uuid.UUID | None = None,
    memo: str = "",
) -> LedgerMovement | None:
    """Post a movement once (in the caller's transaction); a zero amount posts nothing.

    Returns the movement, or the one posted earlier under the same key.
    """
    if amount_minor < 0:
        raise ValueError("movements carry a positive amount; swap the accounts instead")
    if from_account not in LEDGER_ACCOUNTS or to_account not in LEDGER_ACCOUNTS:
        raise ValueError(f"unknown ledger account in {from_account} -> {to_account}")
    if amount_minor == 0:
        return None
    existing = find_movement(contract.id, key)
    if existing is not None:
        return existing
    movement = LedgerMovement(
        id=uuid.uuid4(),
        contract_id=contract.id,
        key=key,
        kind=kind,
        from_account=from_account,
        to_account=to_account,
        amount_minor=amount_minor,
        currency=contract.currency,
        source_id=source_id,
        memo=memo[:300],
    )
    try:
        with db.session.begin_nested():
            db.session.add(movement)
            db.session.flush()
            db.session.add_all(
                [
                    LedgerEntry(
                        movement_id=movement.id,
                        contract_id=contract.id,
                        account=account,
                        amount_minor=amount,
                        currency=contract.currency,
                    )
                    for account, amount in ((from_account, -amount_minor), (to_account, amount_minor))
                ]
            )
            db.session.flush()
    except IntegrityError:
        # Another worker posted the same key between our read and our insert.
        return find_movement(contract.id, key)
    return movement


def find_movement(contract_id: uuid.UUID, key: str) -> LedgerMovement | None:
    """The movement posted under `key` for a contract, if any."""
    return db.session.execute(
        select(LedgerMovement).where(LedgerMovement.contract_id == contract_id, LedgerMovement.key == key)
    ).scalar_one_or_none()


def balance(contract_id: uuid.UUID, account: str) -> int:
    """The balance of one account of one contract, in minor units."""
    total = db.session.execute(
        select(func.coalesce(func.sum(LedgerEntry.amount_minor), 0)).where(
            LedgerEntry.contract_id == contract_id, LedgerEntry.account == account
        )
    ).scalar_one()
    return int(total)


def balances(contract_id: uuid.UUID) -> dict[str, int]:
    """Every non-zero account balance of one contract."""
    rows = db.session.execute(
        select(LedgerEntry.account, func.sum(LedgerEntry.amount_minor))
        .where(LedgerEntry.contract_id == contract_id)
        .group_by(LedgerEntry.account)
    ).all()
    return {account: int(total) for account, total in rows if total}


def _scoped(stmt: Any, model: Any, tenant_id: uuid.UUID | None) -> Any:
    if tenant_id is not None:
        stmt = stmt.where(model.tenant_id == tenant_id)
    return stmt.execution_options(**unscoped())


def ledger_problems(tenant_id: uuid.UUID | None = None) -> list[str]:
    """Every broken ledger invariant, across all tenants or one; an empty list means the books balance.

    Across all tenants it checks one tenant after the other, each in its own scope: row-level
    security shows the app's database role one tenant's rows at a time.
    """
    if tenant_id is None:
        problems: list[str] = []
        for each in db.session.execute(select(Tenant.id).order_by(Tenant.slug)).scalars().all():
            problems.extend(ledger_problems(each))
        return problems
    if current_tenant_id() != tenant_id:
        with tenant_scope(tenant_id):
            return ledger_problems(tenant_id)
    slugs = dict(db.session.execute(select(Tenant.id, Tenant.slug)).all())
    problems: list[str] = []

    def where(tenant: uuid.UUID, contract: uuid.UUID | None = None) -> str:
        place = f"tenant {slugs.get(tenant, tenant)}"
        return f"{place} contract {contract}" if contract else place

    # 1. Every movement is exactly one pair of opposite entries in its own currency.
    pairs = select(
        LedgerMovement.tenant_id,
        LedgerMovement.contract_id,
        LedgerMovement.id,
        LedgerMovement.amount_minor,
        func.count(LedgerEntry.id),
        func.coalesce(func.sum(LedgerEntry.amount_minor), 0),
        func.coalesce(func.sum(case((LedgerEntry.amount_minor > 0, LedgerEntry.amount_minor), else_=0)), 0),
        func.count(func.distinct(LedgerEntry.currency)),
    )
    pairs = pairs.outerjoin(
        LedgerEntry,
        and_(LedgerEntry.tenant_id == LedgerMovement.tenant_id, LedgerEntry.movement_id == LedgerMovement.id),
    ).group_by(LedgerMovement.tenant_id, LedgerMovement.contract_id, LedgerMovement.id)
    for tenant, contract, movement, amount, count, total, positive, currencies in db.session.execute(
        _scoped(pairs, LedgerMovement, tenant_id)
    ):
        if count != 2 or total != 0 or positive != amount or currencies != 1:
            problems.append(f"{where(tenant, contract)}: movement {movement} is not one balanced pair")

    # 2. Every contract's entries sum to zero; money accounts never go negative.
    sums = select(
        LedgerEntry.tenant_id,
        LedgerEntry.contract_id,
        LedgerEntry.account,
        func.sum(LedgerEntry.amount_minor),
    ).group_by(LedgerEntry.tenant_id, LedgerEntry.contract_id, LedgerEntry.account)
    per_contract: dict[tuple[uuid.UUID, uuid.UUID], dict[str, int]] = {}
    for tenant, contract, account, total in db.session.execute(_scoped(sums, LedgerEntry, tenant_id)):
        per_contract.setdefault((tenant, contract), {})[account] = int(total)
    for (tenant, contract), accounts in per_contract.items():
        if sum(accounts.values()) != 0:
            problems.append(f"{where(tenant, contract)}: entries sum to {sum(accounts.values())}, not 0")
        for account in NON_NEGATIVE:
            if accounts.get(account, 0) < 0:
                problems.append(f"{where(tenant, contract)}: {account} is negative ({accounts[account]})")
        charged = -accounts.get("brand_funding", 0)
        if accounts.get("refund", 0) > charged:
            problems.append(
                f"{where(tenant, contract)}: refunds {accounts['refund']} exceed the {charged} charged"
            )
        returned = accounts.get("refund", 0) + accounts.get("chargeback", 0)
        if accounts.get("chargeback", 0) and returned > charged:
            problems.append(
                f"{where(tenant, contract)}: refunds and chargebacks {returned} exceed the {charged} charged"
            )

    problems.extend(_records_match_ledger(tenant_id, per_contract, where))
    return problems


Totals = dict[tuple[uuid.UUID, uuid.UUID], int]


def _sums(model: Any, amount: Any, condition: Any, tenant_id: uuid.UUID | None) -> Totals:
    """The total of `amount` per (tenant, contract) over the rows of `model` meeting `condition`."""
    stmt = (
        select(model.tenant_id, model.contract_id, func.coalesce(func.sum(amount), 0))
        .where(condition)
        .group_by(model.tenant_id, model.contract_id)
    )
    return {(t, c): int(total) for t, c, total in db.session.execute(_scoped(stmt, model, tenant_id))}


def _records_match_ledger(
    tenant_id: uuid.UUID | None,
    per_contract: dict[tuple[uuid.UUID, uuid.UUID], dict[str, int]],
    where: Any,
) -> list[str]:
    """Payments, transfers, refunds and contract states agree with what the ledger says."""
    problems: list[str] = []
    funded = _sums(Payment, Payment.amount_minor, Payment.status == "succeeded", tenant_id)
    for key, total in funded.items():
        if -per_contract.get(key, {}).get("brand_funding", 0) != total:
            problems.append(f"{where(*key)}: succeeded payments total {total}, ledger funding differs")
    paid = db.session.execute(
        _scoped(
            select(
                Transfer.tenant_id,
                Transfer.contract_id,
                Transfer.amount_minor,
                Transfer.amount_reversed_minor,
            ).where(Transfer.status.in_(("paid", "reversed"))),
            Transfer,
            tenant_id,
        )
    ).all()
    for tenant, contract, amount, reversed_ in paid:
        if per_contract.get((tenant, contract), {}).get("transfer_out", 0) != amount - reversed_:
            problems.append(f"{where(tenant, contract)}: transfer of {amount} not matched by transfer_out")
    refunded = _sums(Refund, Refund.amount_minor, Refund.status == "succeeded", tenant_id)
    for key, total in refunded.items():
        if per_contract.get(key, {}).get("refund", 0) != total:
            problems.append(f"{where(*key)}: refunds of {total} not matched by the refund account")
    charged_back = _sums(Payment, Payment.disputed_minor, Payment.dispute_status == "lost", tenant_id)
    for key in {*charged_back, *per_contract}:
        lost = charged_back.get(key, 0)
        if per_contract.get(key, {}).get("chargeback", 0) != lost:
            problems.append(f"{where(*key)}: lost chargebacks of {lost} not matched by the ledger")
    cash_funded = db.session.execute(
        _scoped(
            select(Contract.tenant_id, Contract.id).where(
                Contract.cash_minor > 0, Contract.status.in_(FUNDED_STATUSES)
            ),
            Contract,
            tenant_id,
        )
    ).all()
    for tenant, contract in cash_funded:
        if (tenant, contract) not in funded:
            problems.append(f"{where(tenant, contract)}: contract is funded but no payment succeeded")
    return problems
