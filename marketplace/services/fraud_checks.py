"""Fake-follower risk: assessing profiles in the background and the admin review queue."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from marketplace.domain.fraud import FraudInputs, assess_fraud
from marketplace.extensions import db
from marketplace.models import FraudFlag, InfluencerProfile, MetricSnapshot, SocialAccount
from marketplace.models.base import utcnow
from marketplace.models.fraud import BRAND_SAFETY
from marketplace.services.pagination import Page, paginate
from marketplace.tenancy import current_tenant, get_or_404

ASSESS_JOB = "workers.jobs.fraud.assess_profile"


def queue_assessment(profile: InfluencerProfile) -> None:
    """Start the fraud assessment job for a profile that just changed."""
    from marketplace.models import User
    from marketplace.services.jobs import start_job

    owner = db.session.execute(select(User).where(User.id == profile.user_id)).scalar_one()
    start_job(ASSESS_JOB, user=owner, profile_id=str(profile.id))


def assess_profile(profile_id: uuid.UUID) -> dict[str, Any]:
    """Score every account of a profile, keep the riskiest, and open or update a review flag."""
    profile = get_or_404(InfluencerProfile, profile_id, for_update=True)
    accounts = list(
        db.session.execute(select(SocialAccount).where(SocialAccount.profile_id == profile.id)).scalars()
    )
    history: dict[uuid.UUID, list[tuple[Any, int]]] = {a.id: [] for a in accounts}
    if accounts:
        rows = db.session.execute(
            select(MetricSnapshot.account_id, MetricSnapshot.taken_at, MetricSnapshot.followers)
            .where(MetricSnapshot.account_id.in_(list(history)))
            .order_by(MetricSnapshot.taken_at)
        ).all()
        for account_id, taken_at, followers in rows:
            history[account_id].append((taken_at, followers))
    worst = None
    for account in accounts:
        assessment = assess_fraud(
            FraudInputs(
                tier=profile.tier,
                followers=account.followers,
                following=account.following,
                engagement_rate=account.engagement_rate,
                avg_likes=account.avg_likes,
                avg_comments=account.avg_comments,
                snapshots=history[account.id],
                audience_countries=profile.audience_countries or {},
                declared_country=profile.country,
            )
        )
        if worst is None or assessment.score > worst[1].score:
            worst = (account, assessment)
    score = round(worst[1].score, 4) if worst else 0.0
    reasons = (
        [
            {
                "code": r.code,
                "weight": r.weight,
                "severity": round(r.severity, 4),
                "detail": r.detail,
                "account": f"{worst[0].platform}:{worst[0].handle}",
            }
            for r in worst[1].reasons
        ]
        if worst
        else []
    )
    profile.fraud_risk, profile.fraud_reasons, profile.fraud_assessed_at = score, reasons, utcnow()
    flagged = score >= current_tenant().fraud_flag_threshold
    if flagged:
        flag = db.session.execute(
            select(FraudFlag).where(FraudFlag.profile_id == profile.id, FraudFlag.status == "open")
        ).scalar_one_or_none()
        if flag is None:
            db.session.add(FraudFlag(profile_id=profile.id, score=score, reasons=reasons, status="open"))
        else:  # a fresh assessment replaces its own signals, never an admin's brand-safety reasons
            kept = [r for r in flag.reasons if r.get("code") == BRAND_SAFETY]
            flag.score, flag.reasons = (1.0 if kept else score), [*kept, *reasons]
    db.session.commit()
    return {
        "profile_id": str(profile.id),
        "fraud_risk": score,
        "flagged": flagged,
        "reasons": [r["code"] for r in reasons],
    }


def open_flags(cursor: str | None, limit: int | None, status: str = "open") -> Page:
    """The admin review queue, riskiest first."""
    stmt = select(FraudFlag).where(FraudFlag.status == status)
    return paginate(stmt, [(FraudFlag.score, True), (FraudFlag.id, True)], cursor, limit)
