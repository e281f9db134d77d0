"""Disputes: opened by a party, discussed with evidence, resolved by an admin (release, refund, split)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.domain.lifecycles import check_transition
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Contract, Dispute, DisputeMessage, User
from marketplace.models.base import utcnow
from marketplace.services import audit
from marketplace.services.contracts import _party_user_ids, party_of, visible_contract
from marketplace.services.notifications import notify
from marketplace.services.pagination import Page, paginate
from marketplace.services.payments.notices import admin_ids
from marketplace.tenancy import get_or_404

# Not `delivered`: the brand's approval of the last deliverable is final and queues the release, so a
# dispute that loses the race to it is refused, as on a completed contract (chargebacks still freeze it).
DISPUTABLE = {"signed", "funded"}
AUDITED = ("status", "outcome", "influencer_share_bps", "reviewer_id", "resolution_note")


def open_dispute(user: User, contract_id: Any, data: dict[str, Any]) -> Dispute:
    """A party opens a dispute: the contract freezes (no money moves, nothing is auto-approved)."""
    contract = visible_contract(user, contract_id, for_update=True)
    party = party_of(user, contract)
    if party is None:
        raise Forbidden("Only the parties open disputes.")
    if contract.status not in DISPUTABLE:
        raise Conflict(f"A {contract.status} contract cannot be disputed.")
    dispute = Dispute(
        contract_id=contract.id,
        opened_by=user.id,
        opened_by_party=party,
        reason=data["reason"],
        description=data["description"],
        status="open",
    )
    db.session.add(dispute)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A dispute is already open on this contract.") from None
    contract.status_before_dispute = contract.status
    contract.status = check_transition("contract", contract.status, "disputed")
    for user_id in {*_party_user_ids(contract), *admin_ids()} - {user.id}:
        notify(
            user_id,
            "dispute_opened",
            f"A dispute was opened ({data['reason']})",
            contract_id=contract.id,
            dispute_id=dispute.id,
        )
    db.session.commit()
    return dispute


def visible_dispute(user: User, dispute_id: Any, *, for_update: bool = False) -> Dispute:
    """A dispute for its contract's parties and admins; 404 for everyone else."""
    dispute = get_or_404(Dispute, dispute_id, for_update=for_update)
    try:
        visible_contract(user, dispute.contract_id)
    except NotFound:
        raise NotFound("No such dispute.") from None
    return dispute


def messages_of(dispute: Dispute) -> list[DisputeMessage]:
    """The dispute's messages, oldest first."""
    return list(
        db.session.execute(
            select(DisputeMessage)
            .where(DisputeMessage.dispute_id == dispute.id)
            .order_by(DisputeMessage.created_at)
        ).scalars()
    )


def post_message(user: User, dispute_id: Any, data: dict[str, Any]) -> DisputeMessage:
    """A party or an admin adds a message with evidence links to an active dispute."""
    dispute = visible_dispute(user, dispute_id)
    if dispute.status not in ("open", "under_review"):
        raise Conflict(f"The dispute is {dispute.status}.")
    message = DisputeMessage(
        dispute_id=dispute.id,
        author_id=user.id,
        author_role=user.role,
        body=data["body"],
        evidence_links=data["evidence_links"],
    )
    db.session.add(message)
    contract = get_or_404(Contract, dispute.contract_id)
    for user_id in {*_party_user_ids(contract), *([dispute.reviewer_id] if dispute.reviewer_id else [])} - {
        user.id
    }:
        notify(user_id, "dispute_message", "New message in a dispute", dispute_id=dispute.id)
    db.session.commit()
    return message


