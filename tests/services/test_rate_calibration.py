"""Rate estimates switch to the tenant's own market once it has enough agreed contracts."""

from __future__ import annotations

import random
import uuid

from flask import Flask
from flask.testing import FlaskClient

from marketplace.domain.money import split_fee
from marketplace.extensions import db
from marketplace.models import Brand, Campaign, Contract, Offer, User
from marketplace.models.base import utcnow
from marketplace.tenancy import tenant_scope
from tests.factories import make_brand, make_influencer, make_tenant
from tests.services.builders import Spec, build


def _agreed_contract(tenant_id: uuid.UUID, brand: Brand, campaign: Campaign, user: User, price: int) -> None:
    profile = build(_tenant(tenant_id), Spec(niches=["food"], followers=20_000, engagement=0.04))
    offer = Offer(
        campaign_id=campaign.id,
        profile_id=profile.id,
        brand_id=brand.id,
        sender_id=user.id,
        direction="invitation",
        status="accepted",
        currency="EUR",
        cash_minor=price,
        expires_at=utcnow(),
    )
    db.session.add(offer)
    db.session.flush()
    split = split_fee(price, 1000, "influencer")
    db.session.add(
        Contract(
            campaign_id=campaign.id,
            offer_id=offer.id,
            brand_id=brand.id,
            profile_id=profile.id,
            influencer_user_id=profile.user_id,
            status="completed",
            compensation_kind="full",
            currency="EUR",
            cash_minor=price,
            platform_fee_bps=1000,
            fee_payer="influencer",
            platform_fee_minor=split.platform_fee,
            brand_pays_minor=split.brand_pays,
            influencer_net_minor=split.influencer_net,
            terms={
                "deliverables": [
                    {"platform": "instagram", "type": "post", "quantity": 1, "content_creation": True}
                ]
            },
        )
    )


def _tenant(tenant_id: uuid.UUID):
    from marketplace.models import Tenant

    return db.session.get(Tenant, tenant_id)


def test_estimate_calibrates_on_the_tenants_prices(app: Flask, client: FlaskClient) -> None:
    """Below the configured count the model answers; at 5 agreed micro prices of ~EUR 900 it calibrates."""
    tenant = make_tenant(app, "alpha", rate_calibration_min_contracts=5)
    brand_caller = make_brand(app, client, "alpha")
    influencer = make_influencer(
        app,
        client,
        "alpha",
        social_accounts=[
            {
                "platform": "instagram",
                "handle": "me",
                "followers": 20_000,
                "following": 300,
                "avg_likes": 800,
                "avg_comments": 0,
            }
        ],
    )
    path = f"/api/v1/influencers/{influencer.profile_id}/rate-estimate?platform=instagram&deliverable=post"
    model = brand_caller.get(path).get_json()
    assert model["basis"] == "model" and model["comparables_used"] == 0
    rng = random.Random(4)
    with app.app_context(), tenant_scope(tenant.id):
        brand = db.session.get(Brand, (tenant.id, uuid.UUID(brand_caller.brand_id)))
        user = db.session.execute(db.select(User).where(User.role == "brand")).scalars().first()
        campaign = Campaign(
            brand_id=brand.id,
            created_by=user.id,
            title="Past",
            niches=["food"],
            deliverables=[],
            compensation_kind="full",
            currency="EUR",
            status="closed",
        )
        db.session.add(campaign)
        db.session.flush()
        for _ in range(5):
            _agreed_contract(tenant.id, brand, campaign, user, rng.randint(85_000, 95_000))
        db.session.commit()
    calibrated = brand_caller.get(path).get_json()
    assert calibrated["basis"] == "tenant_market" and calibrated["comparables_used"] == 5
    assert 60_000 <= calibrated["typical_minor"] <= 120_000
    assert any(f["name"] == "calibration" for f in calibrated["factors"])
