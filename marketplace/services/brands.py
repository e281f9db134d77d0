"""Brands: organisations, their members and their exclusion lists."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import Brand, BrandExclusion, BrandMember, InfluencerProfile, User
from marketplace.rowcache import CachedUser
from marketplace.services.auth import normalise_email
from marketplace.tenancy import get_or_404


def membership(brand_id: uuid.UUID, user: User) -> BrandMember | None:
    """The user's membership of a brand, if any."""
    return db.session.execute(
        select(BrandMember).where(BrandMember.brand_id == brand_id, BrandMember.user_id == user.id)
    ).scalar_one_or_none()


def member_user_ids(brand_id: uuid.UUID) -> list[uuid.UUID]:
    """The users acting for a brand (owners and members)."""
    return list(
        db.session.execute(select(BrandMember.user_id).where(BrandMember.brand_id == brand_id)).scalars()
    )


def brand_ids_of(user: User | CachedUser) -> list[uuid.UUID]:
    """The brands a user acts for."""
    return list(
        db.session.execute(select(BrandMember.brand_id).where(BrandMember.user_id == user.id)).scalars()
    )


def require_member(brand_id: uuid.UUID, user: User, *, owner: bool = False) -> BrandMember | None:
    """Admins pass; brand users must be members (owners when `owner`); others get 403."""
    if user.role == "admin":
        return None
    member = membership(brand_id, user)
    if member is None:
        raise Forbidden("You are not a member of this brand.")
    if owner and member.role != "owner":
        raise Forbidden("Only the brand's owners can do this.")
    return member


def visible_brand(user: User, brand_id: Any) -> Brand:
    """A brand its members and admins can see; 404 for everyone else."""
    brand = get_or_404(Brand, brand_id)
    if user.role != "admin" and membership(brand.id, user) is None:
        raise NotFound("No such brand.")
    return brand


def create_brand(user: User, data: dict[str, Any]) -> Brand:
    """A brand user creates an organisation and becomes its owner."""
    if user.role != "brand":
        raise Forbidden("Only brand accounts create brands.")
    brand = Brand(**{k: data[k] for k in ("name", "website", "industry", "country")})
    db.session.add(brand)
    db.session.flush()
    db.session.add(BrandMember(brand_id=brand.id, user_id=user.id, role="owner"))
    _set_exclusions(brand, data.get("excluded_influencers") or [])
    db.session.commit()
    return brand


def update_brand(user: User, brand_id: Any, data: dict[str, Any]) -> Brand:
    """Owners (and admins) change the brand's details and exclusion list."""
    brand = visible_brand(user, brand_id)
    require_member(brand.id, user, owner=True)
    for key in ("name", "website", "industry", "country"):
        if key in data:
            setattr(brand, key, data[key])
    if "excluded_influencers" in data:
        _set_exclusions(brand, data["excluded_influencers"])
    db.session.commit()
    return brand


def _set_exclusions(brand: Brand, profile_ids: list[uuid.UUID]) -> None:
    wanted = set(profile_ids)
    if wanted:
        found = set(
            db.session.execute(select(InfluencerProfile.id).where(InfluencerProfile.id.in_(wanted))).scalars()
        )
        missing = wanted - found
        if missing:
            raise ValidationFailed(
                "Unknown influencers.",
                errors={"excluded_influencers": [f"No influencer {m}." for m in sorted(map(str, missing))]},
            )
    current = {e.profile_id: e for e in exclusions_of(brand.id)}
    for profile_id, exclusion in current.items():
        if profile_id not in wanted:
            db.session.delete(exclusion)
    for profile_id in wanted - set(current):
        db.session.add(BrandExclusion(brand_id=brand.id, profile_id=profile_id))


def exclusions_of(brand_id: uuid.UUID) -> list[BrandExclusion]:
    """The influencers a brand excludes."""
    return list(
        db.session.execute(select(BrandExclusion).where(BrandExclusion.brand_id == brand_id)).scalars()
    )


def members_of(brand_id: uuid.UUID) -> list[tuple[BrandMember, User]]:
    """Members with their users."""
    stmt = (
        select(BrandMember, User)
        .join(User, (User.tenant_id == BrandMember.tenant_id) & (User.id == BrandMember.user_id))
        .where(BrandMember.brand_id == brand_id)
        .order_by(BrandMember.created_at)
    )
    return [(m, u) for m, u in db.session.execute(stmt).all()]


def add_member(user: User, brand_id: Any, data: dict[str, Any]) -> BrandMember:
    """An owner adds a brand user of the tenant, by email, as owner or member."""
    brand = visible_brand(user, brand_id)
    require_member(brand.id, user, owner=True)
    invitee = db.session.execute(
        select(User).where(User.email == normalise_email(data["email"]))
    ).scalar_one_or_none()
    if invitee is None or invitee.role != "brand":
        raise ValidationFailed(
            "No brand account with this email in this marketplace.",
            errors={"email": ["Not a brand account here."]},
        )
    member = BrandMember(brand_id=brand.id, user_id=invitee.id, role=data["role"])
    db.session.add(member)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Conflict("This user is already a member of the brand.") from None
    return member


def brand_view(brand: Brand) -> dict[str, Any]:
    """The brand with members and exclusions, for BrandSchema."""
    return {
        **{k: getattr(brand, k) for k in ("id", "name", "website", "industry", "country", "created_at")},
        "members": [
            {"user_id": u.id, "display_name": u.display_name, "email": u.email, "role": m.role}
            for m, u in members_of(brand.id)
        ],
        "excluded_influencers": sorted((e.profile_id for e in exclusions_of(brand.id)), key=str),
        **_rating(brand.id),
    }


def _rating(brand_id: Any) -> dict[str, Any]:
    from marketplace.services.reviews import brand_rating

    average, count = brand_rating(brand_id)
    return {"rating": average, "rating_count": count}


def summaries(brand_ids: list[Any]) -> dict[Any, dict[str, Any]]:
    """What anyone who sees a brand's campaign learns of the brand: its name and its rating by the
    influencers who worked with it (reviews.brand_ratings), for several brands in two queries."""
    from marketplace.services.reviews import brand_ratings

    if not brand_ids:
        return {}
    names = dict(db.session.execute(select(Brand.id, Brand.name).where(Brand.id.in_(set(brand_ids)))).all())
    ratings = brand_ratings(list(names))
    return {
        brand_id: {
            "id": brand_id,
            "name": name,
            "rating": ratings.get(brand_id, (None, 0))[0],
            "rating_count": ratings.get(brand_id, (None, 0))[1],
        }
        for brand_id, name in names.items()
    }
