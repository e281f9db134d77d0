"""Influencer profiles: the influencer's own profile, metric snapshots and rate card."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, select

from marketplace.domain import niches as niche_rules
from marketplace.domain.engagement import AccountNumbers, engagement_rate, overall_engagement
from marketplace.domain.tiers import tier_for
from marketplace.errors import Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import InfluencerProfile, MetricSnapshot, RatePrice, SocialAccount, Tenant, User
from marketplace.models.base import utcnow
from marketplace.tenancy import current_tenant, get_or_404


def require_influencer(user: User) -> None:
    """Only influencers have a profile of their own."""
    if user.role != "influencer":
        raise Forbidden("Only influencers have an influencer profile.")


def my_profile(user: User) -> InfluencerProfile:
    """The caller's profile, or 404 until they create it with PUT."""
    require_influencer(user)
    profile = db.session.execute(
        select(InfluencerProfile).where(InfluencerProfile.user_id == user.id)
    ).scalar_one_or_none()
    if profile is None:
        raise NotFound("You have no profile yet; create it with PUT /api/v1/influencers/me.")
    return profile


def accounts_of(profile_id: uuid.UUID) -> list[SocialAccount]:
    """A profile's social accounts, largest first."""
    stmt = select(SocialAccount).where(SocialAccount.profile_id == profile_id)
    return list(db.session.execute(stmt.order_by(SocialAccount.followers.desc(), SocialAccount.id)).scalars())


def rates_of(profile_id: uuid.UUID) -> list[RatePrice]:
    """A profile's rate card lines."""
    stmt = select(RatePrice).where(RatePrice.profile_id == profile_id)
    return list(
        db.session.execute(
            stmt.order_by(RatePrice.platform, RatePrice.deliverable, RatePrice.content_creation)
        ).scalars()
    )


def refresh_derived(profile: InfluencerProfile, tenant: Tenant, accounts: list[SocialAccount]) -> None:
    """Recompute what is never typed in: followers, tier, engagement, platforms, search text."""
    for account in accounts:
        account.engagement_rate = engagement_rate(account.followers, account.avg_likes, account.avg_comments)
    profile.followers = max((a.followers for a in accounts), default=0)
    profile.tier = tier_for(tier_followers(profile, accounts), tenant.tier_thresholds)
    profile.engagement_rate = overall_engagement(
        AccountNumbers(a.followers, a.avg_likes, a.avg_comments) for a in accounts
    )
    profile.platforms = sorted({a.platform for a in accounts})
    handles = " ".join(f"{a.handle} @{a.handle.lstrip('@')}" for a in accounts)
    profile.search_text = f"{profile.display_name} {profile.bio} {handles}".lower()


def tier_followers(profile: InfluencerProfile, accounts: list[SocialAccount]) -> int:
    """The followers the tier is read from: the largest account on the chosen platform (the spec's
    "largest (or chosen) social account"), or the largest of all when none is chosen or the chosen
    platform has no account any more."""
    chosen = [a.followers for a in accounts if a.platform == profile.tier_platform]
    return max(chosen) if chosen else profile.followers


def _snapshot(account: SocialAccount) -> MetricSnapshot:
    return MetricSnapshot(
        account_id=account.id,
        taken_at=utcnow(),
        followers=account.followers,
        following=account.following,
        avg_likes=account.avg_likes,
        avg_comments=account.avg_comments,
        avg_views=account.avg_views,
    )


ACCOUNT_FIELDS = (
    "url",
    "followers",
    "following",
    "avg_likes",
    "avg_comments",
    "avg_views",
    "posts_per_month",
)


def save_my_profile(user: User, data: dict[str, Any]) -> InfluencerProfile:
    """Create or replace the caller's profile; accounts are matched by platform and handle."""
    require_influencer(user)
    tenant = current_tenant()
    keys = [(a["platform"], a["handle"].lower()) for a in data["social_accounts"]]
    if len(keys) != len(set(keys)):
        raise ValidationFailed(
            "An account is listed twice.", errors={"social_accounts": ["Duplicate account."]}
        )
    profile = db.session.execute(
        select(InfluencerProfile).where(InfluencerProfile.user_id == user.id).with_for_update()
    ).scalar_one_or_none()
    if profile is None:
        profile = InfluencerProfile(user_id=user.id, owner_suspended=user.is_suspended)
        db.session.add(profile)
    audience = data["audience"]
    profile.display_name = data["display_name"].strip()
    profile.bio = data["bio"]
    profile.country = data["country"]
    profile.languages = sorted(set(data["languages"]))
    profile.niches = sorted(set(data["niches"]))
    profile.audience_countries = audience.get("countries", {})
    profile.audience_ages = audience.get("ages", {})
    profile.audience_genders = audience.get("genders", {})
    profile.accepts_in_kind = data["accepts_in_kind"]
    profile.min_cash_rate_minor = data["min_cash_rate_minor"]
    profile.tier_platform = data.get("tier_platform")
    db.session.flush()

    existing = {(a.platform, a.handle.lower()): a for a in accounts_of(profile.id)}
    kept: list[SocialAccount] = []
    for item in data["social_accounts"]:
        key = (item["platform"], item["handle"].lower())
        account = existing.pop(key, None)
        changed = account is None or any(getattr(account, f) != item[f] for f in ACCOUNT_FIELDS)
        if account is None:
            account = SocialAccount(profile_id=profile.id, platform=item["platform"], handle=item["handle"])
            db.session.add(account)
        account.handle = item["handle"]
        for field in ACCOUNT_FIELDS:
            setattr(account, field, item[field])
        db.session.flush()
        if changed:
            db.session.add(_snapshot(account))
        kept.append(account)
    for gone in existing.values():
        db.session.delete(gone)
    refresh_derived(profile, tenant, kept)
    db.session.commit()
    after_profile_change(profile)
    return profile


