"""Offers: invitations, applications, counter-offers, acceptance within the campaign's slots, expiry."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from marketplace.domain.lifecycles import check_transition
from marketplace.domain.money import format_money, minimum_charge
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import BrandExclusion, Campaign, Contract, InfluencerProfile, JobRecord, Offer, User
from marketplace.models.base import utcnow
from marketplace.services.brands import brand_ids_of, member_user_ids, membership
from marketplace.services.notifications import notify
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import current_tenant, get_or_404

EXPIRE_JOB = "workers.jobs.offers.expire_offer"
log = logging.getLogger(__name__)


def _influencer_user(profile: InfluencerProfile) -> User:
    return db.session.execute(select(User).where(User.id == profile.user_id)).scalar_one()


def _check_money(
    campaign: Campaign, profile: InfluencerProfile, cash: int, items: list[dict[str, Any]]
) -> int:
    """Apply the tenant's rules on pay; return the declared in-kind value."""
    tenant = current_tenant()
    errors: dict[str, list[str]] = {}
    in_kind_value = sum(item["value_minor"] for item in items)
    if cash == 0 and not items:
        errors["cash_minor"] = ["An offer carries cash, in-kind items, or both."]
    if 0 < cash < minimum_charge(tenant.currency):
        smallest = format_money(minimum_charge(tenant.currency), tenant.currency)
        errors["cash_minor"] = [f"Below the smallest amount that can be charged ({smallest})."]
    if campaign.compensation_kind == "symbolic" and cash > tenant.symbolic_ceiling_minor:
        ceiling = format_money(tenant.symbolic_ceiling_minor, tenant.currency)
        errors["cash_minor"] = [f"This campaign pays symbolically: at most {ceiling}."]
    if campaign.compensation_kind == "in_kind" and cash:
        errors["cash_minor"] = ["This campaign pays in kind only."]
    if items and not profile.accepts_in_kind:
        errors["in_kind_items"] = ["This influencer does not accept in-kind compensation."]
    if errors:
        raise ValidationFailed("The offer breaks the marketplace's rules.", errors=errors)
    return in_kind_value


def _ensure_can_take_part(campaign: Campaign, profile: InfluencerProfile) -> None:
    if campaign.status != "published":
        raise Conflict(f"The campaign is {campaign.status}; it takes no offers.")
    if _influencer_user(profile).is_suspended:
        raise Conflict("This influencer is suspended.")
    excluded = db.session.execute(
        select(BrandExclusion.id).where(
            BrandExclusion.brand_id == campaign.brand_id, BrandExclusion.profile_id == profile.id
        )
    ).first()
    if excluded:
        raise Conflict("The brand excludes this influencer.")
    live = db.session.execute(
        select(Contract.id).where(
            Contract.campaign_id == campaign.id,
            Contract.profile_id == profile.id,
            Contract.status != "cancelled",
        )
    ).first()
    if live:
        raise Conflict("This influencer already has a contract on this campaign.")


def _create(
    campaign: Campaign,
    profile: InfluencerProfile,
    sender: User,
    direction: str,
    cash: int,
    items: list[dict[str, Any]],
    message: str,
    parent: Offer | None = None,
) -> Offer:
    in_kind_value = _check_money(campaign, profile, cash, items)
    offer = Offer(
        campaign_id=campaign.id,
        profile_id=profile.id,
        brand_id=campaign.brand_id,
        sender_id=sender.id,
        direction=direction,
        status="pending",
        currency=campaign.currency,
        cash_minor=cash,
        in_kind_items=items,
        in_kind_value_minor=in_kind_value,
        message=message,
        expires_at=utcnow() + timedelta(days=current_tenant().offer_expiry_days),
        parent_id=parent.id if parent else None,
    )
    db.session.add(offer)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("A pending offer between this influencer and campaign already exists.") from None
    receivers = (
        [_influencer_user(profile).id] if direction == "invitation" else member_user_ids(campaign.brand_id)
    )
    kind = "offer_countered" if parent else "offer_received"
    for user_id in receivers:
        notify(user_id, kind, f"New offer on {campaign.title}", offer_id=offer.id, campaign_id=campaign.id)
    return offer


def _after_commit(offer: Offer) -> Offer:
    schedule_expiry(offer)
    return offer


def invite(user: User, campaign_id: Any, data: dict[str, Any]) -> Offer:
    """A brand member invites an influencer to a published campaign."""
    campaign = get_or_404(Campaign, campaign_id)
    if user.role != "brand" or campaign.brand_id not in brand_ids_of(user):
        raise NotFound("No such campaign.")
    profile = get_or_404(InfluencerProfile, data["influencer_id"])
    _ensure_can_take_part(campaign, profile)
    offer = _create(
        campaign, profile, user, "invitation", data["cash_minor"], data["in_kind_items"], data["message"]
    )
    db.session.commit()
    return _after_commit(offer)


