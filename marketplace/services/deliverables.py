"""Deliverables: submission, brand review with revision rounds, auto-approval, metrics, completion."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from marketplace.domain.disclosure import is_disclosed
from marketplace.domain.lifecycles import check_transition
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Contract, Deliverable, DeliverableMetric, User
from marketplace.models.base import utcnow
from marketplace.services.contracts import _party_user_ids, party_of, visible_contract
from marketplace.services.notifications import notify
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import current_tenant, get_or_404

# Work happens once the contract is signed (no cash) or funded (cash); delivered contracts may still
# receive a late live post for a deliverable under review.
WORKING_STATES = {"signed", "funded", "delivered"}


def _required(contract: Contract) -> Counter[tuple[str, str]]:
    needed: Counter[tuple[str, str]] = Counter()
    for item in contract.terms["deliverables"]:
        needed[(item["platform"], item["type"])] += item.get("quantity", 1)
    return needed


def submit(user: User, contract_id: Any, data: dict[str, Any]) -> tuple[Deliverable, list[str]]:
    """The influencer submits a draft or a live post; a missing disclosure warns the brand."""
    contract = visible_contract(user, contract_id, for_update=True)
    if party_of(user, contract) != "influencer":
        raise Forbidden("Only the contract's influencer submits deliverables.")
    if contract.status == "disputed":
        raise Conflict("The contract is disputed; nothing moves until the dispute is resolved.")
    if contract.status not in WORKING_STATES or (contract.has_cash and contract.status == "signed"):
        needed = "funded" if contract.has_cash else "signed"
        raise Conflict(f"Work starts once the contract is {needed}; it is {contract.status}.")
    if (data["platform"], data["type"]) not in _required(contract):
        raise ValidationFailed(
            "The contract asks for no such deliverable.",
            errors={"type": [f"Not in the contract: {data['platform']} {data['type']}."]},
        )
    earlier = db.session.execute(
        select(func.count())
        .select_from(Deliverable)
        .where(
            Deliverable.contract_id == contract.id,
            Deliverable.platform == data["platform"],
            Deliverable.type == data["type"],
            Deliverable.stage == data["stage"],
            Deliverable.status == "changes_requested",
        )
    ).scalar_one()
    disclosed = is_disclosed(data["caption"], data["paid_partnership_flag"])
    deliverable = Deliverable(
        contract_id=contract.id,
        submitted_by=user.id,
        platform=data["platform"],
        type=data["type"],
        stage=data["stage"],
        url=data["url"],
        caption=data["caption"],
        paid_partnership_flag=data["paid_partnership_flag"],
        posted_at=data.get("posted_at"),
        status="submitted",
        revision=earlier,
        disclosure_ok=disclosed,
        review_due_at=utcnow() + timedelta(days=current_tenant().review_window_days),
    )
    db.session.add(deliverable)
    db.session.flush()
    warnings = (
        []
        if disclosed
        else [
            "No disclosure in the caption (#ad, #sponsored, #partner) and the paid-partnership flag is off."
        ]
    )
    for user_id in _party_user_ids(contract):
        if user_id != user.id:
            notify(
                user_id,
                "deliverable_submitted",
                f"New {data['stage']} {data['type']} to review",
                contract_id=contract.id,
                deliverable_id=deliverable.id,
                disclosure_missing=not disclosed,
            )
    db.session.commit()
    return deliverable, warnings


def _for_brand_review(user: User, deliverable_id: Any) -> tuple[Deliverable, Contract]:
    deliverable = get_or_404(Deliverable, deliverable_id, for_update=True)
    contract = visible_contract(user, deliverable.contract_id, for_update=True)
    if party_of(user, contract) != "brand":
        raise Forbidden("Only the brand reviews deliverables.")
    if contract.status == "disputed":
        raise Conflict("The contract is disputed; nothing moves until the dispute is resolved.")
    if contract.status not in WORKING_STATES:  # cancelled (or over): there is no work left to review
        raise Conflict(f"The contract is {contract.status}; its deliverables are no longer reviewed.")
    return deliverable, contract


def approve(user: User, deliverable_id: Any) -> Deliverable:
    """The brand approves; the last approval delivers the contract and releases the payment."""
    deliverable, contract = _for_brand_review(user, deliverable_id)
    _approve(deliverable, contract, user, auto=False)
    db.session.commit()
    after_commit_release(contract)
    return deliverable


def request_changes(user: User, deliverable_id: Any, note: str) -> Deliverable:
    """The brand asks for changes, within the contract's revision rounds."""
    deliverable, contract = _for_brand_review(user, deliverable_id)
    rounds = contract.terms.get("revision_rounds", 0)
    if deliverable.revision >= rounds:
        raise Conflict(
            f"The contract allows {rounds} revision rounds; they are used up. Approve or open a dispute."
        )
    deliverable.status = check_transition("deliverable", deliverable.status, "changes_requested")
    deliverable.reviewed_by, deliverable.reviewed_at, deliverable.review_note = user.id, utcnow(), note
    notify(
        contract.influencer_user_id,
        "changes_requested",
        "The brand asks for changes",
        contract_id=contract.id,
        deliverable_id=deliverable.id,
        note=note,
    )
    db.session.commit()
    return deliverable


