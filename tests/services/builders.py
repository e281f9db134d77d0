"""Build profiles straight through the ORM (fast, many at once) for matching and fraud tests."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from marketplace.extensions import db
from marketplace.models import InfluencerProfile, MetricSnapshot, RatePrice, SocialAccount, Tenant, User
from marketplace.models.base import utcnow
from marketplace.services.influencers import refresh_derived

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"  # never logged in


@dataclass
class Spec:
    """One influencer to build."""

    niches: list[str]
    country: str = "FR"
    languages: list[str] = field(default_factory=lambda: ["fr"])
    platform: str = "instagram"
    followers: int = 10_000
    following: int = 400
    engagement: float = 0.04
    comments_per_like: float = 0.05
    audience: dict[str, float] = field(default_factory=lambda: {"FR": 0.7})
    history: list[tuple[int, int]] = field(default_factory=list)  # (days ago, followers)
    price: int | None = 40_000
    verified: bool = False
    accepts_in_kind: bool = False
    name: str = ""


def build(tenant: Tenant, spec: Spec) -> InfluencerProfile:
    """Insert a user, profile, account, history and rate card for `spec` (caller commits)."""
    user = User(
        tenant_id=tenant.id,
        email=f"{uuid.uuid4().hex[:12]}@example.com",
        password_hash=HASH,
        role="influencer",
        display_name=spec.name or "Someone",
    )
    db.session.add(user)
    db.session.flush()
    profile = InfluencerProfile(
        user_id=user.id,
        display_name=spec.name or f"{spec.niches[0]} creator",
        bio="",
        country=spec.country,
        languages=spec.languages,
        niches=spec.niches,
        audience_countries=spec.audience,
        audience_ages={},
        audience_genders={},
        accepts_in_kind=spec.accepts_in_kind,
        verified=spec.verified,
    )
    db.session.add(profile)
    db.session.flush()
    interactions = spec.engagement * spec.followers
    likes = interactions / (1 + spec.comments_per_like)
    account = SocialAccount(
        profile_id=profile.id,
        platform=spec.platform,
        handle=f"h{uuid.uuid4().hex[:10]}",
        followers=spec.followers,
        following=spec.following,
        avg_likes=likes,
        avg_comments=interactions - likes,
    )
    db.session.add(account)
    db.session.flush()
    now = utcnow()
    for days_ago, followers in spec.history or [
        (90, int(spec.followers * 0.95)),
        (30, int(spec.followers * 0.98)),
    ]:
        db.session.add(
            MetricSnapshot(
                account_id=account.id,
                taken_at=now - timedelta(days=days_ago),
                followers=followers,
                following=spec.following,
            )
        )
    db.session.add(
        MetricSnapshot(
            account_id=account.id, taken_at=now, followers=spec.followers, following=spec.following
        )
    )
    if spec.price is not None:
        db.session.add(
            RatePrice(
                profile_id=profile.id,
                platform=spec.platform,
                deliverable="post",
                content_creation=True,
                price_minor=spec.price,
            )
        )
    refresh_derived(profile, tenant, [account])
    return profile


TIER_FOLLOWERS = {"nano": (500, 1_999), "micro": (2_000, 49_999), "macro": (50_000, 999_999)}
NORM = {"nano": 0.05, "micro": 0.035, "macro": 0.02}
COUNTRIES = {"FR": "fr", "DE": "de", "ES": "es", "IT": "it", "GB": "en", "US": "en", "BR": "pt"}


def genuine(rng: random.Random, niches: list[str]) -> Spec:
    """A plausible genuine profile: engagement around its tier's norm, steady growth, home audience."""
    tier = rng.choices(["nano", "micro", "macro"], weights=[3, 5, 2])[0]
    followers = int(rng.uniform(*TIER_FOLLOWERS[tier]))
    country = rng.choice(list(COUNTRIES))
    home = rng.uniform(0.35, 0.85)
    growth = rng.uniform(0.0, 0.08)
    return Spec(
        niches=[rng.choice(niches)],
        country=country,
        languages=[COUNTRIES[country]],
        platform=rng.choice(["instagram", "tiktok", "youtube"]),
        followers=followers,
        following=int(rng.uniform(50, min(3_000, followers * 0.8 + 50))),
        engagement=NORM[tier] * rng.lognormvariate(0, 0.4),
        comments_per_like=rng.uniform(0.01, 0.12),
        audience={country: round(home, 3)},
        history=[
            (120, int(followers / (1 + growth) ** 3)),
            (60, int(followers / (1 + growth) ** 2)),
            (30, int(followers / (1 + growth))),
        ],
        price=int(followers * rng.uniform(1.5, 4)),
        accepts_in_kind=rng.random() < 0.5,
    )


def bought_followers(rng: random.Random, niches: list[str]) -> Spec:
    """A fake: bought followers show as low engagement, a jump, odd ratios and a foreign audience."""
    followers = int(rng.uniform(20_000, 300_000))
    before = int(followers / rng.uniform(1.4, 2.5))
    country = rng.choice(["FR", "DE", "ES"])
    signals = rng.sample(["ratio", "comments", "audience"], k=rng.randint(1, 3))
    return Spec(
        niches=[rng.choice(niches)],
        country=country,
        languages=[COUNTRIES[country]],
        followers=followers,
        following=int(followers * rng.uniform(0.9, 1.3)) if "ratio" in signals else 800,
        engagement=0.02 * rng.uniform(0.05, 0.2),
        comments_per_like=rng.uniform(0.0002, 0.001) if "comments" in signals else 0.03,
        audience={"IN": 0.6, country: 0.04} if "audience" in signals else {country: 0.5},
        history=[(60, int(before * 0.98)), (rng.randint(2, 5), before)],
    )


def as_dict(profile: InfluencerProfile) -> dict[str, Any]:
    """The fields a test reads back."""
    return {"id": profile.id, "niches": profile.niches, "tier": profile.tier}
