"""Reviews: after completion the parties rate each other once; ratings feed profiles and matching."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.errors import Conflict, Forbidden
from marketplace.extensions import db
from marketplace.models import InfluencerProfile, Review, User
from marketplace.services.contracts import party_of, visible_contract
from marketplace.services.notifications import notify
from marketplace.tenancy import get_or_404


def leave_review(user: User, contract_id: Any, data: dict[str, Any]) -> Review:
    """One review per party, only once the contract is completed."""
    contract = visible_contract(user, contract_id)
    party = party_of(user, contract)
    if party is None:
        raise Forbidden("Only the parties review each other.")
    if contract.status != "completed":
        raise Conflict("Reviews open once the contract is completed.")
    review = Review(
        contract_id=contract.id,
        reviewer_id=user.id,
        reviewer_party=party,
        stars=data["stars"],
        text=data["text"],
        profile_id=contract.profile_id if party == "brand" else None,
        brand_id=contract.brand_id if party == "influencer" else None,
    )
    db.session.add(review)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(f"The {party} side has already reviewed this contract.") from None
    if party == "brand":
        profile = get_or_404(InfluencerProfile, contract.profile_id, for_update=True)
        count, average = db.session.execute(
            select(func.count(), func.avg(Review.stars)).where(Review.profile_id == profile.id)
        ).one()
        profile.rating_count, profile.rating_avg = count, float(average)
        notify(
            contract.influencer_user_id,
            "review_received",
            f"The brand rated you {data['stars']}/5",
            contract_id=contract.id,
        )
    db.session.commit()
    return review


def brand_rating(brand_id: Any) -> tuple[float | None, int]:
    """A brand's average stars from influencers, and how many reviews."""
    return brand_ratings([brand_id]).get(brand_id, (None, 0))


def brand_ratings(brand_ids: list[Any]) -> dict[Any, tuple[float | None, int]]:
    """Each brand's average stars from influencers and review count, in one query (unreviewed: absent)."""
    if not brand_ids:
        return {}
    rows = db.session.execute(
        select(Review.brand_id, func.avg(Review.stars), func.count())
        .where(Review.brand_id.in_(set(brand_ids)))
        .group_by(Review.brand_id)
    ).all()
    return {brand_id: (round(float(average), 2), count) for brand_id, average, count in rows}