def _approve(deliverable: Deliverable, contract: Contract, user: User | None, *, auto: bool) -> None:
    deliverable.status = check_transition("deliverable", deliverable.status, "approved")
    deliverable.reviewed_by = user.id if user else None
    deliverable.reviewed_at, deliverable.auto_approved = utcnow(), auto
    notify(
        contract.influencer_user_id,
        "deliverable_approved",
        "Your deliverable was approved" + (" automatically" if auto else ""),
        contract_id=contract.id,
        deliverable_id=deliverable.id,
    )
    db.session.flush()
    if _all_live_approved(contract) and contract.status in ("signed", "funded"):
        contract.status = check_transition("contract", contract.status, "delivered")
        contract.delivered_at = utcnow()
        if not contract.has_cash:
            contract.status = check_transition("contract", contract.status, "completed")
            contract.completed_at = utcnow()
        for user_id in _party_user_ids(contract):
            notify(user_id, "contract_delivered", "Every deliverable is approved", contract_id=contract.id)


def _all_live_approved(contract: Contract) -> bool:
    approved = db.session.execute(
        select(Deliverable.platform, Deliverable.type, func.count())
        .where(
            Deliverable.contract_id == contract.id,
            Deliverable.stage == "live",
            Deliverable.status == "approved",
        )
        .group_by(Deliverable.platform, Deliverable.type)
    ).all()
    have = Counter({(platform, kind): count for platform, kind, count in approved})
    return all(have[key] >= quantity for key, quantity in _required(contract).items())


def after_commit_release(contract: Contract) -> None:
    """Queue the release: the transfer of a delivered cash contract, the in-kind memo of a completed one."""
    if (contract.status == "delivered" and contract.has_cash) or (
        contract.status == "completed" and not contract.has_cash
    ):
        from marketplace.services.payments.release import queue_release

        queue_release(contract.id)


def auto_approve_due(now: Any = None) -> int:
    """Approve the tenant's unreviewed deliverables past the review window, on contracts still at work
    (not disputed, cancelled or over)."""
    now = now or utcnow()
    due = (
        db.session.execute(
            select(Deliverable)
            .join(
                Contract,
                (Contract.tenant_id == Deliverable.tenant_id) & (Contract.id == Deliverable.contract_id),
            )
            .where(
                Deliverable.status == "submitted",
                Deliverable.review_due_at <= now,
                Contract.status.in_(WORKING_STATES),  # not disputed, cancelled or over
            )
            .order_by(Deliverable.review_due_at)
            .with_for_update(of=Deliverable, skip_locked=True)
        )
        .scalars()
        .all()
    )
    delivered = []
    for deliverable in due:
        contract = get_or_404(Contract, deliverable.contract_id, for_update=True)
        if contract.status not in WORKING_STATES:  # disputed or cancelled since the first read
            continue
        _approve(deliverable, contract, None, auto=True)
        delivered.append(contract)
    db.session.commit()
    for contract in delivered:
        after_commit_release(contract)
    return len(due)


def add_metrics(user: User, deliverable_id: Any, data: dict[str, Any]) -> DeliverableMetric:
    """Either party reports figures for a deliverable (append-only; the latest wins in reports)."""
    deliverable = get_or_404(Deliverable, deliverable_id)
    visible_contract(user, deliverable.contract_id)
    if user.role == "admin":
        raise Forbidden("Metrics are reported by the parties.")
    metric = DeliverableMetric(
        deliverable_id=deliverable.id,
        reported_by=user.id,
        reported_at=data.get("reported_at") or utcnow(),
        **{
            k: data[k]
            for k in ("impressions", "reach", "likes", "comments", "shares", "saves", "clicks", "conversions")
        },
    )
    db.session.add(metric)
    db.session.commit()
    return metric


def visible_deliverable(user: User, deliverable_id: Any) -> Deliverable:
    """A deliverable the parties of its contract and admins can see."""
    deliverable = get_or_404(Deliverable, deliverable_id)
    try:
        visible_contract(user, deliverable.contract_id)
    except NotFound:
        raise NotFound("No such deliverable.") from None
    return deliverable


def list_for_contract(user: User, contract_id: Any, cursor: str | None, limit: int | None) -> Page:
    """A contract's deliverables, oldest first."""
    contract = visible_contract(user, contract_id)
    stmt = select(Deliverable).where(Deliverable.contract_id == contract.id)
    return paginate(stmt, [(Deliverable.created_at, False), (Deliverable.id, False)], cursor, limit)
