"""The frozen terms of a contract: a JSON snapshot at acceptance, and the ContractTerms it renders from."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from marketplace.contracts.terms import (
    BrandParty,
    ContractTerms,
    Deliverable,
    DisclosureRule,
    InfluencerParty,
    InKindItem,
    UsageRights,
)
from marketplace.extensions import db
from marketplace.models import Brand, BrandMember, Campaign, Contract, InfluencerProfile, Offer, Tenant, User

# How sponsored content must be labelled on each platform (the disclosure duty).
DISCLOSURE_LABELS = {
    "instagram": "Paid partnership label",
    "tiktok": "Content disclosure: Paid partnership",
    "youtube": "Includes paid promotion",
    "twitch": "Branded content tag",
    "x": "#ad at the start of the post",
    "linkedin": "Brand partnership label",
    "blog": "Sponsored-post notice above the fold",
}
USAGE_RIGHTS_DAYS = 90
REVISION_ROUNDS = 2
KILL_FEE_SHARE = 0.25  # of the cash, owed if the brand cancels after signature
DISPUTE_PROCESS = (
    "Either party may open a dispute on the marketplace before completion. While a dispute is open no "
    "money moves. The marketplace's administrators review the evidence of both parties and resolve it by "
    "releasing the payment, refunding the brand, or splitting the amount."
)


def _default_due(campaign: Campaign) -> date:
    return campaign.end_date or (date.today() + timedelta(days=30))


def terms_snapshot(
    contract: Contract,
    tenant: Tenant,
    campaign: Campaign,
    brand: Brand,
    profile: InfluencerProfile,
    offer: Offer,
) -> dict[str, Any]:
    """Everything the document states, as plain JSON, frozen when the offer is accepted."""
    owner = db.session.execute(
        select(User)
        .join(BrandMember, (BrandMember.tenant_id == User.tenant_id) & (BrandMember.user_id == User.id))
        .where(BrandMember.brand_id == brand.id)
        .order_by(BrandMember.role.desc(), BrandMember.created_at)
        .limit(1)
    ).scalar_one()
    influencer = db.session.execute(select(User).where(User.id == profile.user_id)).scalar_one()
    platforms = sorted({d["platform"] for d in campaign.deliverables})
    return {
        "contract_id": str(contract.id),
        "tenant_name": tenant.name,
        "governing_law": tenant.governing_law,
        "currency": contract.currency,
        "brand": {
            "organisation_name": brand.name,
            "signatory_name": owner.display_name,
            "email": owner.email,
        },
        "influencer": {"display_name": profile.display_name, "email": influencer.email},
        "campaign_title": campaign.title,
        "deliverables": [
            {
                "platform": d["platform"],
                "type": d["type"],
                "quantity": d.get("quantity", 1),
                "content_creation": d.get("content_creation", True) and d["type"] != "share",
                "due_date": _default_due(campaign).isoformat(),
            }
            for d in campaign.deliverables
        ],
        "compensation_kind": contract.compensation_kind,
        "cash_minor": contract.cash_minor,
        "platform_fee_minor": contract.platform_fee_minor,
        "fee_payer": contract.fee_payer,
        "influencer_net_minor": contract.influencer_net_minor,
        "in_kind_items": [
            {"description": i["description"], "declared_value_minor": i["value_minor"]}
            for i in offer.in_kind_items
        ],
        "usage_rights": {"channels": platforms, "duration_days": USAGE_RIGHTS_DAYS},
        "disclosure": [
            {"platform": p, "label": DISCLOSURE_LABELS[p], "hashtags": ["#ad"]} for p in platforms
        ],
        "revision_rounds": REVISION_ROUNDS,
        "cancellation_terms": (
            "The brand may cancel before the first deliverable is submitted; after signature it then owes "
            "the kill fee. The influencer may cancel before funding without penalty."
        ),
        "kill_fee_minor": int(contract.cash_minor * KILL_FEE_SHARE),
        "review_window_days": tenant.review_window_days,
        "dispute_process": DISPUTE_PROCESS,
        "created": datetime.now().astimezone().isoformat(),
    }


def build_terms(snapshot: dict[str, Any]) -> ContractTerms:
    """The renderable terms of a snapshot."""
    return ContractTerms(
        contract_id=snapshot["contract_id"],
        tenant_name=snapshot["tenant_name"],
        governing_law=snapshot["governing_law"],
        currency=snapshot["currency"],
        brand=BrandParty(**snapshot["brand"]),
        influencer=InfluencerParty(**snapshot["influencer"]),
        campaign_title=snapshot["campaign_title"],
        deliverables=[
            Deliverable(**{**d, "due_date": date.fromisoformat(d["due_date"])})
            for d in snapshot["deliverables"]
        ],
        compensation_kind=snapshot["compensation_kind"],
        cash_minor=snapshot["cash_minor"],
        platform_fee_minor=snapshot["platform_fee_minor"],
        fee_payer=snapshot["fee_payer"],
        influencer_net_minor=snapshot["influencer_net_minor"],
        usage_rights=UsageRights(**snapshot["usage_rights"]),
        disclosure=[DisclosureRule(**d) for d in snapshot["disclosure"]],
        revision_rounds=snapshot["revision_rounds"],
        cancellation_terms=snapshot["cancellation_terms"],
        kill_fee_minor=snapshot["kill_fee_minor"],
        review_window_days=snapshot["review_window_days"],
        dispute_process=snapshot["dispute_process"],
        created=datetime.fromisoformat(snapshot["created"]),
        in_kind_items=[InKindItem(**i) for i in snapshot["in_kind_items"]],
    )