def apply(user: User, campaign_id: Any, data: dict[str, Any]) -> Offer:
    """An influencer applies to a published campaign with a proposed price and a pitch."""
    from marketplace.services.campaigns import visible_campaign
    from marketplace.services.influencers import my_profile

    profile = my_profile(user)
    campaign = visible_campaign(user, campaign_id)
    _ensure_can_take_part(campaign, profile)
    items = data["in_kind_items"]
    offer = _create(campaign, profile, user, "application", data["proposed_cash_minor"], items, data["pitch"])
    db.session.commit()
    return _after_commit(offer)


def _side(user: User, offer: Offer) -> str | None:
    """'brand' or 'influencer' when the user is a party of the offer, else None."""
    if user.role == "brand" and membership(offer.brand_id, user) is not None:
        return "brand"
    if user.role == "influencer":
        profile = get_or_404(InfluencerProfile, offer.profile_id)
        if profile.user_id == user.id:
            return "influencer"
    return None


def visible_offer(user: User, offer_id: Any, *, for_update: bool = False) -> Offer:
    """An offer its two parties and admins can see; 404 for everyone else."""
    offer = get_or_404(Offer, offer_id, for_update=for_update)
    if user.role != "admin" and _side(user, offer) is None:
        raise NotFound("No such offer.")
    return offer


def _sender_side(offer: Offer) -> str:
    return "brand" if offer.direction == "invitation" else "influencer"


def _require(user: User, offer: Offer, who: str) -> str:
    side = _side(user, offer)
    if side is None:
        raise NotFound("No such offer.")
    receiver = "influencer" if _sender_side(offer) == "brand" else "brand"
    wanted = _sender_side(offer) if who == "sender" else receiver
    if side != wanted:
        raise Forbidden(f"Only the {'sending' if who == 'sender' else 'receiving'} side can do this.")
    return side


def _close(offer: Offer, status: str, user: User) -> None:
    if offer.status == "pending" and offer.expires_at <= utcnow() and status != "expired":
        offer.status = "expired"
        db.session.commit()
        raise Conflict("The offer has expired.")
    offer.status = check_transition("offer", offer.status, status)
    offer.responded_at, offer.responded_by = utcnow(), user.id


def _tell_other_side(offer: Offer, acting_side: str, kind: str, title: str) -> None:
    profile = get_or_404(InfluencerProfile, offer.profile_id)
    receivers = member_user_ids(offer.brand_id) if acting_side == "influencer" else [profile.user_id]
    for user_id in receivers:
        notify(user_id, kind, title, offer_id=offer.id, campaign_id=offer.campaign_id)


def decline(user: User, offer_id: Any) -> Offer:
    """The receiving side declines."""
    offer = visible_offer(user, offer_id, for_update=True)
    side = _require(user, offer, "receiver")
    _close(offer, "declined", user)
    _tell_other_side(offer, side, "offer_declined", "Your offer was declined")
    db.session.commit()
    return offer


def withdraw(user: User, offer_id: Any) -> Offer:
    """The sending side withdraws."""
    offer = visible_offer(user, offer_id, for_update=True)
    side = _require(user, offer, "sender")
    _close(offer, "withdrawn", user)
    _tell_other_side(offer, side, "offer_withdrawn", "An offer was withdrawn")
    db.session.commit()
    return offer


def counter(user: User, offer_id: Any, data: dict[str, Any]) -> Offer:
    """The receiving side answers with new terms: the old offer closes, a linked one opens."""
    offer = visible_offer(user, offer_id, for_update=True)
    side = _require(user, offer, "receiver")
    campaign = get_or_404(Campaign, offer.campaign_id)
    profile = get_or_404(InfluencerProfile, offer.profile_id)
    # As for an invitation, an application or an accept: a counter nobody could accept is refused.
    _ensure_can_take_part(campaign, profile)
    _close(offer, "countered", user)
    db.session.flush()
    direction = "invitation" if side == "brand" else "application"
    new = _create(
        campaign,
        profile,
        user,
        direction,
        data["cash_minor"],
        data["in_kind_items"],
        data["message"],
        parent=offer,
    )
    db.session.commit()
    return _after_commit(new)


