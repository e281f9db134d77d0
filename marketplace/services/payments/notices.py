"""Who hears about money: the brand's members, the influencer, the tenant's admins."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Contract, User
from marketplace.services.brands import member_user_ids
from marketplace.services.notifications import notify


def brand_member_ids(contract: Contract) -> list[Any]:
    """Users acting for the contract's brand."""
    return member_user_ids(contract.brand_id)


def admin_ids() -> list[Any]:
    """The current tenant's admins."""
    return list(db.session.execute(select(User.id).where(User.role == "admin")).scalars())


def tell_brand(contract: Contract, kind: str, title: str, **payload: Any) -> None:
    """Notify every member of the contract's brand (in the caller's transaction)."""
    for user_id in brand_member_ids(contract):
        notify(user_id, kind, title, contract_id=contract.id, **payload)


def tell_influencer(contract: Contract, kind: str, title: str, **payload: Any) -> None:
    """Notify the contract's influencer (in the caller's transaction)."""
    notify(contract.influencer_user_id, kind, title, contract_id=contract.id, **payload)


def tell_admins(kind: str, title: str, **payload: Any) -> None:
    """Notify every admin of the current tenant (in the caller's transaction)."""
    for user_id in admin_ids():
        notify(user_id, kind, title, **payload)
