"""Campaigns: briefs written by brand members, from draft to published to closed."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from marketplace.domain.lifecycles import check_transition
from marketplace.domain.money import format_money, minimum_charge
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.extensions import db
from marketplace.models import BrandExclusion, Campaign, Contract, InfluencerProfile, User
from marketplace.models.base import utcnow
from marketplace.services.brands import brand_ids_of, require_member
from marketplace.services.pagination import Page, paginate
from marketplace.services.search_sql import array_overlaps
from marketplace.tenancy import current_tenant, get_or_404

# Fields a published campaign may still change; everything else is frozen once influencers see it.
EDITABLE_WHEN_PUBLISHED = frozenset({"description", "application_deadline", "end_date", "slots"})


def validate_brief(values: dict[str, Any]) -> None:
    """Check a whole brief against the tenant's rules; raise 422 with every field that fails."""
    tenant = current_tenant()
    errors: dict[str, list[str]] = {}
    kind = values["compensation_kind"]
    cash = values.get("cash_per_influencer_minor") or 0
    in_kind_value = values.get("in_kind_value_minor") or 0
    if kind in ("full", "symbolic", "mixed"):
        if cash <= 0:
            errors.setdefault("cash_per_influencer_minor", []).append(f"{kind} pay needs a cash amount.")
        elif cash < minimum_charge(tenant.currency):
            smallest = format_money(minimum_charge(tenant.currency), tenant.currency)
            errors.setdefault("cash_per_influencer_minor", []).append(
                f"Below the smallest amount that can be charged ({smallest})."
            )
    if kind == "symbolic" and cash > tenant.symbolic_ceiling_minor:
        errors.setdefault("cash_per_influencer_minor", []).append(
            f"Symbolic pay is at most {format_money(tenant.symbolic_ceiling_minor, tenant.currency)} here."
        )
    if kind == "in_kind" and cash:
        errors.setdefault("cash_per_influencer_minor", []).append("In-kind pay carries no cash; use mixed.")
    if kind in ("in_kind", "mixed"):
        if not (values.get("in_kind_description") or "").strip():
            errors.setdefault("in_kind_description", []).append("Describe what the influencer receives.")
        if in_kind_value <= 0:
            errors.setdefault("in_kind_value_minor", []).append("Declare the value of the in-kind items.")
    slots = values.get("slots") or 1
    if values.get("total_budget_minor", 0) < slots * cash:
        errors.setdefault("total_budget_minor", []).append(
            f"The budget must cover {slots} slots x {format_money(cash, tenant.currency)}."
        )
    start, end, deadline = (
        values.get("start_date"),
        values.get("end_date"),
        values.get("application_deadline"),
    )
    if start and end and start > end:
        errors.setdefault("end_date", []).append("The end comes before the start.")
    if deadline and end and deadline > end:
        errors.setdefault("application_deadline", []).append(
            "Applications must close before the campaign ends."
        )
    platforms = set(values.get("platforms") or [])
    for item in values.get("deliverables") or []:
        if platforms and item["platform"] not in platforms:
            errors.setdefault("deliverables", []).append(
                f"{item['platform']} is not among the campaign's platforms."
            )
        if item["type"] == "share" and item.get("content_creation"):
            errors.setdefault("deliverables", []).append("A share creates no content.")
    if errors:
        raise ValidationFailed("The brief breaks the marketplace's rules.", errors=errors)


def _normalised(values: dict[str, Any]) -> dict[str, Any]:
    for key in ("niches", "target_countries", "languages", "platforms", "wanted_tiers"):
        if key in values and values[key] is not None:
            values[key] = sorted(set(values[key]))
    if values.get("deliverables") and not values.get("platforms"):
        values["platforms"] = sorted({d["platform"] for d in values["deliverables"]})
    return values


def _as_row(campaign: Campaign) -> dict[str, Any]:
    return {c.key: getattr(campaign, c.key) for c in Campaign.__table__.columns}


def create_campaign(user: User, data: dict[str, Any]) -> Campaign:
    """A member of the brand writes a draft brief."""
    if user.role not in ("brand", "admin"):
        raise Forbidden("Only brand members create campaigns.")
    require_member(data["brand_id"], user)
    values = _normalised(
        {"total_budget_minor": 0, "cash_per_influencer_minor": 0, "in_kind_value_minor": 0, **data}
    )
    validate_brief(values)
    campaign = Campaign(created_by=user.id, currency=current_tenant().currency, status="draft", **values)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def _campaign_for_brand_member(user: User, campaign_id: Any) -> Campaign:
    campaign = get_or_404(Campaign, campaign_id, for_update=True)
    if user.role == "influencer":
        raise NotFound("No such campaign.")
    if user.role != "admin" and campaign.brand_id not in brand_ids_of(user):
        # Another brand's campaign, published or not, is one they cannot see (visible_campaign): 404.
        raise NotFound("No such campaign.")
    return campaign


