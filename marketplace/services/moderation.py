"""Moderation by a tenant's admins: suspensions, verification, fraud flags; every action audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from marketplace.domain.lifecycles import check_transition
from marketplace.errors import Conflict
from marketplace.extensions import db
from marketplace.models import FraudFlag, InfluencerProfile, User
from marketplace.models.base import utcnow
from marketplace.models.fraud import BRAND_SAFETY
from marketplace.services import audit
from marketplace.services.notifications import notify
from marketplace.services.offers import pending_for_user
from marketplace.tenancy import get_or_404

USER_FIELDS = ("role", "suspended_at")


def suspend(admin: User, user_id: Any, reason: str) -> User:
    """Suspend a user: they cannot log in or act, and their pending offers are withdrawn."""
    user = get_or_404(User, user_id, for_update=True)
    if user.id == admin.id:
        raise Conflict("Admins cannot suspend themselves.")
    if user.is_suspended:
        raise Conflict("The user is already suspended.")
    before = audit.snapshot(user, USER_FIELDS)
    user.suspended_at = utcnow()
    _profile_follows(user)
    withdrawn = []
    for offer in pending_for_user(user.id):
        offer.status = check_transition("offer", offer.status, "withdrawn")
        offer.responded_at, offer.responded_by = utcnow(), admin.id
        withdrawn.append(str(offer.id))
    audit.record(
        admin,
        "user.suspend",
        "user",
        user.id,
        before,
        {**audit.snapshot(user, USER_FIELDS), "reason": reason, "withdrawn_offers": withdrawn},
    )
    db.session.commit()
    return user


def reinstate(admin: User, user_id: Any, reason: str) -> User:
    """Lift a suspension."""
    user = get_or_404(User, user_id, for_update=True)
    if not user.is_suspended:
        raise Conflict("The user is not suspended.")
    before = audit.snapshot(user, USER_FIELDS)
    user.suspended_at = None
    _profile_follows(user)
    audit.record(
        admin,
        "user.reinstate",
        "user",
        user.id,
        before,
        {**audit.snapshot(user, USER_FIELDS), "reason": reason},
    )
    notify(user.id, "account_reinstated", "Your account was reinstated")
    db.session.commit()
    return user


def _profile_follows(user: User) -> None:
    """The user's profile, if they have one, carries their suspension (InfluencerProfile.owner_suspended,
    by which a search leaves them out), written in the same transaction as users.suspended_at."""
    profile = db.session.execute(
        select(InfluencerProfile).where(InfluencerProfile.user_id == user.id).with_for_update()
    ).scalar_one_or_none()
    if profile is not None:
        profile.owner_suspended = user.is_suspended


def verify(admin: User, profile_id: Any, verified: bool) -> InfluencerProfile:
    """Mark an influencer verified (or not); verification counts in matching."""
    profile = get_or_404(InfluencerProfile, profile_id, for_update=True)
    before = audit.snapshot(profile, ("verified",))
    profile.verified = verified
    audit.record(
        admin, "influencer.verify", "influencer", profile.id, before, audit.snapshot(profile, ("verified",))
    )
    if verified:
        notify(profile.user_id, "profile_verified", "Your profile is verified")
    db.session.commit()
    return profile


def flag(admin: User, profile_id: Any, reason: str) -> FraudFlag:
    """An admin flags an influencer for review: brand safety (a scandal, undisclosed ads, stolen content),
    which the fake-follower score cannot see (docs/fraud.md).

    The flag goes to the top of the review queue (score 1); a profile's open flag gains the reason
    instead, as a profile has one open flag at most. Audited. Like any flag it suspends nobody by
    itself: confirming it records the decision, and suspending is its own audited action.
    """
    profile = get_or_404(InfluencerProfile, profile_id, for_update=True)  # one open flag: writers queue here
    entry = {"code": BRAND_SAFETY, "weight": 1.0, "severity": 1.0, "detail": reason, "account": ""}
    flag = db.session.execute(
        select(FraudFlag).where(FraudFlag.profile_id == profile.id, FraudFlag.status == "open")
    ).scalar_one_or_none()
    if flag is None:
        flag = FraudFlag(profile_id=profile.id, score=1.0, reasons=[entry], status="open")
        db.session.add(flag)
        db.session.flush()
    else:
        flag.score, flag.reasons = 1.0, [*flag.reasons, entry]
    audit.record(
        admin, "flag.open", "fraud_flag", flag.id, None, {"profile_id": str(profile.id), "reason": reason}
    )
    db.session.commit()
    return flag


def review_flag(admin: User, flag_id: Any, decision: str, note: str) -> FraudFlag:
    """Confirm or dismiss a fraud flag; a confirmed one also suspends nobody by itself (admins decide)."""
    flag = get_or_404(FraudFlag, flag_id, for_update=True)
    if flag.status != "open":
        raise Conflict(f"The flag is already {flag.status}.")
    before = audit.snapshot(flag, ("status", "review_note"))
    flag.status = "confirmed" if decision == "confirm" else "dismissed"
    flag.reviewed_by, flag.reviewed_at, flag.review_note = admin.id, utcnow(), note
    audit.record(
        admin,
        f"flag.{decision}",
        "fraud_flag",
        flag.id,
        before,
        audit.snapshot(flag, ("status", "review_note")),
    )
    db.session.commit()
    return flag