def add_metrics(user: User, data: dict[str, Any]) -> MetricSnapshot:
    """Append a snapshot to one of the caller's accounts; the newest reading becomes current."""
    profile = my_profile(user)
    account = db.session.execute(
        select(SocialAccount).where(
            SocialAccount.id == data["account_id"], SocialAccount.profile_id == profile.id
        )
    ).scalar_one_or_none()
    if account is None:
        raise NotFound("No such account on your profile.")
    taken_at = data.get("taken_at") or utcnow()
    if taken_at > utcnow():
        raise ValidationFailed(
            "A snapshot cannot come from the future.", errors={"taken_at": ["In the future."]}
        )
    snapshot = MetricSnapshot(
        account_id=account.id,
        taken_at=taken_at,
        followers=data["followers"],
        following=data["following"],
        avg_likes=data["avg_likes"],
        avg_comments=data["avg_comments"],
        avg_views=data["avg_views"],
    )
    db.session.add(snapshot)
    latest = db.session.execute(
        select(MetricSnapshot.taken_at)
        .where(MetricSnapshot.account_id == account.id)
        .order_by(MetricSnapshot.taken_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None or taken_at >= latest:
        for field in ("followers", "following", "avg_likes", "avg_comments", "avg_views"):
            setattr(account, field, data[field])
        db.session.flush()
        refresh_derived(profile, current_tenant(), accounts_of(profile.id))
    db.session.commit()
    after_profile_change(profile)
    return snapshot


def snapshots_of(profile_id: uuid.UUID) -> list[MetricSnapshot]:
    """Every snapshot of a profile's accounts, oldest first."""
    stmt = (
        select(MetricSnapshot)
        .join(
            SocialAccount,
            (SocialAccount.tenant_id == MetricSnapshot.tenant_id)
            & (SocialAccount.id == MetricSnapshot.account_id),
        )
        .where(SocialAccount.profile_id == profile_id)
        .order_by(MetricSnapshot.taken_at)
    )
    return list(db.session.execute(stmt).scalars())


def set_rates(user: User, lines: list[dict[str, Any]]) -> list[RatePrice]:
    """Replace the caller's rate card."""
    profile = my_profile(user)
    keys = [(r["platform"], r["deliverable"], r["content_creation"]) for r in lines]
    if len(keys) != len(set(keys)):
        raise ValidationFailed(
            "A price is listed twice.", errors={"rates": ["Duplicate platform/deliverable."]}
        )
    for line in lines:
        if line["deliverable"] == "share" and line["content_creation"]:
            raise ValidationFailed("A share creates no content.", errors={"rates": ["share is share-only."]})
    db.session.execute(delete(RatePrice).where(RatePrice.profile_id == profile.id))
    db.session.add_all(RatePrice(profile_id=profile.id, **line) for line in lines)
    db.session.commit()
    return rates_of(profile.id)


def after_profile_change(profile: InfluencerProfile) -> None:
    """Hook run after a profile or its metrics change (fraud assessment is queued here)."""
    from marketplace.services import fraud_checks

    fraud_checks.queue_assessment(profile)


def get_profile(viewer: User, profile_id: Any) -> InfluencerProfile:
    """A profile of the tenant, for brands, admins and its own influencer."""
    profile = get_or_404(InfluencerProfile, profile_id)
    if viewer.role == "influencer" and profile.user_id != viewer.id:
        raise NotFound("No such influencer.")
    return profile


def profile_view(profile: InfluencerProfile) -> dict[str, Any]:
    """Everything ProfileSchema shows, accounts and rate card included."""
    return {
        **{
            c: getattr(profile, c)
            for c in (
                "id",
                "user_id",
                "display_name",
                "bio",
                "country",
                "languages",
                "niches",
                "accepts_in_kind",
                "min_cash_rate_minor",
                "platforms",
                "followers",
                "tier",
                "tier_platform",
                "engagement_rate",
                "verified",
                "rating_count",
                "fraud_risk",
                "fraud_reasons",
                "created_at",
                "updated_at",
            )
        },
        "rating": profile.rating_avg,
        "related_niches": sorted(niche_rules.expand(profile.niches) - set(profile.niches)),
        "social_accounts": accounts_of(profile.id),
        "audience": {
            "countries": profile.audience_countries,
            "ages": profile.audience_ages,
            "genders": profile.audience_genders,
        },
        "rates": rates_of(profile.id),
        "currency": current_tenant().currency,
    }