def update_campaign(user: User, campaign_id: Any, data: dict[str, Any]) -> Campaign:
    """Drafts change freely; published campaigns only in a few fields; closed ones not at all."""
    campaign = _campaign_for_brand_member(user, campaign_id)
    if campaign.status in ("closed", "cancelled"):
        raise Conflict(f"A {campaign.status} campaign cannot change.")
    if campaign.status == "published":
        frozen = sorted(set(data) - EDITABLE_WHEN_PUBLISHED)
        if frozen:
            raise Conflict(
                "Only drafts change freely; a published campaign can change "
                f"{', '.join(sorted(EDITABLE_WHEN_PUBLISHED))}.",
                errors={f: ["Frozen."] for f in frozen},
            )
    values = _normalised({**_as_row(campaign), **data})
    validate_brief(values)
    if "slots" in data:
        # The campaign row is locked, as accepts lock it: no contract can appear while this is read.
        taken = db.session.execute(
            select(func.count())
            .select_from(Contract)
            .where(Contract.campaign_id == campaign.id, Contract.status != "cancelled")
        ).scalar_one()
        if values["slots"] < taken:
            raise ValidationFailed(
                "Slots cannot go below the contracts that hold them.",
                errors={"slots": [f"{taken} contracts hold a slot of this campaign."]},
            )
    for key in data:
        setattr(campaign, key, values[key])
    if "deliverables" in data and not data.get("platforms"):
        campaign.platforms = values["platforms"]
    db.session.commit()
    return campaign


def transition(user: User, campaign_id: Any, target: str) -> Campaign:
    """Move a campaign through its lifecycle (publish, close, cancel) via the transition table."""
    campaign = _campaign_for_brand_member(user, campaign_id)
    campaign.status = check_transition("campaign", campaign.status, target)
    now = utcnow()
    if target == "published":
        validate_brief(_as_row(campaign))
        campaign.published_at = now
    elif target in ("closed", "cancelled"):
        campaign.closed_at = now
    db.session.commit()
    return campaign


def publish(user: User, campaign_id: Any) -> dict[str, Any]:
    """Publish a draft and start its matching job."""
    from marketplace.services.matching import start_matching

    campaign = transition(user, campaign_id, "published")
    job = start_matching(user, campaign)
    return {"campaign": campaign, "matching_job_id": job.id, "status_url": f"/api/v1/jobs/{job.id}"}


def visible_campaign(user: User, campaign_id: Any) -> Campaign:
    """Brand members and admins see their campaigns; influencers see published ones open to them."""
    campaign = get_or_404(Campaign, campaign_id)
    if user.role == "admin":
        return campaign
    if user.role == "brand":
        if campaign.brand_id in brand_ids_of(user):
            return campaign
        raise NotFound("No such campaign.")
    open_to_me = db.session.execute(
        select(Campaign.id).where(Campaign.id == campaign.id, _open_to_influencer(user))
    ).first()
    if open_to_me:
        return campaign
    raise NotFound("No such campaign.")


def _profile_id(user: User) -> Any:
    return db.session.execute(
        select(InfluencerProfile.id).where(InfluencerProfile.user_id == user.id)
    ).scalar_one_or_none()


def _open_to_influencer(user: User) -> Any:
    today = date.today()
    clauses = [
        Campaign.status == "published",
        or_(Campaign.application_deadline.is_(None), Campaign.application_deadline >= today),
    ]
    profile_id = _profile_id(user)
    if profile_id is not None:
        clauses.append(
            ~exists().where(
                and_(
                    BrandExclusion.tenant_id == Campaign.tenant_id,
                    BrandExclusion.brand_id == Campaign.brand_id,
                    BrandExclusion.profile_id == profile_id,
                )
            )
        )
    return and_(*clauses)


def with_brands(campaigns: list[Campaign]) -> list[Campaign]:
    """Give each campaign its brand's summary (`brand`: name, rating by influencers) for CampaignSchema."""
    from marketplace.services.brands import summaries

    brands = summaries([c.brand_id for c in campaigns])
    for campaign in campaigns:
        campaign.brand = brands.get(campaign.brand_id)  # type: ignore[attr-defined]
    return campaigns


def list_campaigns(user: User, args: dict[str, Any]) -> Page:
    """Campaigns the caller may see, newest first, with filters."""
    stmt = select(Campaign)
    if user.role == "brand":
        stmt = stmt.where(Campaign.brand_id.in_(brand_ids_of(user)))
    elif user.role == "influencer":
        stmt = stmt.where(_open_to_influencer(user))
    if args.get("status"):
        stmt = stmt.where(Campaign.status == args["status"])
    if args.get("brand_id"):
        stmt = stmt.where(Campaign.brand_id == args["brand_id"])
    if args.get("niche"):
        stmt = stmt.where(array_overlaps(Campaign.niches, [args["niche"]]))
    return paginate(
        stmt, [(Campaign.created_at, True), (Campaign.id, True)], args.get("cursor"), args.get("limit")
    )