def accept(user: User, offer_id: Any) -> tuple[Contract, JobRecord]:
    """The receiving side accepts: a contract is created if a slot is free, even when accepts race.

    Returns the contract and the job generating its document (visible to both parties at /jobs/{id}).
    """
    from marketplace.services.contracts import create_from_offer, start_generation

    peek = visible_offer(user, offer_id)
    # Lock order: campaign, then offer. Accepts on one campaign queue up here, so the slot count
    # below is read by one transaction at a time.
    campaign = get_or_404(Campaign, peek.campaign_id, for_update=True)
    offer = get_or_404(Offer, peek.id, for_update=True)
    side = _require(user, offer, "receiver")
    _close(offer, "accepted", user)
    profile = get_or_404(InfluencerProfile, offer.profile_id)
    _ensure_can_take_part(campaign, profile)
    taken = db.session.execute(
        select(func.count())
        .select_from(Contract)
        .where(Contract.campaign_id == campaign.id, Contract.status != "cancelled")
    ).scalar_one()
    if taken >= campaign.slots:
        raise Conflict(f"All {campaign.slots} slots of this campaign are taken.")
    contract = create_from_offer(offer, campaign, profile)
    _tell_other_side(offer, side, "offer_accepted", f"Offer accepted on {campaign.title}")
    db.session.commit()
    return contract, start_generation(user, contract)


def list_offers(user: User, args: dict[str, Any]) -> Page:
    """Offers the user sent or received (brand members: their brands'), newest first."""
    stmt = select(Offer)
    if user.role == "brand":
        stmt = stmt.where(Offer.brand_id.in_(brand_ids_of(user)))
    elif user.role == "influencer":
        profile_id = db.session.execute(
            select(InfluencerProfile.id).where(InfluencerProfile.user_id == user.id)
        ).scalar_one_or_none()
        stmt = stmt.where(Offer.profile_id == profile_id)
    if args.get("status"):
        stmt = stmt.where(Offer.status == args["status"])
    if args.get("campaign_id"):
        stmt = stmt.where(Offer.campaign_id == args["campaign_id"])
    if args.get("box") == "sent":
        stmt = (
            stmt.where(Offer.sender_id == user.id)
            if user.role != "brand"
            else stmt.where(Offer.direction == "invitation")
        )
    elif args.get("box") == "received":
        stmt = stmt.where(Offer.direction == ("application" if user.role == "brand" else "invitation"))
    return paginate(stmt, [(Offer.created_at, True), (Offer.id, True)], args.get("cursor"), args.get("limit"))


def history(offer: Offer) -> list[Offer]:
    """The negotiation this offer belongs to, oldest first (parents and counters)."""
    root = offer
    while root.parent_id is not None:
        root = get_or_404(Offer, root.parent_id)
    chain, current = [root], root
    while True:
        child = db.session.execute(select(Offer).where(Offer.parent_id == current.id)).scalar_one_or_none()
        if child is None:
            return chain
        chain.append(child)
        current = child


def expire_due_offers(now: Any = None) -> int:
    """Expire every pending offer of the current tenant whose window has passed; tell both sides."""
    now = now or utcnow()
    due = (
        db.session.execute(
            select(Offer)
            .where(Offer.status == "pending", Offer.expires_at <= now)
            .with_for_update(skip_locked=True)
        )
        .scalars()
        .all()
    )
    for offer in due:
        offer.status = check_transition("offer", offer.status, "expired")
        offer.responded_at = now
        profile = get_or_404(InfluencerProfile, offer.profile_id)
        for user_id in [profile.user_id, *member_user_ids(offer.brand_id)]:
            notify(
                user_id, "offer_expired", "An offer expired", offer_id=offer.id, campaign_id=offer.campaign_id
            )
    db.session.commit()
    return len(due)


def schedule_expiry(offer: Offer) -> None:
    """Ask rq's scheduler to expire this offer when its window closes (the periodic sweep is the net)."""
    from redis.exceptions import RedisError

    from marketplace.extensions import redis
    from workers.queues import schedule_at

    if redis.client is not None:
        try:
            schedule_at(offer.expires_at, EXPIRE_JOB, f"expire-{offer.id}", tenant_id=str(offer.tenant_id))
        except RedisError as exc:  # the offer is committed; the periodic sweep expires it on time
            log.warning("offer %s: expiry not scheduled (%s); the sweep will expire it", offer.id, exc)


def pending_for_user(user_id: uuid.UUID) -> list[Offer]:
    """Pending offers a user sent or that concern their profile (withdrawn when they are suspended)."""
    profile_id = db.session.execute(
        select(InfluencerProfile.id).where(InfluencerProfile.user_id == user_id)
    ).scalar_one_or_none()
    clauses = [Offer.sender_id == user_id]
    if profile_id is not None:
        clauses.append(Offer.profile_id == profile_id)
    return list(db.session.execute(select(Offer).where(Offer.status == "pending", or_(*clauses))).scalars())
