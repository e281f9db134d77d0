"""GET /payments: the money movements a user may see, and their account totals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from marketplace.extensions import db
from marketplace.models import BrandMember, Contract, LedgerEntry, LedgerMovement, User
from marketplace.services.pagination import paginate


@dataclass
class MovementPage:
    """A page of movements, the next cursor, and the totals per account and currency."""

    items: list[LedgerMovement]
    next_cursor: str | None
    totals: list[dict[str, Any]]


def visible_contracts(user: User) -> Select[Any]:
    """Ids of the contracts whose money the user may see: theirs, their brands', or all (admins)."""
    stmt = select(Contract.id)
    if user.role == "influencer":
        return stmt.where(Contract.influencer_user_id == user.id)
    if user.role == "brand":
        return stmt.where(
            Contract.brand_id.in_(select(BrandMember.brand_id).where(BrandMember.user_id == user.id))
        )
    return stmt


def list_movements(user: User, contract_id: uuid.UUID | None, cursor: str | None, limit: int) -> MovementPage:
    """The user's money movements, newest first; admins see the whole tenant with its totals."""
    contracts = visible_contracts(user)
    if contract_id is not None:
        contracts = contracts.where(Contract.id == contract_id)
    page = paginate(
        select(LedgerMovement).where(LedgerMovement.contract_id.in_(contracts)),
        [(LedgerMovement.created_at, True), (LedgerMovement.id, True)],
        cursor,
        limit,
    )
    rows = db.session.execute(
        select(LedgerEntry.account, LedgerEntry.currency, func.sum(LedgerEntry.amount_minor))
        .where(LedgerEntry.contract_id.in_(contracts))
        .group_by(LedgerEntry.account, LedgerEntry.currency)
        .order_by(LedgerEntry.currency, LedgerEntry.account)
    ).all()
    totals = [
        {"account": account, "currency": currency, "amount_minor": int(total)}
        for account, currency, total in rows
        if total
    ]
    return MovementPage(page.items, page.next_cursor, totals)