def withdraw(user: User, dispute_id: Any) -> Dispute:
    """The party who opened it withdraws: the contract resumes where it was."""
    dispute = visible_dispute(user, dispute_id, for_update=True)
    if dispute.opened_by != user.id:
        raise Forbidden("Only who opened the dispute can withdraw it.")
    dispute.status = check_transition("dispute", dispute.status, "withdrawn")
    contract = get_or_404(Contract, dispute.contract_id, for_update=True)
    contract.status = check_transition(
        "contract", contract.status, contract.status_before_dispute or "signed"
    )
    for user_id in set(_party_user_ids(contract)) - {user.id}:
        notify(user_id, "dispute_withdrawn", "The dispute was withdrawn", dispute_id=dispute.id)
    db.session.commit()
    return dispute


def queue(args: dict[str, Any]) -> Page:
    """The admins' queue: oldest first, filtered by status and reason."""
    stmt = select(Dispute)
    statuses = [args["status"]] if args.get("status") else ["open", "under_review"]
    stmt = stmt.where(Dispute.status.in_(statuses))
    if args.get("reason"):
        stmt = stmt.where(Dispute.reason == args["reason"])
    return paginate(
        stmt, [(Dispute.created_at, False), (Dispute.id, False)], args.get("cursor"), args.get("limit")
    )


def take_for_review(admin: User, dispute_id: Any) -> Dispute:
    """An admin takes the dispute under review."""
    dispute = get_or_404(Dispute, dispute_id, for_update=True)
    before = audit.snapshot(dispute, AUDITED)
    dispute.status = check_transition("dispute", dispute.status, "under_review")
    dispute.reviewer_id = admin.id
    audit.record(admin, "dispute.review", "dispute", dispute.id, before, audit.snapshot(dispute, AUDITED))
    db.session.commit()
    return dispute


def resolve(
    admin: User, dispute_id: Any, data: dict[str, Any], idempotency_key: str | None = None
) -> Dispute:
    """Resolve with release, refund or split; the outcome drives the payment and the contract's end.

    With an Idempotency-Key, a retry of the resolving request (same key, same decision) answers the
    resolved dispute again instead of a 409, and changes nothing; the same key with another decision
    is a 422, as for funding.
    """
    dispute = get_or_404(Dispute, dispute_id, for_update=True)
    outcome, share = data["outcome"], data.get("influencer_share_bps")
    if idempotency_key and dispute.resolve_idempotency_key == idempotency_key:
        if (dispute.outcome, dispute.influencer_share_bps, dispute.resolution_note) != (
            outcome,
            share,
            data["note"],
        ):
            raise ValidationFailed(
                "This Idempotency-Key was already used with another request.",
                errors={"Idempotency-Key": ["Use a new key for a different request."]},
            )
        db.session.commit()
        return dispute
    if outcome == "split" and share is None:
        raise ValidationFailed(
            "A split needs the influencer's share.", errors={"influencer_share_bps": ["Required."]}
        )
    if outcome != "split" and share is not None:
        raise ValidationFailed(
            "Only a split has a share.", errors={"influencer_share_bps": ["Only for split."]}
        )
    from marketplace.services.payments.disputes import check_outcome_possible, settle_dispute

    contract = get_or_404(Contract, dispute.contract_id, for_update=True)
    check_transition("dispute", dispute.status, "resolved")  # a resolved dispute is a 409 before all else
    check_outcome_possible(contract, outcome)
    before = audit.snapshot(dispute, AUDITED)
    dispute.status = check_transition("dispute", dispute.status, "resolved")
    dispute.outcome, dispute.influencer_share_bps, dispute.resolution_note = outcome, share, data["note"]
    dispute.resolved_by, dispute.resolved_at = admin.id, utcnow()
    dispute.resolve_idempotency_key = idempotency_key
    audit.record(admin, "dispute.resolve", "dispute", dispute.id, before, audit.snapshot(dispute, AUDITED))
    for user_id in _party_user_ids(contract):
        notify(
            user_id,
            "dispute_resolved",
            f"The dispute was resolved: {outcome}",
            dispute_id=dispute.id,
            contract_id=contract.id,
            outcome=outcome,
        )
    settle_dispute(contract, outcome, share)
    db.session.commit()
    return dispute
